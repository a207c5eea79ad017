// Issue 16 acceptance, at-least-once from an external broker (Debian's mosquitto, started here) into
// Kafka: uns-bridge SIGKILLed while 5 clients publish QoS 1, then started again: every message is in
// Kafka (the broker kept them in the persistent session); Kafka stopped 10 s under load: nothing lost;
// and the ingest rate with several messages in flight per session (decision 0060), printed.
import { after, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt, { type MqttClient } from 'mqtt'
import { freePort, startKafka, type LocalKafka } from '../../scripts/local-kafka.js'
import { readTopic, testBrokers, uniqueName, type ReadRecord } from '../helpers/kafka.js'
import { metricValue } from '../helpers/metrics.js'
import { startMosquitto, type TestMosquitto } from '../helpers/mosquitto.js'
import { spawnCli } from '../helpers/process.js'
import { eventually, startService } from '../helpers/service.js'

const CLIENTS = 5
// mosquitto drops QoS 1 messages for an offline session beyond max_queued_messages (default 1000): a
// plant broker in front of uns-bridge needs it raised (README "Use with your existing broker").
const BROKER_CONFIG = ['max_queued_messages 100000', 'max_inflight_messages 0']

const externalYaml = (url: string, clientId: string) =>
  `mqtt:\n  external:\n    url: ${url}\n    clientId: ${clientId}\n    subscriptions: ["acme/#"]\n`

const publishers = (url: string): Promise<MqttClient[]> =>
  Promise.all(
    Array.from({ length: CLIENTS }, (_, c) =>
      mqtt.connectAsync(url, { clientId: `line-${c}-${Math.random()}`, reconnectPeriod: 0 }),
    ),
  )

/** Publishes `perClient` QoS 1 messages per client, `burst` at a time every `pauseMs`. */
async function publishAll(
  clients: MqttClient[],
  perClient: number,
  opts: { burst: number; pauseMs: number; onProgress?: (published: number) => void },
): Promise<void> {
  let published = 0
  await Promise.all(
    clients.map(async (client, c) => {
      for (let i = 0; i < perClient; i += opts.burst) {
        const batch: Promise<unknown>[] = []
        for (let j = i; j < Math.min(perClient, i + opts.burst); j++)
          batch.push(
            client.publishAsync(`acme/line-${c}/tag-${j % 10}`, JSON.stringify({ value: j }), { qos: 1 }),
          )
        await Promise.all(batch)
        published += batch.length
        opts.onProgress?.(published)
        if (opts.pauseMs > 0) await new Promise((r) => setTimeout(r, opts.pauseMs))
      }
    }),
  )
}

/** Distinct messages and duplicates among `records` (key = topic, value = {"value": j}). */
function tally(records: readonly ReadRecord[]) {
  const seen = new Set<string>()
  let duplicates = 0
  for (const r of records) {
    const value = (JSON.parse(r.value?.toString() ?? '{}') as { value?: number }).value
    const id = `${r.key}#${value}`
    if (seen.has(id)) duplicates++
    else seen.add(id)
  }
  return { distinct: seen.size, duplicates }
}

async function readAll(topic: string, expected: number, brokers?: string) {
  return readTopic(topic, 0, 90000, brokers, (rs) => tally(rs).distinct >= expected)
}

describe('external-broker mode: at-least-once into Kafka', () => {
  let broker: TestMosquitto
  after(async () => {
    await broker?.close()
  })

  it('loses nothing when uns-bridge is SIGKILLed while 5 clients publish QoS 1 to mosquitto', async () => {
    broker = await startMosquitto({ extraConfig: BROKER_CONFIG })
    const topic = uniqueName('uns.telemetry')
    const dir = mkdtempSync(join(tmpdir(), 'uns-ext-kill-'))
    const file = join(dir, 'config.yaml')
    writeFileSync(file, externalYaml(broker.url, 'uns-kill-test'))
    const httpPort = await freePort()
    const env = {
      UNS_HTTP_PORT: String(httpPort),
      UNS_HOST: '127.0.0.1',
      UNS_LOG_LEVEL: 'info',
      UNS_KAFKA_BROKERS: testBrokers(),
      UNS_KAFKA_TOPICS_TELEMETRY: topic,
      UNS_SPARKPLUG_HOST_ID: uniqueName('kill-host').replace('.', '-'),
    }
    const start = () => {
      const child = spawnCli(['--config', file], env)
      let out = ''
      child.stdout?.on('data', (c: Buffer) => (out += c.toString()))
      after(() => child.kill('SIGKILL'))
      return { child, out: () => out }
    }
    const ready = () =>
      eventually(async () => {
        const res = await fetch(`http://127.0.0.1:${httpPort}/health/ready`).catch(() => undefined)
        return res?.status === 200 ? true : undefined
      }, 60000)

    const first = start()
    await ready()
    const clients = await publishers(broker.url)
    const PER_CLIENT = 600
    let killedAt = -1
    const publishing = publishAll(clients, PER_CLIENT, {
      burst: 10,
      pauseMs: 40,
      onProgress: (n) => {
        // Mid-stream: a third of the messages are at the broker, the rest still to come.
        if (killedAt < 0 && n >= (CLIENTS * PER_CLIENT) / 3) {
          killedAt = n
          first.child.kill('SIGKILL')
        }
      },
    })
    await publishing
    assert.ok(killedAt > 0 && killedAt < CLIENTS * PER_CLIENT, 'killed while the clients were publishing')
    await Promise.all(clients.map((c) => c.endAsync()))

    const second = start()
    await ready()
    const records = await readAll(topic, CLIENTS * PER_CLIENT)
    const { distinct, duplicates } = tally(records)
    console.log(
      `# SIGKILL: killed after ${killedAt} of ${CLIENTS * PER_CLIENT} published; ${records.length} records in Kafka, ` +
        `${distinct} distinct, ${duplicates} duplicates, ${CLIENTS * PER_CLIENT - distinct} missing`,
    )
    assert.match(second.out(), /"sessionPresent":true/, 'the restarted instance resumed its broker session')
    assert.equal(distinct, CLIENTS * PER_CLIENT, 'every message published to mosquitto is in Kafka')
  })

  it('loses nothing when Kafka is stopped for 10 s while 5 clients publish QoS 1 to mosquitto', async () => {
    const mosq = await startMosquitto({ extraConfig: BROKER_CONFIG })
    const port = await freePort()
    const dataDir = mkdtempSync(join(tmpdir(), 'uns-ext-outage-kafka-'))
    let kafka: LocalKafka = await startKafka({ port, dataDir })
    const topic = uniqueName('uns.telemetry')
    const svc = await startService(
      {
        UNS_KAFKA_BROKERS: kafka.bootstrap,
        UNS_KAFKA_TOPICS_TELEMETRY: topic,
        UNS_KAFKA_REQUEST_TIMEOUT_MS: '3000',
        UNS_KAFKA_CONNECT_TIMEOUT_MS: '1000',
        UNS_KAFKA_RECONNECT_INITIAL_MS: '200',
        UNS_KAFKA_RECONNECT_MAX_MS: '1000',
      },
      externalYaml(mosq.url, 'uns-outage-test'),
    )
    after(async () => {
      await svc.close()
      await kafka.stop()
      await mosq.close()
    })
    await svc.ready(60000)
    const acks = () => metricValue(svc.service.metrics, 'uns_mqtt_puback_delay_seconds_count')

    const clients = await publishers(mosq.url)
    const PER_CLIENT = 1000
    // About 16 s of steady load; Kafka is stopped from the 3rd to the 13th second.
    const publishing = publishAll(clients, PER_CLIENT, { burst: 10, pauseMs: 160 })
    await new Promise((r) => setTimeout(r, 3000))
    const ackedBeforeStop = await acks()
    await kafka.stop()
    const stoppedAt = Date.now()
    const ackedWhenStopped = await acks()
    await eventually(() => (svc.service.health().kafka.state === 'disconnected' ? true : undefined), 15000)
    await new Promise((r) => setTimeout(r, Math.max(0, 10000 - (Date.now() - stoppedAt))))
    const ackedDuringOutage = (await acks()) - ackedWhenStopped
    kafka = await startKafka({ port, dataDir })
    await publishing
    await Promise.all(clients.map((c) => c.endAsync()))

    const records = await readAll(topic, CLIENTS * PER_CLIENT, kafka.bootstrap)
    const { distinct, duplicates } = tally(records)
    console.log(
      `# Kafka outage: acked to mosquitto before the stop ${ackedBeforeStop}, during the 10 s ${ackedDuringOutage}; ` +
        `${records.length} records, ${distinct} distinct, ${duplicates} duplicates, ${CLIENTS * PER_CLIENT - distinct} missing`,
    )
    assert.ok(ackedBeforeStop > 0 && ackedBeforeStop < CLIENTS * PER_CLIENT, 'the outage hit mid-stream')
    assert.ok(ackedDuringOutage < 200, 'QoS 1 is not acknowledged to mosquitto while Kafka is down')
    assert.equal(distinct, CLIENTS * PER_CLIENT, 'every message is in Kafka')
  })

  it('drains a burst of 5,000 QoS 1 messages queued at mosquitto (ingest rate printed)', async () => {
    const mosq = await startMosquitto({ extraConfig: BROKER_CONFIG })
    const topic = uniqueName('uns.telemetry')
    const svc = await startService(
      { UNS_KAFKA_BROKERS: testBrokers(), UNS_KAFKA_TOPICS_TELEMETRY: topic },
      externalYaml(mosq.url, 'uns-rate-test'),
    )
    after(async () => {
      await svc.close()
      await mosq.close()
    })
    await svc.ready(60000)
    const clients = await publishers(mosq.url)
    const TOTAL = CLIENTS * 1000
    const started = performance.now()
    await publishAll(clients, 1000, { burst: 100, pauseMs: 0 })
    const published = performance.now() - started
    await eventually(
      async () =>
        (await metricValue(svc.service.metrics, 'uns_mqtt_puback_delay_seconds_count')) >= TOTAL
          ? true
          : undefined,
      180000,
    )
    const seconds = (performance.now() - started) / 1000
    await Promise.all(clients.map((c) => c.endAsync()))
    console.log(
      `# ingest rate: ${TOTAL} QoS 1 messages through mosquitto into Kafka in ${seconds.toFixed(1)} s = ` +
        `${Math.round(TOTAL / seconds)} msgs/s (publishing took ${(published / 1000).toFixed(1)} s)`,
    )
    const records = await readAll(topic, TOTAL)
    assert.equal(tally(records).distinct, TOTAL)
  })
})
