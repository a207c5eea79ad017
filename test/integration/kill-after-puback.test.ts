// [PRODUCT.md §5] A QoS 1 PUBACK means Kafka has the record: killing the service right after loses nothing.
import { after, it } from 'node:test'
import assert from 'node:assert/strict'
import mqtt from 'mqtt'
import { readTopic, testBrokers, uniqueName } from '../helpers/kafka.js'
import { startListeningCli } from '../helpers/process.js'
import { eventually } from '../helpers/service.js'

it('every QoS 1 message whose PUBACK arrived is in Kafka after the service is SIGKILLed mid-stream', async () => {
  const topic = uniqueName('uns.telemetry')
  const { child, mqttPort, httpPort } = await startListeningCli({
    UNS_HOST: '127.0.0.1',
    UNS_KAFKA_BROKERS: testBrokers(),
    UNS_KAFKA_TOPICS_TELEMETRY: topic,
  })
  after(() => child.kill('SIGKILL'))
  await eventually(async () => {
    const res = await fetch(`http://127.0.0.1:${httpPort}/health/ready`).catch(() => undefined)
    return res?.status === 200 ? true : undefined
  }, 30000)

  const client = await mqtt.connectAsync(`mqtt://127.0.0.1:${mqttPort}`, { reconnectPeriod: 0 })
  client.on('error', () => {})
  const acked: string[] = []
  let killed = false
  const publishes: Promise<void>[] = []
  for (let i = 0; i < 3000 && !killed; i++) {
    const id = `m${i}`
    publishes.push(
      client.publishAsync(`plant/line/${i % 10}`, JSON.stringify(id), { qos: 1 }).then(
        () => {
          if (killed) return
          acked.push(id)
          if (acked.length === 300) {
            killed = true
            child.kill('SIGKILL')
          }
        },
        () => {},
      ),
    )
    if (i % 50 === 49) await new Promise((r) => setImmediate(r))
  }
  await Promise.race([Promise.allSettled(publishes), new Promise((r) => setTimeout(r, 2000))])
  client.end(true)
  assert.ok(killed, 'the service was killed while messages were in flight')
  assert.ok(acked.length >= 300)

  const inKafka = new Set(
    (await readTopic(topic, 3000, 8000)).map((r) => JSON.parse(r.value?.toString() ?? 'null') as string),
  )
  const missing = acked.filter((id) => !inKafka.has(id))
  assert.deepEqual(missing, [], `${missing.length} of ${acked.length} acknowledged messages are not in Kafka`)
})
