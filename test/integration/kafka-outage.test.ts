// Kafka unreachable at start: MQTT and HTTP serve, readiness says so and why, one log line per state
// change, and the bridge connects (with backoff) and drains once Kafka is there, and readiness follows.
import { after, it } from 'node:test'
import assert from 'node:assert/strict'
import { freePort, startKafka, type LocalKafka } from '../../scripts/local-kafka.js'
import { readTopic, uniqueName } from '../helpers/kafka.js'
import { eventually, nextMessage, startService } from '../helpers/service.js'

interface Readiness {
  ready: boolean
  waitingFor: string[]
  kafka: { state: string; restored?: boolean; lastError?: string }
  registry: { state: string; lastError?: string }
}

it('serves MQTT and HTTP without Kafka, says so in readiness, and delivers the buffer once Kafka comes up', async () => {
  const kafkaPort = await freePort()
  const topic = uniqueName('uns.telemetry')
  const svc = await startService({
    UNS_KAFKA_BROKERS: `127.0.0.1:${kafkaPort}`,
    UNS_KAFKA_TOPICS_TELEMETRY: topic,
    UNS_KAFKA_CONNECT_TIMEOUT_MS: '300',
    UNS_KAFKA_RECONNECT_INITIAL_MS: '100',
    UNS_KAFKA_RECONNECT_MAX_MS: '800',
  })
  let kafka: LocalKafka | undefined = undefined
  after(async () => {
    await svc.close()
    await kafka?.stop()
  })

  const live = await fetch(`${svc.httpUrl}/health/live`)
  assert.equal(live.status, 200)
  const ready = await eventually(async () => {
    const res = await fetch(`${svc.httpUrl}/health/ready`)
    const body = (await res.json()) as Readiness
    const down = body.kafka.state === 'disconnected' && body.registry.lastError !== undefined
    return down ? { status: res.status, body } : undefined
  })
  assert.equal(ready.status, 503)
  assert.equal(ready.body.ready, false)
  assert.ok(ready.body.kafka.lastError, 'readiness tells why Kafka is not connected')
  assert.deepEqual(ready.body.waitingFor, ['kafka', 'state', 'registry'])
  assert.match(ready.body.registry.lastError ?? '', /ECONNREFUSED/, 'and why the registry is not restored')

  // Local MQTT keeps working: QoS 0 reaches subscribers at once.
  const sub = await svc.connect()
  await sub.subscribeAsync('outage/#')
  const pub = await svc.connect('outage-publisher')
  const got = nextMessage(sub)
  await pub.publishAsync('outage/qos0', '"during-outage"', { qos: 0 })
  await got
  // QoS 1 is held (no PUBACK) until Kafka has it.
  let qos1Acked = false
  const qos1 = pub.publishAsync('outage/qos1', '"held"', { qos: 1 }).then(() => (qos1Acked = true))

  await new Promise((r) => setTimeout(r, 2500)) // several reconnect attempts
  assert.equal(qos1Acked, false, 'no PUBACK while Kafka is down')
  const outageLogs = svc.logs.filter((l) => l.msg === 'Kafka unreachable; buffering')
  assert.equal(outageLogs.length, 1, 'the outage is logged once, not once per attempt')

  kafka = await startKafka({ port: kafkaPort })
  await qos1
  // Issue 11 item 8: on a broker that has just started, kafkajs gave up on the uns.state reader ("Failed
  // to find group coordinator") and readiness stayed 503 for good. Now it follows: measured 4.5-7.6 s
  // after the broker started, 2.3-4.5 s after this PUBACK, on 2 cores at load average 20-28; 30 s
  // leaves room for a slower machine and still fails on a reader that waits out restoreTimeoutMs (60 s).
  const readyBody = await eventually(async () => {
    const res = await fetch(`${svc.httpUrl}/health/ready`)
    return res.status === 200 ? ((await res.json()) as Readiness) : undefined
  }, 30000)
  assert.deepEqual(readyBody.waitingFor, [])
  assert.equal(readyBody.kafka.restored, true)
  assert.equal(readyBody.registry.state, 'persistent')
  const records = await readTopic(topic, 2, 15000, kafka.bootstrap)
  assert.deepEqual(records.map((r) => r.value?.toString()).sort(), ['"during-outage"', '"held"'])
  // A new topic without a leader yet is not an outage: no second "connected" after a false "unreachable".
  assert.equal(svc.logs.filter((l) => l.msg === 'Kafka producer connected').length, 1)
})
