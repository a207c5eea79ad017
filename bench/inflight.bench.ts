// QoS 1 in flight bench (issue 6: "a QoS 1 PUBACK goes out only after Kafka acknowledged that record,
// without serialising a client to one message in flight"). ONE mqtt.js client publishes N QoS 1 JSON
// messages (a) one at a time, awaiting each PUBACK, and (b) with up to W in flight, against
//   - the real uns-bridge (src/main.ts as a child, a local Kafka), and
//   - a bare aedes broker (bench/e2e/bare-broker.ts, no Kafka) as the baseline.
// Checks that each PUBACK of 50 probe messages finds its record already in Kafka (the topic's end
// offset has moved past it when the PUBACK arrives), and that every acknowledged message is in Kafka.
// Run from the repository root: npx tsx bench/inflight.bench.ts [--messages N] [--window W] [--rounds R]
// (about 60 s).
import { execSync } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Kafka, logLevel } from 'kafkajs'
import mqtt, { type MqttClient } from 'mqtt'
import { freePort, startKafka } from '../scripts/local-kafka.js'
import { startChild, startServiceChild, type Child } from './e2e/children.js'
import { fmt, table } from './e2e/report.js'

const { values: args } = parseArgs({
  options: {
    messages: { type: 'string', default: '3000' },
    window: { type: 'string', default: '100' },
    rounds: { type: 'string', default: '2' },
    warmup: { type: 'string', default: '300' },
  },
})
const N = Number(args.messages)
const WINDOW = Number(args.window)
const ROUNDS = Number(args.rounds)
const WARMUP = Number(args.warmup)
const PATHS = 100
const PROBES = 50
const here = dirname(fileURLToPath(import.meta.url))
const say = (line: string): void => console.error(`[bench inflight] ${line}`)

const topicOf = (i: number): string => `acme/bench-site/area-0/line-0/cell-0/tag${i % PATHS}`
const payloadOf = (i: number): string => JSON.stringify({ value: i, timestamp: Date.now() })

interface RunResult {
  readonly msgsPerS: number
  readonly p50: number
  readonly p99: number
  readonly maxInFlight: number
}

const quantile = (sorted: number[], q: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN

/** Publishes `n` QoS 1 messages keeping at most `window` unacknowledged (1 = await each PUBACK). */
async function publishRun(client: MqttClient, n: number, window: number, offset: number): Promise<RunResult> {
  const latencies: number[] = []
  let sent = 0
  let acked = 0
  let maxInFlight = 0
  const t0 = performance.now()
  await new Promise<void>((resolve, reject) => {
    const pump = (): void => {
      while (sent < n && sent - acked < window) {
        const i = offset + sent++
        maxInFlight = Math.max(maxInFlight, sent - acked)
        const at = performance.now()
        client.publishAsync(topicOf(i), payloadOf(i), { qos: 1 }).then(() => {
          latencies.push(performance.now() - at)
          if (++acked === n) resolve()
          else pump()
        }, reject)
      }
    }
    pump()
  })
  const seconds = (performance.now() - t0) / 1000
  latencies.sort((a, b) => a - b)
  return { msgsPerS: n / seconds, p50: quantile(latencies, 0.5), p99: quantile(latencies, 0.99), maxInFlight }
}

interface Row {
  readonly broker: string
  readonly mode: 'one at a time' | 'windowed'
  readonly round: number
  readonly r: RunResult
}

async function measure(url: string, broker: string): Promise<{ rows: Row[]; published: number }> {
  const client = await mqtt.connectAsync(url, {
    clientId: `bench-inflight-${Date.now()}`,
    reconnectPeriod: 0,
  })
  const rows: Row[] = []
  let published = 0
  try {
    await publishRun(client, WARMUP, WINDOW, 0)
    published += WARMUP
    for (let round = 1; round <= ROUNDS; round++) {
      for (const [mode, window] of [
        ['one at a time', 1],
        ['windowed', WINDOW],
      ] as const) {
        const r = await publishRun(client, N, window, published)
        published += N
        say(
          `${broker} ${mode} round ${round}: ${fmt(r.msgsPerS)} msg/s, PUBACK p50/p99 ${fmt(r.p50, 1)}/${fmt(r.p99, 1)} ms`,
        )
        rows.push({ broker, mode, round, r })
      }
    }
  } finally {
    await client.endAsync()
  }
  return { rows, published }
}

const endOffset = async (admin: ReturnType<Kafka['admin']>, topic: string): Promise<number> =>
  (await admin.fetchTopicOffsets(topic)).reduce((n, e) => n + Number(e.high), 0)

/** Each PUBACK must find its record already counted in the topic's end offsets. */
async function probePubackAfterKafka(
  url: string,
  admin: ReturnType<Kafka['admin']>,
  topic: string,
): Promise<number> {
  const client = await mqtt.connectAsync(url, { clientId: `bench-probe-${Date.now()}`, reconnectPeriod: 0 })
  let early = 0
  try {
    let end = await endOffset(admin, topic)
    for (let k = 0; k < PROBES; k++) {
      await client.publishAsync(topicOf(k), payloadOf(k), { qos: 1 })
      const now = await endOffset(admin, topic)
      if (now < end + 1) early++
      end = now
    }
  } finally {
    await client.endAsync()
  }
  return early
}

const sh = (cmd: string): string => {
  try {
    return execSync(cmd, { encoding: 'utf8' }).trim()
  } catch {
    return '?'
  }
}

const loadStart = loadavg()
say('starting Kafka')
const kafka = await startKafka({ log: say })
let service: Child | undefined
let bare: Child | undefined
try {
  const prefix = 'inflight'
  const svc = await startServiceChild({
    mqttPort: await freePort(),
    httpPort: await freePort(),
    brokers: kafka.bootstrap,
    topicPrefix: prefix,
  })
  service = svc
  const serviceUrl = svc.mqttUrl
  say(`uns-bridge ready at ${serviceUrl}`)
  const k = new Kafka({ clientId: 'bench-inflight', brokers: [kafka.bootstrap], logLevel: logLevel.NOTHING })
  const admin = k.admin()
  await admin.connect()
  const telemetry = `${prefix}.telemetry`
  const early = await probePubackAfterKafka(serviceUrl, admin, telemetry)
  say(`probe: ${early} of ${PROBES} PUBACKs arrived before their record was in Kafka`)
  const before = await endOffset(admin, telemetry)
  const withKafka = await measure(serviceUrl, 'uns-bridge + Kafka')
  const after = await endOffset(admin, telemetry)
  await admin.disconnect()
  await service.stop()
  service = undefined
  if (after - before !== withKafka.published)
    throw new Error(`${withKafka.published} messages acknowledged, ${after - before} records in ${telemetry}`)

  const port = await freePort()
  bare = startChild(join(here, 'e2e', 'bare-broker.ts'), [String(port)])
  await bare.waitForLine('listening', 30000)
  const baseline = await measure(`mqtt://127.0.0.1:${port}`, 'bare aedes (no Kafka)')
  await bare.stop()
  bare = undefined

  const rows = [...withKafka.rows, ...baseline.rows]
  const median = (broker: string, mode: Row['mode']): number => {
    const xs = rows
      .filter((r) => r.broker === broker && r.mode === mode)
      .map((r) => r.r.msgsPerS)
      .sort((a, b) => a - b)
    return xs.length % 2
      ? (xs[(xs.length - 1) / 2] ?? NaN)
      : ((xs[xs.length / 2 - 1] ?? 0) + (xs[xs.length / 2] ?? 0)) / 2
  }
  const ratio = (broker: string): string =>
    `${fmt(median(broker, 'windowed') / median(broker, 'one at a time'), 1)}x`
  const loadEnd = loadavg()
  const out = [
    `Machine: ${sh('nproc')} x ${cpus()[0]?.model ?? '?'} (\`nproc\`), Node ${process.version}, load average ` +
      `(1/5/15) ${loadStart.map((l) => l.toFixed(2)).join(' ')} at start, ${loadEnd.map((l) => l.toFixed(2)).join(' ')} at end; ` +
      `Apache Kafka 4.4.0 local; ${new Date().toISOString()}, git ${sh('git rev-parse --short HEAD')} on \`${sh('git rev-parse --abbrev-ref HEAD')}\``,
    '',
    `One mqtt.js client, ${fmt(N)} QoS 1 JSON messages per run over ${PATHS} paths, after ${fmt(WARMUP)} warm-up messages; ` +
      `windowed = up to ${WINDOW} in flight. PUBACK probe: ${early} of ${PROBES} PUBACKs arrived before their record ` +
      `was in Kafka; ${fmt(withKafka.published)} acknowledged messages, ${fmt(after - before)} records in \`${telemetry}\`.`,
    '',
    ...table(
      ['broker', 'mode', 'round', 'msgs/s', 'PUBACK p50 / p99 ms', 'max in flight'],
      rows.map((row) => [
        row.broker,
        row.mode,
        String(row.round),
        fmt(row.r.msgsPerS),
        `${fmt(row.r.p50, 2)} / ${fmt(row.r.p99, 2)}`,
        String(row.r.maxInFlight),
      ]),
    ),
    '',
    `Ratio windowed / one at a time (medians): uns-bridge + Kafka ${ratio('uns-bridge + Kafka')}, ` +
      `bare aedes ${ratio('bare aedes (no Kafka)')}.`,
  ]
  console.log(out.join('\n'))
} finally {
  await service?.stop()
  await bare?.stop()
  await kafka.stop()
}
