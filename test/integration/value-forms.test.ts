// Issue 11: values keep their meaning, the same in REST, the MQTT republish and Kafka. Int64/UInt64
// values are decimal strings whatever their magnitude (a UInt64Array never mixes numbers and strings);
// a value going stale keeps the timestamp of its last sample and gains `staleSince`.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { P, T0, encode, ndeath } from '../fixtures/sparkplug/index.js'
import { readTopic, testBrokers, uniqueName } from '../helpers/kafka.js'
import { eventually, startService, type TestService } from '../helpers/service.js'
import { connectEdge, record, send, type Received } from './sparkplug-helpers.js'

const DT = P.DataType
const U64_MAX = { low: -1, high: -1, unsigned: true }
const BIG = 16444743074749521625n // the errata's UInt64Array vector: [52, BIG]

interface Envelope {
  value: unknown
  timestamp: number
  quality: string
  datatype?: string
  staleSince?: number
}

describe('value forms in REST, MQTT and Kafka', () => {
  let svc: TestService
  let edge: Awaited<ReturnType<typeof connectEdge>>
  let republished: Received[]
  const state = uniqueName('uns.state')
  const lastOf = (topic: string): Envelope | undefined => {
    const m = republished.filter((r) => r.topic === topic).at(-1)
    return m === undefined ? undefined : (JSON.parse(m.payload.toString()) as Envelope)
  }
  const rest = async (path: string): Promise<Envelope> => {
    const r = await fetch(`${svc.httpUrl}/api/v1/nodes/${path}`)
    assert.equal(r.status, 200, path)
    return ((await r.json()) as { value: Envelope }).value
  }

  before(async () => {
    svc = await startService({
      UNS_NAMESPACE_DIR: 'test/fixtures/sparkplug/namespace',
      UNS_KAFKA_BROKERS: testBrokers(),
      UNS_KAFKA_TOPICS_TELEMETRY: uniqueName('uns.telemetry'),
      UNS_KAFKA_TOPICS_COMMANDS: uniqueName('uns.commands'),
      UNS_KAFKA_TOPICS_STATE: state,
      UNS_KAFKA_TOPICS_DLQ: uniqueName('uns.dlq'),
      UNS_KAFKA_TOPICS_SPARKPLUG: uniqueName('uns.sparkplug'),
      UNS_KAFKA_CONSUMER_GROUP: uniqueName('group'),
      UNS_KAFKA_STATE_COALESCE_MS: '0',
    })
    const observer = await svc.connect()
    republished = await record(observer, 'G7/#')
    edge = await connectEdge(svc.mqttUrl, 'G7', 'E7', 0)
    await send(
      edge,
      'spBv1.0/G7/NBIRTH/E7',
      encode({
        timestamp: T0,
        seq: 0,
        metrics: [
          { name: 'bdSeq', datatype: DT.Int64, longValue: 0 },
          { name: 'Small', timestamp: T0, datatype: DT.UInt64, longValue: 42 },
          { name: 'Big', timestamp: T0, datatype: DT.UInt64, longValue: U64_MAX },
          { name: 'Neg', timestamp: T0, datatype: DT.Int64, longValue: -5 },
          {
            name: 'Arr',
            timestamp: T0,
            datatype: DT.UInt64Array,
            bytesValue: Buffer.from('3400000000000000d99e02d1b27637e4', 'hex'),
          },
          { name: 'When', timestamp: T0, datatype: DT.DateTime, longValue: T0 },
          { name: 'Temp', timestamp: T0, datatype: DT.Double, doubleValue: 21.5 },
        ],
      }),
    )
    await eventually(() => lastOf('G7/E7/Temp'))
  })
  after(async () => {
    await edge.endAsync()
    await svc.close()
  })

  it('writes every Int64/UInt64 value as a decimal string in REST, the MQTT republish and Kafka', async () => {
    const expected: Record<string, unknown> = {
      Small: '42',
      Big: '18446744073709551615',
      Neg: '-5',
      Arr: ['52', BIG.toString()],
      When: T0,
    }
    for (const [metric, value] of Object.entries(expected)) {
      const path = `G7/E7/${metric}`
      assert.deepEqual((await rest(path)).value, value, `REST ${path}`)
      assert.deepEqual((await eventually(() => lastOf(path))).value, value, `MQTT ${path}`)
    }
    const records = await readTopic(state, 6, 15000, undefined, (rs) =>
      Object.keys(expected).every((m) => rs.some((r) => r.key === `G7/E7/${m}`)),
    )
    for (const [metric, value] of Object.entries(expected)) {
      const r = records.find((x) => x.key === `G7/E7/${metric}`)
      assert.deepEqual((JSON.parse(r?.value?.toString() ?? '{}') as Envelope).value, value, `Kafka ${metric}`)
    }
    const tree = (await (await fetch(`${svc.httpUrl}/api/v1/tree?path=G7/E7`)).json()) as {
      children: { name: string; value?: Envelope }[]
    }
    assert.equal(tree.children.find((c) => c.name === 'Small')?.value?.value, '42', 'REST tree leaves')
  })

  it('keeps the last sample time of a value that goes stale and adds staleSince, everywhere', async () => {
    const before = Date.now()
    await send(edge, 'spBv1.0/G7/NDEATH/E7', ndeath(0))
    const mqtt = await eventually(() => {
      const e = lastOf('G7/E7/Temp')
      return e?.quality === 'stale' ? e : undefined
    })
    assert.equal(mqtt.timestamp, T0, 'the sample time, not the death time')
    assert.ok((mqtt.staleSince ?? 0) >= before, 'staleSince is the death (host) time')
    const fromRest = await rest('G7/E7/Temp')
    assert.deepEqual(
      [fromRest.value, fromRest.quality, fromRest.timestamp, fromRest.staleSince],
      [21.5, 'stale', T0, mqtt.staleSince],
    )
    const records = await readTopic(state, 12, 15000, undefined, (rs) =>
      rs.some((r) => r.key === 'G7/E7/Temp' && r.value?.toString().includes('stale') === true),
    )
    const last = records.filter((r) => r.key === 'G7/E7/Temp').at(-1)
    const kafka = JSON.parse(last?.value?.toString() ?? '{}') as Envelope
    assert.deepEqual([kafka.quality, kafka.timestamp, kafka.staleSince], ['stale', T0, mqtt.staleSince])
  })
})
