// The Sparkplug B host application and Sparkplug-aware broker over real MQTT, against a running service
// (without Kafka; the Kafka side is in sparkplug-kafka.test.ts). Payloads are built with the Tahu
// protobuf classes (test/fixtures/sparkplug), never with our codec.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import {
  DEVICE,
  EDGE,
  GROUP,
  P,
  dbirth,
  ddata,
  ddeath,
  nbirth,
  ndata,
  ndeath,
} from '../fixtures/sparkplug/index.js'
import { eventually, startService, type TestService } from '../helpers/service.js'
import { connectEdge, record, send, sleep } from './sparkplug-helpers.js'

const PRESS = 'plant/site/area/line/press'
const NS_DIR = 'test/fixtures/sparkplug/namespace'
const T = (type: string, group = GROUP, edge = EDGE, device?: string) =>
  `spBv1.0/${group}/${type}/${edge}${device === undefined ? '' : `/${device}`}`

describe('Sparkplug host application over real MQTT', () => {
  let svc: TestService
  const value = (path: string) => {
    try {
      return svc.service.tree.node(path).value
    } catch {
      return undefined
    }
  }
  const problems = async (code: string): Promise<number> => {
    const m = await svc.service.metrics.sparkplugProblems.get()
    return m.values.find((v) => v.labels.code === code)?.value ?? 0
  }

  before(async () => {
    svc = await startService({
      UNS_NAMESPACE_DIR: NS_DIR,
      UNS_SPARKPLUG_HOST_ID: 'itest-host',
      UNS_SPARKPLUG_REORDER_TIMEOUT_MS: '400',
      UNS_SPARKPLUG_REBIRTH_MIN_INTERVAL_MS: '60000',
    })
  })
  after(() => svc.close())

  it('publishes its STATE birth retained with QoS 1 and refuses anyone else declaring it offline', async () => {
    const observer = await svc.connect()
    const states = await record(observer, 'spBv1.0/STATE/itest-host')
    // The retained birth [tck-id-host-topic-phid-birth-topic, -birth-retain, -birth-qos, -birth-payload].
    const birth = await eventually(() => states[0])
    assert.equal(birth.retain, true)
    assert.equal(birth.qos, 1)
    const body = JSON.parse(birth.payload.toString()) as { online: boolean; timestamp: number }
    assert.equal(body.online, true)
    assert.ok(Math.abs(body.timestamp - Date.now()) < 60_000)

    // This test used to fake our STATE offline from an ordinary client and watch the host re-assert online.
    // Since issue 12 only uns-bridge's own host client may publish spBv1.0/STATE/<its host id>: a fake
    // online:false makes every edge node waiting for this host disconnect
    // [tck-id-operational-behavior-edge-node-termination-host-offline], so in a real deployment nobody else
    // can send it. The broker refuses it and closes that client's connection [MQTT-3.3.5-2]. Re-asserting
    // online after an offline STATE [tck-id-message-flow-hid-sparkplug-state-message-delivered] stays tested
    // at the host's state machine (test/sparkplug/session.test.ts).
    const other = await svc.connect()
    other.on('error', () => {})
    const closed = new Promise<void>((resolve) => other.once('close', () => resolve()))
    other.publish('spBv1.0/STATE/itest-host', JSON.stringify({ online: false, timestamp: body.timestamp }), {
      qos: 1,
      retain: true,
    })
    await closed
    const late = await svc.connect()
    const lateStates = await record(late, 'spBv1.0/STATE/itest-host')
    const retained = await eventually(() => lateStates[0])
    assert.deepEqual(JSON.parse(retained.payload.toString()), { online: true, timestamp: body.timestamp })
    assert.ok(states.every((s) => (JSON.parse(s.payload.toString()) as { online: boolean }).online))
  })

  it('turns NBIRTH and DBIRTH into typed values on mapped ISA-95 paths and retained JSON envelopes', async () => {
    const edge = await connectEdge(svc.mqttUrl, GROUP, EDGE, 0)
    await send(edge, T('NBIRTH'), nbirth({ bdSeq: 0 }))
    await send(edge, T('DBIRTH', GROUP, EDGE, DEVICE), dbirth(1))
    const speed = await eventually(() => value(`${PRESS}/speed`))
    assert.equal(speed.value, 1.5)
    assert.equal(speed.datatype, 'Float')
    assert.equal(speed.quality, 'good')
    assert.equal(speed.source, `${GROUP}/${EDGE}/${DEVICE}`)
    // The unit is the namespace's (the Press model declares rpm, like the BIRTH's engUnit).
    assert.equal(svc.service.tree.node(`${PRESS}/speed`).definition.unit, 'rpm')
    assert.equal(value(`${PRESS}/count`)?.datatype, 'UInt32')
    assert.equal(value(`${PRESS}/setpoint`)?.value, 100)
    // Node metrics land on the default template path.
    assert.equal(value(`${GROUP}/${EDGE}/Temperature`)?.value, 21.5)
    assert.equal(value(`${GROUP}/${EDGE}/Status`)?.datatype, 'String')

    // Plain MQTT clients see clean JSON, retained.
    const plain = await svc.connect()
    const got = await record(plain, `${PRESS}/#`)
    const env = await eventually(() => got.find((m) => m.topic === `${PRESS}/speed`))
    assert.equal(env.retain, true)
    const json = JSON.parse(env.payload.toString()) as Record<string, unknown>
    assert.equal(json.value, 1.5)
    assert.equal(json.datatype, 'Float')
    assert.equal(json.quality, 'good')

    // Alias-only DDATA [tck-id-payloads-alias-data-cmd-requirement]: UInt32 max in the 32-bit field.
    await send(edge, T('DDATA', GROUP, EDGE, DEVICE), ddata(2, 3.25, 4294967295))
    await eventually(() => (value(`${PRESS}/count`)?.value === 4294967295 ? true : undefined))
    assert.equal(value(`${PRESS}/speed`)?.value, 3.25)
    const live = await eventually(() =>
      got.find((m) => m.topic === `${PRESS}/count` && m.payload.includes('4294967295')),
    )
    assert.equal((JSON.parse(live.payload.toString()) as { datatype: string }).datatype, 'UInt32')
    await edge.endAsync()
  })

  it('keeps the latest births as byte-identical retained certificates and refuses client publishes there', async () => {
    const edge = await connectEdge(svc.mqttUrl, 'G-cert', 'E-cert', 3)
    const nb = nbirth({ bdSeq: 3 })
    const db = dbirth(1)
    await send(edge, T('NBIRTH', 'G-cert', 'E-cert'), nb)
    await send(edge, T('DBIRTH', 'G-cert', 'E-cert', 'D-cert'), db)
    const observer = await svc.connect()
    const certs = await record(observer, '$sparkplug/certificates/spBv1.0/G-cert/#')
    // [tck-id-conformance-mqtt-aware-nbirth-mqtt-topic, -nbirth-mqtt-retain, -dbirth-mqtt-topic, -dbirth-mqtt-retain]
    const n = await eventually(() => certs.find((c) => c.topic.endsWith('/NBIRTH/E-cert')))
    const d = await eventually(() => certs.find((c) => c.topic.endsWith('/DBIRTH/E-cert/D-cert')))
    assert.equal(n.topic, '$sparkplug/certificates/spBv1.0/G-cert/NBIRTH/E-cert')
    assert.equal(n.retain, true)
    assert.ok(n.payload.equals(Buffer.from(nb)))
    assert.equal(d.retain, true)
    assert.ok(d.payload.equals(Buffer.from(db)))

    // Clients may not publish to $sparkplug/#: the broker refuses and nothing is delivered.
    const rogue = await svc.connect()
    rogue.on('error', () => {})
    rogue.publish('$sparkplug/certificates/spBv1.0/G-cert/NBIRTH/E-cert', Buffer.from('forged'), { qos: 0 })
    await sleep(300)
    assert.equal(certs.filter((c) => c.payload.toString() === 'forged').length, 0)
    const again = await svc.connect()
    const retained = await record(again, '$sparkplug/certificates/spBv1.0/G-cert/NBIRTH/E-cert')
    const r = await eventually(() => retained[0])
    assert.ok(r.payload.equals(Buffer.from(nb)))
    await edge.endAsync()
  })

  it('marks a node and its devices stale on the matching NDEATH and ignores a late one with an old bdSeq', async () => {
    const edge = await connectEdge(svc.mqttUrl, 'G-death', 'E1', 5)
    await send(edge, T('NBIRTH', 'G-death', 'E1'), nbirth({ bdSeq: 5 }))
    await send(edge, T('DBIRTH', 'G-death', 'E1', 'D1'), dbirth(1))
    await eventually(() => value('G-death/E1/D1/Speed'))
    // A will of an older session arrives late [tck-id-topics-nbirth-bdseq-matching].
    await send(edge, T('NDEATH', 'G-death', 'E1'), ndeath(4))
    await sleep(200)
    assert.equal(value('G-death/E1/Temperature')?.quality, 'good')
    assert.equal(await problems('UNS_ERR_SPB_DEATH_IGNORED'), 1)
    // The matching one [tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-tags-stale,
    // -devices-tags-stale].
    await send(edge, T('NDEATH', 'G-death', 'E1'), ndeath(5))
    await eventually(() => (value('G-death/E1/Temperature')?.quality === 'stale' ? true : undefined))
    assert.equal(value('G-death/E1/D1/Speed')?.quality, 'stale')
    const node = svc.service.sparkplug.nodes().find((x) => x.group === 'G-death')
    assert.equal(node?.online, false)
    assert.equal(node?.devices[0]?.online, false)
    await edge.endAsync()
  })

  it('marks only the device stale on DDEATH', async () => {
    const edge = await connectEdge(svc.mqttUrl, 'G-dd', 'E1', 0)
    await send(edge, T('NBIRTH', 'G-dd', 'E1'), nbirth())
    await send(edge, T('DBIRTH', 'G-dd', 'E1', 'D1'), dbirth(1))
    await eventually(() => value('G-dd/E1/D1/Speed'))
    // [tck-id-operational-behavior-edge-node-termination-host-action-ddeath-devices-tags-stale]
    await send(edge, T('DDEATH', 'G-dd', 'E1', 'D1'), ddeath(2, Date.now()))
    await eventually(() => (value('G-dd/E1/D1/Speed')?.quality === 'stale' ? true : undefined))
    assert.equal(value('G-dd/E1/Temperature')?.quality, 'good')
    await edge.endAsync()
  })

  it('delivers an edge node will (NDEATH) on abnormal disconnect and marks the node stale', async () => {
    const edge = await connectEdge(svc.mqttUrl, 'G-will', 'E1', 7)
    await send(edge, T('NBIRTH', 'G-will', 'E1'), nbirth({ bdSeq: 7 }))
    await eventually(() => value('G-will/E1/Temperature'))
    const observer = await svc.connect()
    const deaths = await record(observer, 'spBv1.0/G-will/NDEATH/E1')
    // No DISCONNECT packet: the socket just dies [tck-id-conformance-mqtt-will-messages].
    edge.stream.destroy()
    const will = await eventually(() => deaths[0])
    assert.ok(will.payload.equals(Buffer.from(ndeath(7))))
    await eventually(() => (value('G-will/E1/Temperature')?.quality === 'stale' ? true : undefined))
    edge.end(true)
  })

  it('answers DATA before any BIRTH with exactly one Rebirth request', async () => {
    const edge = await connectEdge(svc.mqttUrl, 'G-early', 'E1', 0)
    const cmds = await record(edge, 'spBv1.0/G-early/NCMD/E1')
    for (let seq = 0; seq < 3; seq++) await send(edge, T('NDATA', 'G-early', 'E1'), ndata(seq, 20 + seq))
    const cmd = await eventually(() => cmds[0])
    await sleep(300)
    assert.equal(cmds.length, 1, 'rate limited to one request')
    // Ch.5 Rebirth request: NCMD Node Control/Rebirth = true, no seq, QoS 0, not retained
    // [tck-id-topics-ncmd-mqtt, tck-id-payloads-ncmd-qos, tck-id-payloads-ncmd-retain].
    const p = P.Payload.decode(cmd.payload)
    assert.equal(p.metrics[0]?.name, 'Node Control/Rebirth')
    assert.equal(p.metrics[0]?.booleanValue, true)
    assert.equal(P.Payload.toObject(p).seq, undefined)
    assert.equal(cmd.retain, false)
    await edge.endAsync()
  })

  it('requests a Rebirth when a sequence gap stays open past the reorder timeout, and not before', async () => {
    const edge = await connectEdge(svc.mqttUrl, 'G-gap', 'E1', 0)
    const cmds = await record(edge, 'spBv1.0/G-gap/NCMD/E1')
    await send(edge, T('NBIRTH', 'G-gap', 'E1'), nbirth())
    await send(edge, T('NDATA', 'G-gap', 'E1'), ndata(1, 30))
    await send(edge, T('NDATA', 'G-gap', 'E1'), ndata(3, 32)) // seq 2 missing
    await sleep(150)
    assert.equal(cmds.length, 0, 'no request while the reorder timeout runs')
    // [tck-id-operational-behavior-host-reordering-rebirth]
    const cmd = await eventually(() => cmds[0], 3000)
    assert.equal(P.Payload.decode(cmd.payload).metrics[0]?.name, 'Node Control/Rebirth')
    // What waited is applied once the host gives up on the gap.
    assert.equal(value('G-gap/E1/Temperature')?.value, 32)
    await edge.endAsync()
  })

  it('counts garbage, empty and truncated payloads and malformed topics, and keeps serving', async () => {
    const edge = await connectEdge(svc.mqttUrl, 'G-junk', 'E1', 0)
    await send(edge, T('NBIRTH', 'G-junk', 'E1'), nbirth())
    await send(edge, T('DBIRTH', 'G-junk', 'E1', 'D1'), dbirth(1))
    const before = {
      payload: await problems('UNS_ERR_SPB_PAYLOAD_INVALID'),
      topic: await problems('UNS_ERR_SPB_TOPIC_INVALID'),
    }
    const good = ddata(2, 9.5, 1)
    await send(edge, T('DDATA', 'G-junk', 'E1', 'D1'), Buffer.from('\xff\xff\xff garbage'))
    await send(edge, T('DDATA', 'G-junk', 'E1', 'D1'), new Uint8Array(0))
    await send(edge, T('DDATA', 'G-junk', 'E1', 'D1'), good.subarray(0, good.length - 3))
    await send(edge, 'spBv1.0/G-junk/NOPE/E1', good)
    await send(edge, 'spBv1.0/G-junk', good)
    await send(edge, 'spBv1.0/G-junk/DDATA/E1', good) // a device message without a device id
    assert.ok(edge.connected, 'the edge stays connected')
    // Other data still flows: the next valid DDATA (seq 2: junk had no usable seq) is applied.
    await send(edge, T('DDATA', 'G-junk', 'E1', 'D1'), good)
    await eventually(() => (value('G-junk/E1/D1/Speed')?.value === 9.5 ? true : undefined))
    assert.ok((await problems('UNS_ERR_SPB_PAYLOAD_INVALID')) - before.payload >= 2)
    assert.equal((await problems('UNS_ERR_SPB_TOPIC_INVALID')) - before.topic, 3)
    const res = await fetch(`${svc.httpUrl}/metrics`)
    assert.match(await res.text(), /uns_sparkplug_problems_total\{code="UNS_ERR_SPB_TOPIC_INVALID"\} \d+/)
    await edge.endAsync()
  })

  it('sends a Rebirth request an operator asks for, and lists nodes with status and sequence numbers', async () => {
    const edge = await connectEdge(svc.mqttUrl, 'G-op', 'E1', 9)
    const cmds = await record(edge, 'spBv1.0/G-op/NCMD/E1')
    await send(edge, T('NBIRTH', 'G-op', 'E1'), nbirth({ bdSeq: 9, seq: 250 }))
    await send(edge, T('DBIRTH', 'G-op', 'E1', 'D1'), dbirth(251))
    await eventually(() => value('G-op/E1/D1/Speed'))
    const sent = await svc.service.sparkplug.rebirth('G-op', 'E1')
    assert.equal(sent.topic, 'spBv1.0/G-op/NCMD/E1')
    await eventually(() => cmds[0])
    const node = svc.service.sparkplug.nodes().find((n) => n.group === 'G-op')
    assert.equal(node?.online, true)
    assert.equal(String(node?.bdSeq), '9')
    assert.equal(node?.lastSeq, 251)
    assert.equal(node?.devices[0]?.metricCount, 3)
    await assert.rejects(svc.service.sparkplug.rebirth('G-op', 'nope'), {
      code: 'UNS_ERR_SPB_NODE_NOT_FOUND',
    })
    await edge.endAsync()
  })

  it('publishes STATE offline, retained, when the service shuts down', async () => {
    const other = await startService({ UNS_NAMESPACE_DIR: NS_DIR, UNS_SPARKPLUG_HOST_ID: 'itest-bye' })
    const observer = await mqttObserver(other.mqttUrl)
    const states = await record(observer, 'spBv1.0/STATE/itest-bye')
    await eventually(() => states[0])
    // [tck-id-host-topic-phid-death-payload-timestamp-disconnect-clean]: offline before DISCONNECT.
    const closing = other.service.close()
    const off = await eventually(() =>
      states.find((s) => !(JSON.parse(s.payload.toString()) as { online: boolean }).online),
    )
    await closing
    assert.equal(off.qos, 1)
    observer.end(true)
  })
})

async function mqttObserver(url: string) {
  const { default: mqtt } = await import('mqtt')
  return mqtt.connectAsync(url, { reconnectPeriod: 0 })
}
