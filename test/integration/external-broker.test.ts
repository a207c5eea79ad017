// External-broker mode (issue 16) against an independent broker, Debian's mosquitto started here, and
// the test run's Kafka: Sparkplug edge (QoS 0, as edges publish [tck-id-payloads-nbirth-qos,
// tck-id-payloads-ndata-qos]) → mosquitto → uns-bridge → Kafka and the REST API: births, alias-only
// DATA, rebirth NCMD on a seq gap, NDEATH → stale, a REST write as DCMD at the edge; derived UNS JSON
// retained on mosquitto without being ingested again; the host's SUBSCRIBE before its STATE PUBLISH.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt from 'mqtt'
import { DEVICE, EDGE, GROUP, P, ddata, dbirth, nbirth, ndata, ndeath } from '../fixtures/sparkplug/index.js'
import { createTopic, readTopic, type ReadRecord } from '../helpers/kafka.js'
import { eventually, kafkaEnv, startService, uniqueTopics, type TestService } from '../helpers/service.js'
import { startMosquitto, type TestMosquitto } from '../helpers/mosquitto.js'
import { connectEdge, record, send, type Received } from './sparkplug-helpers.js'

const QOS0 = { qos: 0 } as const

const PRESS = 'plant/site/area/line/press'
const T = (type: string, group = GROUP, edge = EDGE, device?: string) =>
  `spBv1.0/${group}/${type}/${edge}${device === undefined ? '' : `/${device}`}`

describe('external-broker mode on mosquitto', () => {
  let broker: TestMosquitto
  let svc: TestService
  const topics = uniqueTopics()
  let dcmds: Received[] = []
  let edgeClient: mqtt.MqttClient | undefined
  const value = (path: string) => {
    try {
      return svc.service.tree.node(path).value
    } catch {
      return undefined
    }
  }

  before(async () => {
    // Created up front: a reader subscribing before the service's first record would find no partition.
    // A Kafka that has just started may not host a new topic's partition yet: try again.
    for (const topic of [topics.sparkplug, topics.telemetry])
      await eventually(
        () =>
          createTopic(topic).then(
            () => true,
            (err: Error) => (/already exists/i.test(err.message) ? true : undefined),
          ),
        60000,
      )
    broker = await startMosquitto()
    svc = await startService(
      kafkaEnv(
        {
          UNS_NAMESPACE_DIR: 'test/fixtures/sparkplug/namespace',
          UNS_SPARKPLUG_HOST_ID: 'ext-host',
          UNS_SPARKPLUG_REORDER_TIMEOUT_MS: '400',
          UNS_SPARKPLUG_REBIRTH_MIN_INTERVAL_MS: '60000',
          UNS_INSTANCE_ID: 'ext-1',
        },
        topics,
      ),
      // plant/# as well: the derived values' own topics, to show they are not ingested a second time.
      `mqtt:\n  external:\n    url: ${broker.url}\n    clientId: uns-ext-1\n    subscriptions: ["acme/#", "plant/#"]\n`,
    )
  })
  after(async () => {
    await svc?.close()
    await broker?.close()
  })

  it("has the host's SUBSCRIBE (STATE and spBv1.0/#) reach mosquitto before its STATE PUBLISH", async () => {
    // [tck-id-host-topic-phid-birth-sub-required, tck-id-message-flow-phid-sparkplug-subscription,
    // tck-id-payloads-state-subscribe]
    const mine = await eventually(() => {
      const p = broker.packets().filter((x) => x.clientId === 'ext-host-host' && x.direction === 'received')
      return p.some((x) => x.type === 'PUBLISH') ? p : undefined
    })
    const sub = mine.findIndex((x) => x.type === 'SUBSCRIBE')
    const pub = mine.findIndex((x) => x.type === 'PUBLISH' && x.topics[0] === 'spBv1.0/STATE/ext-host')
    assert.ok(sub >= 0 && sub < pub, `SUBSCRIBE #${sub} before STATE PUBLISH #${pub}`)
    assert.deepEqual([...(mine[sub]?.topics ?? [])].sort(), ['spBv1.0/#', 'spBv1.0/STATE/ext-host'])
  })

  it('turns QoS 0 births and alias-only DATA of an edge on mosquitto into Kafka records and REST values', async () => {
    const edge = await connectEdge(broker.url, GROUP, EDGE, 0)
    edgeClient = edge
    dcmds = await record(edge, `spBv1.0/${GROUP}/DCMD/${EDGE}/${DEVICE}`)
    await send(edge, T('NBIRTH'), nbirth({ bdSeq: 0 }), QOS0)
    await send(edge, T('DBIRTH', GROUP, EDGE, DEVICE), dbirth(1), QOS0)
    // [tck-id-payloads-alias-data-cmd-requirement]: DATA names metrics by the BIRTH's alias only.
    await send(edge, T('DDATA', GROUP, EDGE, DEVICE), ddata(2, 3.25, 8), QOS0)
    const speed = await eventually(() => (value(`${PRESS}/speed`)?.value === 3.25 ? true : undefined), 15000)
    assert.ok(speed)
    const res = await fetch(`${svc.httpUrl}/api/v1/values?filter=${encodeURIComponent(`${PRESS}/#`)}`)
    assert.equal(res.status, 200)
    const body = await res.text()
    assert.match(body, /3\.25/)
    // Raw bytes keyed by Sparkplug topic, JSON envelopes by UNS path.
    const raw = await readTopic(topics.sparkplug, 4, 30000, undefined, (rs) =>
      rs.some((r) => r.key === T('DDATA', GROUP, EDGE, DEVICE)),
    )
    assert.ok(raw.find((r) => r.key === T('NBIRTH'))?.value?.equals(Buffer.from(nbirth({ bdSeq: 0 }))))
    const fromData = (r: ReadRecord) => r.key === `${PRESS}/speed` && r.value?.toString().includes('3.25')
    const telemetry = await readTopic(topics.telemetry, 0, 30000, undefined, (rs) => rs.some(fromData))
    // The alias-only DDATA resolved to the BIRTH's names and datatypes.
    const envelope = telemetry.find(fromData)
    assert.equal((JSON.parse(envelope?.value?.toString() ?? '{}') as { datatype?: string }).datatype, 'Float')
  })

  it('sends a write from the REST API as a DCMD through mosquitto to the edge', async () => {
    const res = await fetch(`${svc.httpUrl}/api/v1/nodes/${PRESS}/setpoint/write`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: 250 }),
    })
    assert.equal(res.status, 202, await res.text())
    const cmd = await eventually(() => dcmds[0], 15000)
    // [tck-id-payloads-dcmd-qos, tck-id-payloads-dcmd-retain]
    assert.equal(cmd.qos, 0)
    assert.equal(cmd.retain, false)
    const m = P.Payload.decode(cmd.payload).metrics[0]
    assert.equal(Number(m?.alias), 12)
    assert.equal(m?.intValue, 250)
  })

  it('publishes derived values retained on mosquitto and does not ingest them (or a peer’s) again', async () => {
    // A fresh subscriber gets the current value as a retained message tagged with this instance.
    const reader = await mqtt.connectAsync(broker.url, { protocolVersion: 5, reconnectPeriod: 0 })
    const got: { payload: Buffer; retain: boolean; origin: unknown }[] = []
    reader.on('message', (_t, payload, packet) =>
      got.push({ payload, retain: packet.retain, origin: packet.properties?.userProperties?.['uns-origin'] }),
    )
    await reader.subscribeAsync(`${PRESS}/speed`, { qos: 1 })
    const retained = await eventually(() => got[0], 15000)
    assert.equal(retained.retain, true)
    assert.equal(retained.origin, 'ext-1')
    assert.equal((JSON.parse(retained.payload.toString()) as { value: number }).value, 3.25)
    // A peer instance's republish (same property, other id) is acknowledged and not ingested.
    await reader.publishAsync(`${PRESS}/speed`, JSON.stringify({ value: 999 }), {
      qos: 1,
      properties: { userProperties: { 'uns-origin': 'ext-peer' } },
    })
    await reader.publishAsync('acme/marker', JSON.stringify({ value: 1 }), { qos: 1 })
    // The marker published after it is in Kafka, so the peer's message was handled before it.
    const telemetry = await readTopic(topics.telemetry, 0, 30000, undefined, (rs) =>
      rs.some((r) => r.key === 'acme/marker'),
    )
    assert.equal(telemetry.filter((r) => r.value?.toString().includes('999')).length, 0)
    // Our own republishes were never even sent back to the ingest session (No Local): the only live
    // plant/ message mosquitto sent it is the peer's.
    const echoed = broker
      .packets()
      .filter((p) => p.type === 'PUBLISH' && p.direction === 'sent' && p.clientId === 'uns-ext-1')
      .filter((p) => p.topics[0]?.startsWith('plant/') && p.retain !== true)
    assert.equal(echoed.length, 1, JSON.stringify(echoed))
    assert.equal(value(`${PRESS}/speed`)?.value, 3.25)
    await reader.endAsync()
  })

  it('marks the edge’s values stale in the REST API when its Will (NDEATH) arrives through mosquitto', async () => {
    // No DISCONNECT: the socket dies and mosquitto publishes the Will [tck-id-conformance-mqtt-will-messages].
    edgeClient?.stream.destroy()
    // [tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-tags-stale, -devices-tags-stale]
    await eventually(async () => {
      const res = await fetch(`${svc.httpUrl}/api/v1/values?filter=${encodeURIComponent(`${PRESS}/speed`)}`)
      return /stale/.test(await res.text()) ? true : undefined
    }, 15000)
    assert.equal(value(`${PRESS}/speed`)?.quality, 'stale')
    const raw = await readTopic(topics.sparkplug, 0, 30000, undefined, (rs) =>
      rs.some((r) => r.key === T('NDEATH')),
    )
    assert.ok(raw.find((r) => r.key === T('NDEATH'))?.value?.equals(Buffer.from(ndeath(0))))
    edgeClient?.end(true)
  })

  it('sends the rebirth NCMD through mosquitto to the edge on a sequence gap', async () => {
    const edge = await connectEdge(broker.url, 'G-gap', 'E1', 0)
    const cmds = await record(edge, 'spBv1.0/G-gap/NCMD/E1')
    await send(edge, T('NBIRTH', 'G-gap', 'E1'), nbirth(), QOS0)
    await send(edge, T('NDATA', 'G-gap', 'E1'), ndata(1, 30), QOS0)
    await send(edge, T('NDATA', 'G-gap', 'E1'), ndata(3, 32), QOS0)
    const cmd = await eventually(() => cmds[0], 5000)
    assert.equal(P.Payload.decode(cmd.payload).metrics[0]?.name, 'Node Control/Rebirth')
    await edge.endAsync()
  })
})

describe('external-broker mode with republish off', () => {
  it('publishes no derived values to mosquitto and still fills the tree', async () => {
    const broker = await startMosquitto()
    const svc = await startService(
      { UNS_NAMESPACE_DIR: 'test/fixtures/sparkplug/namespace', UNS_SPARKPLUG_HOST_ID: 'off-host' },
      `mqtt:\n  external:\n    url: ${broker.url}\n    clientId: uns-off\n    republish: false\n`,
    )
    after(async () => {
      await svc.close()
      await broker.close()
    })
    const edge = await connectEdge(broker.url, GROUP, EDGE, 0)
    await send(edge, T('NBIRTH'), nbirth({ bdSeq: 0 }), QOS0)
    await send(edge, T('DBIRTH', GROUP, EDGE, DEVICE), dbirth(1), QOS0)
    await eventually(() => svc.service.tree.node(`${PRESS}/speed`).value, 15000)
    // The edge's messages reached the service; none of the service's clients published a UNS value.
    const fromService = broker
      .packets()
      .filter((p) => p.type === 'PUBLISH' && p.direction === 'received')
      .filter((p) => p.clientId === 'uns-off' || p.clientId === 'off-host-host')
    assert.deepEqual(
      fromService.map((p) => p.topics[0]),
      ['spBv1.0/STATE/off-host'],
      'only the host STATE birth',
    )
    await edge.endAsync()
  })
})

describe('external-broker mode behind the README’s Mosquitto password file and ACL', () => {
  it('ingests births, sends the DCMD and republishes with only the rights the README grants', async () => {
    // The ACL block of README "Use with your existing broker", verbatim, plus rules for the test's edge
    // and reader.
    const readme = readFileSync('README.md', 'utf8')
    const block = /```conf\n(# \/etc\/mosquitto\/acl[^\n]*\n[\s\S]*?)```/.exec(readme)?.[1]
    assert.ok(block, 'README has the ACL block')
    const dir = mkdtempSync(join(tmpdir(), 'uns-acl-'))
    const acl = join(dir, 'acl')
    // The fixture's unmapped node metrics land on the pathTemplate's root, G1/.
    writeFileSync(
      acl,
      `${block}topic write G1/#\n\nuser edge\ntopic readwrite spBv1.0/#\n\nuser reader\ntopic read plant/#\n`,
    )
    const broker = await startMosquitto({
      allowAnonymous: false,
      users: { 'uns-bridge': 'bridge-pw', edge: 'edge-pw', reader: 'reader-pw' },
      extraConfig: [`acl_file ${acl}`],
    })
    const svc = await startService(
      {
        UNS_NAMESPACE_DIR: 'test/fixtures/sparkplug/namespace',
        UNS_SPARKPLUG_HOST_ID: 'acl-host',
        UNS_MQTT_EXTERNAL_USERNAME: 'uns-bridge',
        UNS_MQTT_EXTERNAL_PASSWORD: 'bridge-pw',
      },
      `mqtt:\n  external:\n    url: ${broker.url}\n    clientId: uns-acl\n    subscriptions: ["acme/#"]\n`,
    )
    after(async () => {
      await svc.close()
      await broker.close()
    })
    const edge = await mqtt.connectAsync(broker.url, {
      clientId: 'edge-acl',
      username: 'edge',
      password: 'edge-pw',
      reconnectPeriod: 0,
    })
    const dcmds = await record(edge, `spBv1.0/${GROUP}/DCMD/${EDGE}/${DEVICE}`)
    await send(edge, T('NBIRTH'), nbirth({ bdSeq: 0 }), QOS0)
    await send(edge, T('DBIRTH', GROUP, EDGE, DEVICE), dbirth(1), QOS0)
    await eventually(() => svc.service.tree.node(`${PRESS}/speed`).value, 15000)
    const res = await fetch(`${svc.httpUrl}/api/v1/nodes/${PRESS}/setpoint/write`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ value: 7 }),
    })
    assert.equal(res.status, 202)
    assert.equal(P.Payload.decode((await eventually(() => dcmds[0], 15000)).payload).metrics[0]?.intValue, 7)
    const reader = await mqtt.connectAsync(broker.url, {
      username: 'reader',
      password: 'reader-pw',
      reconnectPeriod: 0,
    })
    const retained: Buffer[] = []
    reader.on('message', (_t, payload, packet) => void (packet.retain && retained.push(payload)))
    await reader.subscribeAsync(`${PRESS}/speed`, { qos: 1 })
    await eventually(() => retained[0], 15000)
    // Nothing uns-bridge does was refused by the ACL.
    assert.doesNotMatch(broker.log(), /Denied PUBLISH from (uns-acl|acl-host-host)/)
    await reader.endAsync()
    await edge.endAsync()
  })
})
