// The first bridge path against the real Kafka: MQTT -> uns.telemetry, uns.commands -> MQTT.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createTopic, produce, readTopic } from '../helpers/kafka.js'
import {
  eventually,
  kafkaEnv,
  nextMessage,
  startService,
  uniqueTopics,
  type TestService,
} from '../helpers/service.js'

describe('MQTT <-> Kafka through the foundation bridge', () => {
  let svc: TestService
  const topics = uniqueTopics()
  const { telemetry, commands, state, dlq } = topics

  before(async () => {
    await createTopic(commands)
    svc = await startService(kafkaEnv({ UNS_INSTANCE_ID: 'itest-a' }, topics))
    await svc.ready()
  })
  after(() => svc.close())

  it('reports ready once Kafka is connected', async () => {
    const res = await fetch(`${svc.httpUrl}/health/ready`)
    assert.equal(res.status, 200)
    const body = (await res.json()) as {
      ready: boolean
      kafka: { state: string }
      mqtt: { listening: boolean }
    }
    assert.equal(body.ready, true)
    assert.equal(body.kafka.state, 'connected')
    assert.equal(body.mqtt.listening, true)
  })

  it('mirrors QoS 0 and 1, retained and not, into the telemetry topic with key, value and headers', async () => {
    const client = await svc.connect('plc-7')
    const sent = [
      { topic: 'acme/berlin/line-1/temp', payload: '21.5', qos: 0 as const, retain: false },
      { topic: 'acme/berlin/line-1/speed', payload: '{"value":3}', qos: 1 as const, retain: false },
      { topic: 'acme/berlin/line-1/mode', payload: '"auto"', qos: 1 as const, retain: true },
      { topic: 'acme/berlin/line-1/count', payload: '7', qos: 0 as const, retain: true },
    ]
    for (const m of sent) await client.publishAsync(m.topic, m.payload, { qos: m.qos, retain: m.retain })
    // Sparkplug and $SYS are not UNS telemetry
    await client.publishAsync('spBv1.0/g/NDATA/e', Buffer.from([1, 2]), { qos: 1 })

    const records = await readTopic(telemetry, sent.length)
    assert.equal(records.length, sent.length)
    for (const m of sent) {
      const r = records.find((x) => x.key === m.topic)
      assert.ok(r, `record for ${m.topic}`)
      assert.equal(r.value?.toString(), m.payload)
      // Lean headers (kafka.telemetryHeaders default): the key is the path, the value the bytes as
      // published, and nothing reads this topic back, so no header repeats them (issue 13).
      assert.deepEqual(r.headers, {})
    }
    assert.equal(records.filter((r) => r.key?.startsWith('spBv1.0')).length, 0)
  })

  it('sends invalid JSON to the dead-letter topic with the reason, and keeps it out of telemetry', async () => {
    const client = await svc.connect('bad-plc')
    await client.publishAsync('acme/berlin/line-9/broken', '{not json', { qos: 1 })
    const dead = (await readTopic(dlq, 2)).find((r) => r.key === 'acme/berlin/line-9/broken')
    assert.ok(dead)
    assert.equal(dead.key, 'acme/berlin/line-9/broken')
    assert.equal(dead.value?.toString(), '{not json')
    assert.equal(dead.headers['error-code'], 'UNS_ERR_NAMESPACE_PAYLOAD_INVALID')
    assert.match(dead.headers['error-reason'] ?? '', /not valid JSON/)
    assert.equal(dead.headers.source, 'bad-plc')
    const telemetryRecords = await readTopic(telemetry, 1000, 3000)
    assert.equal(telemetryRecords.filter((r) => r.key === 'acme/berlin/line-9/broken').length, 0)
  })

  it('writes the current value of each path as an envelope to the compacted state topic', async () => {
    const client = await svc.connect()
    await client.publishAsync('acme/berlin/line-3/temp', '{"value": 42.5, "timestamp": 1764072000000}', {
      qos: 1,
    })
    const records = await readTopic(state, 1000, 4000)
    const last = records.filter((r) => r.key === 'acme/berlin/line-3/temp').at(-1)
    assert.ok(last)
    assert.deepEqual(JSON.parse(last.value?.toString() ?? ''), {
      value: 42.5,
      timestamp: 1764072000000,
      quality: 'good',
    })
  })

  it('publishes a uns.commands record on MQTT at the path in its key', async () => {
    const sub = await svc.connect('mes-listener')
    await sub.subscribeAsync('acme/berlin/line-1/order', { qos: 1 })
    const got = nextMessage(sub)
    await produce(commands, [{ key: 'acme/berlin/line-1/order', value: '{"order":"PO-1"}' }])
    const { topic, payload } = await got
    assert.equal(topic, 'acme/berlin/line-1/order')
    assert.equal(payload.toString(), '{"order":"PO-1"}')
  })

  it('never bridges back its own records, and what it publishes from Kafka does not loop into Kafka', async () => {
    const sub = await svc.connect()
    await sub.subscribeAsync('loop/#', { qos: 1 })
    const seen: string[] = []
    sub.on('message', (t) => seen.push(t))
    await produce(commands, [
      { key: 'loop/own', value: '1', headers: { origin: 'itest-a' } },
      { key: 'loop/foreign', value: '2', headers: { origin: 'erp' } },
      { key: 'bad/+/wildcard', value: '3' },
    ])
    await eventually(() => (seen.includes('loop/foreign') ? true : undefined))
    await new Promise((r) => setTimeout(r, 500))
    assert.deepEqual(seen, ['loop/foreign'])
    // the Kafka -> MQTT publish is not produced to telemetry again
    const records = await readTopic(telemetry, 1000, 3000)
    assert.equal(records.filter((r) => r.key?.startsWith('loop/')).length, 0)
    const metrics = await (await fetch(`${svc.httpUrl}/metrics`)).text()
    assert.match(
      metrics,
      /uns_bridge_records_total\{direction="kafka_to_mqtt",result="skipped_own_origin"\} 1/,
    )
    assert.match(metrics, /uns_bridge_records_total\{direction="kafka_to_mqtt",result="invalid"\} 1/)
  })

  it('exposes the series that matter on /metrics, moving with the traffic', async () => {
    const client = await svc.connect('metrics-plc')
    await client.publishAsync('acme/berlin/line-5/temp', '20', { qos: 1 })
    const sse = await fetch(`${svc.httpUrl}/api/v1/stream?filter=acme/%23`)
    const text = await (await fetch(`${svc.httpUrl}/metrics`)).text()
    const value = (series: string): number => {
      const line = text.split('\n').find((l) => l.startsWith(series))
      return line === undefined ? Number.NaN : Number(line.slice(line.lastIndexOf(' ') + 1))
    }
    assert.ok(value('uns_mqtt_connections_total') >= 1)
    assert.ok(value('uns_mqtt_puback_delay_seconds_count') >= 1)
    assert.ok(value('uns_stage_events_total{stage="tree_applied"}') >= 1)
    assert.ok(value('uns_kafka_request_seconds_count') >= 1)
    assert.ok(
      value('uns_kafka_produce_seconds_count{direction="mqtt_to_kafka",route="default-telemetry"}') >= 1,
    )
    assert.ok(value('uns_bridge_inbound_records_total{route="commands",result="delivered"}') >= 1)
    assert.ok(value('uns_bridge_inbound_bytes_total{route="commands"}') >= 1)
    assert.ok(value('uns_tree_nodes{kind="values"}') >= 1)
    assert.equal(value('uns_sse_clients'), 1)
    assert.equal(value('uns_kafka_connected'), 1)
    await sse.body?.cancel()
  })

  it('serves MQTT over WebSocket at /mqtt on the HTTP port', async () => {
    const mqtt = (await import('mqtt')).default
    const ws = await mqtt.connectAsync(`ws://127.0.0.1:${svc.service.httpPort}/mqtt`, { reconnectPeriod: 0 })
    const tcp = await svc.connect()
    await tcp.subscribeAsync('ws/check')
    const got = nextMessage(tcp)
    await ws.publishAsync('ws/check', 'hello', { qos: 1 })
    const { payload } = await got
    assert.equal(payload.toString(), 'hello')
    await ws.endAsync()
  })
})
