// Sparkplug B into Kafka and Kafka commands back to Sparkplug, against the real Kafka: raw bytes on
// uns.sparkplug, JSON envelopes on telemetry/state by UNS path, malformed input on the dead-letter topic,
// and uns.commands records written as DCMD (or refused, or published as plain MQTT as before).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { P, dbirth, nbirth } from '../fixtures/sparkplug/index.js'
import { createTopic, produce, readTopic, topicExists, type ReadRecord } from '../helpers/kafka.js'
import { eventually, kafkaEnv, startService, uniqueTopics, type TestService } from '../helpers/service.js'
import { connectEdge, record, send, sleep, type Received } from './sparkplug-helpers.js'

const PRESS = 'plant/site/area/line/press'

describe('Sparkplug <-> Kafka', () => {
  let svc: TestService
  let edge: Awaited<ReturnType<typeof connectEdge>>
  let dcmds: Received[]
  const topics = uniqueTopics()
  const nb = nbirth()
  const db = dbirth(1)
  const T0 = 1764072000000

  before(async () => {
    await createTopic(topics.commands)
    svc = await startService(
      kafkaEnv(
        {
          UNS_NAMESPACE_DIR: 'test/fixtures/sparkplug/namespace',
          UNS_INSTANCE_ID: 'itest-spb',
        },
        topics,
      ),
    )
    await eventually(() => (svc.service.health().kafka.consumer === 'running' ? true : undefined), 30000)
    edge = await connectEdge(svc.mqttUrl, 'G1', 'E1', 0)
    dcmds = await record(edge, 'spBv1.0/G1/DCMD/E1/D1')
    await send(edge, 'spBv1.0/G1/NBIRTH/E1', nb)
    await send(edge, 'spBv1.0/G1/DBIRTH/E1/D1', db)
  })
  after(async () => {
    await edge.endAsync()
    await svc.close()
  })

  it('records the raw Sparkplug bytes keyed by the Sparkplug topic', async () => {
    // The host's own STATE birth is recorded too (it is Sparkplug traffic on this broker).
    const raw = await readTopic(topics.sparkplug, 3)
    assert.ok(raw.some((r) => r.key === 'spBv1.0/STATE/uns-bridge'))
    const n = raw.find((r) => r.key === 'spBv1.0/G1/NBIRTH/E1')
    const d = raw.find((r) => r.key === 'spBv1.0/G1/DBIRTH/E1/D1')
    assert.ok(n?.value?.equals(Buffer.from(nb)), 'NBIRTH byte-identical')
    assert.ok(d?.value?.equals(Buffer.from(db)), 'DBIRTH byte-identical')
    assert.equal(n?.headers['mqtt-qos'], '1')
  })

  it('sends each metric as a JSON envelope by UNS path to telemetry and to the compacted state topic', async () => {
    const byKey = (records: ReadRecord[], key: string) => records.find((r) => r.key === key)
    // Until the records asserted on arrived (how many state records a birth makes depends on coalescing).
    const state = await readTopic(topics.state, Infinity, 15000, undefined, (rs) =>
      [`${PRESS}/speed`, 'G1/E1/Temperature'].every((k) => byKey([...rs], k)),
    )
    const speed = byKey(state, `${PRESS}/speed`)
    assert.deepEqual(JSON.parse(speed?.value?.toString() ?? 'null'), {
      value: 1.5,
      timestamp: T0 + 1,
      quality: 'good',
      datatype: 'Float',
    })
    assert.equal(speed?.headers.source, 'G1/E1/D1')
    assert.ok(byKey(state, 'G1/E1/Temperature'), 'node metrics on the default template path')
    const telemetry = await readTopic(topics.telemetry, Infinity, 15000, undefined, (rs) =>
      Boolean(byKey([...rs], `${PRESS}/count`)),
    )
    const t = byKey(telemetry, `${PRESS}/count`)
    assert.equal((JSON.parse(t?.value?.toString() ?? 'null') as { datatype: string }).datatype, 'UInt32')
    // Lean headers by default: the Sparkplug topic is the key of the raw record, not a telemetry header.
    assert.equal(t?.headers['sparkplug-topic'], undefined)
  })

  it('sends historical values to telemetry only, leaving the current value and state alone', async () => {
    const hist = P.Payload.encode({
      timestamp: T0 + 50,
      seq: 2,
      metrics: [{ alias: 10, timestamp: T0 - 60_000, floatValue: 77, isHistorical: true }],
    }).finish()
    await send(edge, 'spBv1.0/G1/DDATA/E1/D1', hist)
    const historical = (rs: readonly ReadRecord[]) =>
      rs.some((x) => x.key === `${PRESS}/speed` && x.value?.toString().includes('77'))
    assert.ok(historical(await readTopic(topics.telemetry, Infinity, 15000, undefined, historical)))
    assert.equal(svc.service.tree.node(`${PRESS}/speed`).value?.value, 1.5)
    const state = await readTopic(topics.state, 8, 2000)
    assert.equal(
      state.filter((r) => r.key === `${PRESS}/speed`).length,
      1,
      'no state record for the historical value',
    )
  })

  it('sends transient values to the current state only, not to the telemetry history', async () => {
    const transient = P.Payload.encode({
      timestamp: T0 + 60,
      seq: 3,
      metrics: [{ alias: 11, timestamp: T0 + 60, intValue: 4242, isTransient: true }],
    }).finish()
    await send(edge, 'spBv1.0/G1/DDATA/E1/D1', transient)
    const transientState = (rs: readonly ReadRecord[]) =>
      rs.some((x) => x.key === `${PRESS}/count` && x.value?.toString().includes('4242'))
    assert.ok(transientState(await readTopic(topics.state, Infinity, 15000, undefined, transientState)))
    assert.equal(svc.service.tree.node(`${PRESS}/count`).value?.value, 4242)
    const telemetry = await readTopic(topics.telemetry, 9, 2000)
    assert.equal(telemetry.filter((r) => r.value?.toString().includes('4242')).length, 0)
  })

  it('sends malformed Sparkplug payloads and topics to the dead-letter topic with the reason', async () => {
    await send(edge, 'spBv1.0/G1/DDATA/E1/D1', Buffer.from('not protobuf \xff\xff'))
    await send(edge, 'spBv1.0/G1/BOGUS/E1', Buffer.from([1, 2, 3]))
    const dlq = await readTopic(topics.dlq, 2)
    const codes = dlq.map((r) => r.headers['error-code']).sort()
    assert.deepEqual(codes, ['UNS_ERR_SPB_PAYLOAD_INVALID', 'UNS_ERR_SPB_TOPIC_INVALID'])
    assert.ok(dlq.every((r) => (r.headers['error-reason'] ?? '').length > 0))
  })

  it('writes a uns.commands record for a writable Sparkplug tag as a DCMD with alias, datatype and no seq', async () => {
    await produce(topics.commands, [{ key: `${PRESS}/setpoint`, value: '{"value": 321}' }])
    const cmd = await eventually(() => dcmds[0], 15000)
    const p = P.Payload.decode(cmd.payload)
    // [tck-id-payloads-dcmd-seq, tck-id-payloads-alias-data-cmd-requirement]
    assert.equal(P.Payload.toObject(p).seq, undefined)
    assert.equal(Number(p.metrics[0]?.alias), 12)
    assert.equal(p.metrics[0]?.datatype, P.DataType.Int16)
    assert.equal(p.metrics[0]?.intValue, 321)
    const entry = svc.logs.find((l) => l.audit === 'write' && l.source === 'kafka')
    assert.equal(entry?.path, `${PRESS}/setpoint`)
    assert.equal(entry?.result, 'ok via sparkplug')
  })

  it('refuses a uns.commands record for a tag the namespace declares read-only, and still publishes others', async () => {
    const plain = await svc.connect()
    const seen = await record(plain, 'plant/site/area/line/#')
    const other = await record(plain, 'plant/site/area/line/ack')
    const before = dcmds.length
    await produce(topics.commands, [
      { key: `${PRESS}/speed`, value: '{"value": 5}' },
      // Declared, not writable, and no Sparkplug metric behind it: refused as well.
      { key: 'plant/site/area/line/mes/shift', value: '"night"' },
      { key: 'plant/site/area/line/ack', value: '"ok"' },
    ])
    await eventually(() => other[0], 15000)
    await sleep(300)
    assert.equal(dcmds.length, before, 'no DCMD for a read-only tag')
    assert.equal(seen.filter((m) => m.topic === `${PRESS}/speed` && !m.retain).length, 0)
    assert.equal(seen.filter((m) => m.topic.endsWith('/mes/shift')).length, 0)
    const refused = svc.logs.find((l) => l.audit === 'write' && l.path === `${PRESS}/speed`)
    assert.equal(refused?.result, 'UNS_ERR_WRITE_NOT_WRITABLE')
    const m = await svc.service.metrics.bridgeRecords.get()
    assert.equal(m.values.find((v) => v.labels.result === 'refused')?.value, 2)
    assert.equal(
      svc.logs.find((l) => l.audit === 'write' && l.path === 'plant/site/area/line/mes/shift')?.result,
      'UNS_ERR_WRITE_NOT_WRITABLE',
    )
  })
})

describe('kafka.sparkplugRaw false (issue 13)', () => {
  it('writes no raw Sparkplug records and creates no raw topic; the metrics still reach telemetry and state', async () => {
    const topics = uniqueTopics()
    const svc = await startService(
      kafkaEnv(
        {
          UNS_NAMESPACE_DIR: 'test/fixtures/sparkplug/namespace',
          UNS_INSTANCE_ID: 'itest-spb-noraw',
          UNS_KAFKA_SPARKPLUG_RAW: 'false',
        },
        topics,
      ),
    )
    try {
      await svc.ready()
      const edge = await connectEdge(svc.mqttUrl, 'G1', 'E1', 0)
      await send(edge, 'spBv1.0/G1/NBIRTH/E1', nbirth())
      await send(edge, 'spBv1.0/G1/DBIRTH/E1/D1', dbirth(1))
      await edge.endAsync()
      const speed = (rs: readonly ReadRecord[]) => rs.some((r) => r.key === `${PRESS}/speed`)
      assert.ok(speed(await readTopic(topics.state, Infinity, 15000, undefined, speed)))
      assert.equal(await topicExists(topics.sparkplug), false)
    } finally {
      await svc.close()
    }
  })
})
