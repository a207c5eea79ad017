// Kafka secured the way production clusters are (issue 12): SASL over TLS with a private CA. The
// bridge reaches it with kafka.tls.ca and kafka.sasl, both directions work, a wrong password is a
// clear 503 in readiness while the service stays up, and the password shows nowhere in the logs.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Kafka } from 'kafkajs'
import { uniqueName } from '../helpers/kafka.js'
import { startSaslSslKafka, type SaslSslKafka, type SaslUser } from '../helpers/kafka-sasl-ssl.js'
import { eventually, nextMessage, startService, type TestService } from '../helpers/service.js'

/** Values of `topic` (read from the beginning over SASL_SSL) until `done` holds. */
async function readValues(
  kafka: Kafka,
  topic: string,
  done: (values: string[]) => boolean,
): Promise<string[]> {
  const consumer = kafka.consumer({ groupId: uniqueName('test-reader') })
  const values: string[] = []
  await consumer.connect()
  try {
    await consumer.subscribe({ topic, fromBeginning: true })
    await consumer.run({
      eachMessage: async ({ message }) => void values.push(message.value?.toString() ?? ''),
    })
    await eventually(() => (done(values) ? true : undefined), 30000)
    return values
  } finally {
    await consumer.disconnect()
  }
}

describe('uns-bridge against a SASL_SSL Kafka with a private CA', () => {
  let kafka: SaslSslKafka
  before(async () => {
    kafka = await startSaslSslKafka()
  })
  after(() => kafka?.stop())

  const start = async (
    user: SaslUser,
    password = user.password,
  ): Promise<TestService & { topics: { telemetry: string; commands: string } }> => {
    const topics = { telemetry: uniqueName('uns.telemetry'), commands: uniqueName('uns.commands') }
    const svc = await startService({
      UNS_LOG_LEVEL: 'debug',
      UNS_KAFKA_BROKERS: kafka.bootstrap,
      UNS_KAFKA_TLS_CA: kafka.ca,
      UNS_KAFKA_SASL_MECHANISM: user.mechanism,
      UNS_KAFKA_SASL_USERNAME: user.username,
      UNS_KAFKA_SASL_PASSWORD: password,
      UNS_KAFKA_TOPICS_TELEMETRY: topics.telemetry,
      UNS_KAFKA_TOPICS_COMMANDS: topics.commands,
      UNS_KAFKA_TOPICS_STATE: uniqueName('uns.state'),
      UNS_KAFKA_TOPICS_SCHEMAS: uniqueName('uns.schemas'),
      UNS_KAFKA_CONSUMER_GROUP: uniqueName('group'),
      UNS_KAFKA_CONNECT_TIMEOUT_MS: '5000',
      UNS_KAFKA_RECONNECT_INITIAL_MS: '200',
      UNS_KAFKA_RECONNECT_MAX_MS: '1000',
    })
    after(() => svc.close())
    return { ...svc, topics }
  }

  const roundTrip = async (user: SaslUser): Promise<void> => {
    const svc = await start(user)
    await eventually(() => (svc.service.health().kafka.consumer === 'running' ? true : undefined), 60000)

    const device = await svc.connect()
    await device.publishAsync('acme/berlin/line-1/temp', '21.5', { qos: 1 })
    const telemetry = await readValues(kafka.client(), svc.topics.telemetry, (v) => v.includes('21.5'))
    assert.deepEqual(telemetry, ['21.5'], 'the PUBACKed publish is in Kafka once')

    const mes = await svc.connect()
    await mes.subscribeAsync('acme/berlin/line-1/order', { qos: 1 })
    const got = nextMessage(mes)
    // The bridge's group joins at the latest offset: produce until one record was delivered.
    const producer = kafka.client().producer()
    await producer.connect()
    after(() => producer.disconnect())
    let delivered = false
    void got.then(() => (delivered = true))
    await eventually(async () => {
      if (delivered) return true
      await producer.send({
        topic: svc.topics.commands,
        messages: [{ key: 'acme/berlin/line-1/order', value: '"PO-7"' }],
      })
      await new Promise((r) => setTimeout(r, 1000))
      return delivered ? true : undefined
    }, 60000)
    const { topic, payload } = await got
    assert.deepEqual([topic, payload.toString()], ['acme/berlin/line-1/order', '"PO-7"'])

    const logs = JSON.stringify(svc.logs)
    assert.ok(svc.logs.some((l) => l.msg === 'Kafka producer connected'))
    assert.ok(!logs.includes(user.password), 'the SASL password is in no log line (debug level)')
  }

  it('moves MQTT to Kafka and Kafka to MQTT with SCRAM-SHA-512 over TLS', () =>
    roundTrip(kafka.users['scram-sha-512']))

  it('works the same with PLAIN over TLS', () => roundTrip(kafka.users.plain))

  it('answers readiness 503 with the authentication error when the password is wrong, and stays up', async () => {
    const user = kafka.users['scram-sha-512']
    const wrong = `wrong-${user.password}`
    const svc = await start(user, wrong)
    const ready = await eventually(async () => {
      const res = await fetch(`${svc.httpUrl}/health/ready`)
      const body = (await res.json()) as { kafka: { state: string; lastError?: string } }
      return body.kafka.lastError ? { status: res.status, body } : undefined
    }, 60000)
    assert.equal(ready.status, 503)
    assert.match(
      ready.body.kafka.lastError ?? '',
      // kafkajs: "SASL SCRAM SHA512 authentication failed, ... invalid credentials";
      // @platformatic/kafka: "metadata failed 3 times. (SASL authentication failed.)".
      /SASL (SCRAM SHA512 )?authentication failed/i,
    )
    await new Promise((r) => setTimeout(r, 2000)) // more attempts, still up
    assert.equal((await fetch(`${svc.httpUrl}/health/live`)).status, 200)
    assert.equal((await fetch(`${svc.httpUrl}/health/ready`)).status, 503)
    const local = await svc.connect()
    await local.publishAsync('acme/berlin/line-1/temp', '1', { qos: 0 })
    assert.ok(!JSON.stringify(svc.logs).includes(wrong), 'the password is in no log line')
  })

  it('refuses a broker whose certificate is signed by a CA it was not given', async () => {
    const svc = await startService({
      UNS_KAFKA_BROKERS: kafka.bootstrap,
      UNS_KAFKA_SSL: 'true',
      UNS_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      UNS_KAFKA_SASL_USERNAME: kafka.users['scram-sha-512'].username,
      UNS_KAFKA_SASL_PASSWORD: kafka.users['scram-sha-512'].password,
      UNS_KAFKA_RECONNECT_MAX_MS: '1000',
    })
    after(() => svc.close())
    const lastError = await eventually(() => svc.service.health().kafka.lastError, 60000)
    assert.match(lastError, /self.signed certificate|unable to verify/i)
  })
})
