// Acceptance of issue 7: the simulated factory against a real uns-bridge with Kafka. Its Sparkplug B
// edge nodes are born on the host, their values land on the demo namespace's ACME paths (the tree and
// Kafka), JSON publishers fill the rest, and a write goes API/uns.commands -> DCMD -> simulated device
// -> DDATA -> tree and Kafka.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import spb from 'sparkplug-payload/lib/sparkplugPayloadProto.js'
import { loadNamespace } from '../../src/namespace/index.js'
import { startSimulator, type Simulator } from '../../scripts/simulator/index.js'
import { createTopic, produce, readTopic } from '../helpers/kafka.js'
import { eventually, kafkaEnv, startService, uniqueTopics, type TestService } from '../helpers/service.js'

const P = spb.org.eclipse.tahu.protobuf
const FILLER = 'acme/berlin/packaging/line-1/filler'
const PRESS_1 = 'acme/austin/assembly/line-1/press-1'

describe('simulator against uns-bridge (births, values, write round trip)', () => {
  const topics = uniqueTopics()
  let svc: TestService
  let sim: Simulator
  const valueAt = (path: string): unknown => svc.service.tree.node(path)?.value?.value

  before(async () => {
    await createTopic(topics.commands)
    svc = await startService(kafkaEnv({ UNS_INSTANCE_ID: 'itest-sim' }, topics))
    await eventually(() => (svc.service.health().kafka.consumer === 'running' ? true : undefined), 30000)
    sim = await startSimulator({
      url: svc.mqttUrl,
      layout: 'acme',
      edges: 2,
      devices: 1,
      metrics: 10,
      rate: 10,
      qos: 1,
      group: 'sim',
      jsonTags: 20,
      namespace: await loadNamespace('namespace'),
      primaryHostId: svc.config.sparkplug.hostId,
    })
  })
  after(async () => {
    await sim?.stop()
    await svc?.close()
  })

  it('births both mapped edge nodes and their devices on the host', async () => {
    const nodes = await eventually(() => {
      const n = svc.service.sparkplug.nodes()
      return n.length === 2 && n.every((x) => x.online && x.devices.every((d) => d.online)) ? n : undefined
    })
    const byEdge = new Map(nodes.map((n) => [`${n.group}/${n.edge}`, n]))
    assert.deepEqual(
      byEdge
        .get('acme-austin/plc-assembly-1')
        ?.devices.map((d) => d.device)
        .sort(),
      ['conveyor', 'press-1', 'press-2'],
    )
    assert.deepEqual(
      byEdge.get('acme-berlin/plc-packaging-1')?.devices.map((d) => d.device),
      ['filler-1'],
    )
    // The raw births are in Kafka, keyed by their Sparkplug topic. One edge's data may come before the
    // other's births: read until both births are there, not just the first six records.
    const births = [
      'spBv1.0/acme-berlin/NBIRTH/plc-packaging-1',
      'spBv1.0/acme-austin/DBIRTH/plc-assembly-1/press-1',
    ]
    const raw = await readTopic(topics.sparkplug, Infinity, 15000, undefined, (rs) =>
      births.every((b) => rs.some((r) => r.key === b)),
    )
    const keys = raw.map((r) => r.key)
    for (const b of births) assert.ok(keys.includes(b), b)
  })

  it('puts live, changing values on the ACME paths of the namespace mapping, from Sparkplug and JSON', async () => {
    // Temperature is renamed by the mapping; motor/speed comes from the folder metric Motor/Speed.
    const first = await eventually(() => valueAt(`${FILLER}/temperature`) as number | undefined)
    assert.equal(typeof first, 'number')
    await eventually(() => (valueAt(`${FILLER}/temperature`) !== first ? true : undefined))
    assert.equal(typeof valueAt(`${FILLER}/motor/speed`), 'number')
    assert.equal(typeof valueAt(`${PRESS_1}/strokes`), 'number')
    assert.equal(svc.service.tree.node(`${FILLER}/temperature`)?.value?.quality, 'good')
    // JSON publishers (not the paths Sparkplug feeds) fill the other declared tags.
    const jsonTag = await eventually(
      () => svc.service.tree.node('acme/berlin/packaging/line-1/orderId')?.value,
    )
    assert.ok(jsonTag, 'the MES order number arrived from the JSON publisher')
    const state = await readTopic(topics.state, 100000, 4000)
    const keys = [...new Set(state.map((r) => r.key))]
    assert.ok(
      keys.includes(`${FILLER}/temperature`),
      `state records on the ACME path, among: ${keys.slice(0, 10).join(', ')}`,
    )
  })

  it('round-trips an API write: DCMD to the simulated press, applied, back in DDATA, in the tree and in Kafka', async () => {
    const res = await fetch(`${svc.httpUrl}/api/v1/nodes/${PRESS_1}/forceSetpoint/write`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: 1234.5 }),
    })
    assert.equal(res.status, 202)
    assert.deepEqual(await res.json(), {
      path: `${PRESS_1}/forceSetpoint`,
      via: 'sparkplug',
      topic: 'spBv1.0/acme-austin/DCMD/plc-assembly-1/press-1',
    })
    const austin = sim.edges.find((e) => e.spec.edge === 'plc-assembly-1')
    await eventually(() => (austin?.value('press-1', 'forceSetpoint') === 1234.5 ? true : undefined))
    await eventually(() => (valueAt(`${PRESS_1}/forceSetpoint`) === 1234.5 ? true : undefined))
    const raw = await readTopic(topics.sparkplug, 1000, 5000)
    const echoed = raw
      .filter((r) => r.key === 'spBv1.0/acme-austin/DDATA/plc-assembly-1/press-1' && r.value)
      .some((r) => P.Payload.decode(r.value as Buffer).metrics.some((m) => m.doubleValue === 1234.5))
    assert.ok(echoed, 'the DDATA carrying the written value is in the raw Sparkplug topic')
  })

  it('round-trips a uns.commands record to the simulated device and back into the tree', async () => {
    await produce(topics.commands, [
      { key: `${PRESS_1}/forceSetpoint`, value: JSON.stringify({ value: 800 }) },
    ])
    const austin = sim.edges.find((e) => e.spec.edge === 'plc-assembly-1')
    await eventually(() => (austin?.value('press-1', 'forceSetpoint') === 800 ? true : undefined), 15000)
    await eventually(() => (valueAt(`${PRESS_1}/forceSetpoint`) === 800 ? true : undefined))
    assert.equal(austin?.stats.writes, 2)
  })

  it('answers an operator Rebirth request with new births, and the data keeps flowing', async () => {
    const berlin = sim.edges.find((e) => e.spec.edge === 'plc-packaging-1')
    const births = berlin?.stats.births ?? 0
    const requests = berlin?.stats.rebirthRequests ?? 0
    const res = await fetch(`${svc.httpUrl}/api/v1/sparkplug/nodes/acme-berlin/plc-packaging-1/rebirth`, {
      method: 'POST',
    })
    assert.equal(res.status, 202)
    await eventually(() => ((berlin?.stats.births ?? 0) > births ? true : undefined))
    assert.equal(berlin?.stats.rebirthRequests, requests + 1)
    const before = valueAt(`${FILLER}/temperature`)
    await eventually(() => (valueAt(`${FILLER}/temperature`) !== before ? true : undefined))
    assert.ok(svc.service.sparkplug.nodes().every((n) => n.online))
  })
})
