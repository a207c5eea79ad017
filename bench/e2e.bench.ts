// End-to-end benchmark (issue 7), one run on one machine and one load:
//   (a) Kafka ceiling: kafkajs producing the records uns-bridge would produce, the way it does;
//   (b) MQTT ceiling: aedes alone ingesting the same QoS 1 publishes from the same clients;
//   (c) uns-bridge (the CLI, a child process) end to end: Sparkplug DDATA (10 metrics each) and JSON,
//       QoS 1, into Kafka, read back by a consumer that checks count, per-key order and duplicates,
//       at the maximum (closed loop) and at half of it (open loop) for latency.
// Writes the `## End-to-end (issue 7)` section of bench/README.md. Run: npm run bench (about 4 min).
// Options: --duration S (per scenario, default 20), --sparkplug-clients N (4), --json-clients N (2),
// --window N (publishes in flight per client, 64), --profile (CPU profile of the service at max load),
// --no-write (print only).
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort, startKafka } from '../scripts/local-kafka.js'
import { startChecker } from './e2e/checker.js'
import { startChild, startServiceChild, type Child } from './e2e/children.js'
import type { CeilingPlan, CeilingResult } from './e2e/kafka-ceiling.js'
import type { LoadPlan, LoadResult } from './e2e/load.js'
import { cpuCores, peakRssMiB, sampleCpu, type ProcSample } from './e2e/proc-stats.js'
import { summariseProfile } from './e2e/profile.js'
import { fmt, machine, table, writeSection } from './e2e/report.js'

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '20' },
    warmup: { type: 'string', default: '3' },
    'sparkplug-clients': { type: 'string', default: '4' },
    'json-clients': { type: 'string', default: '2' },
    window: { type: 'string', default: '64' },
    profile: { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
  },
})
const DURATION_S = Number(args.duration)
const WARMUP_S = Number(args.warmup)
const METRICS = 10
const S = Number(args['sparkplug-clients'])
const J = Number(args['json-clients'])
const WINDOW = Number(args.window)
const MAX_BATCH_RECORDS = 1000 // kafka.maxBatchRecords default: the ceiling batches like the service
const TOPIC_PARTITIONS = 3 // kafka.topicPartitions default: the ceiling's topics are like the service's
// Not a ceiling of the service as built: what kafkajs gives with bigger batches and parallel requests.
const TUNED_BATCH_RECORDS = 5000
const TUNED_IN_FLIGHT = 4
const say = (line: string): void => console.log(`[bench e2e] ${line}`)

interface Row {
  readonly name: string
  readonly messagesPerS: number
  readonly updatesPerS: number
  readonly latencyMs?: readonly [number, number, number]
  readonly loss?: number
  readonly duplicates?: number
  readonly outOfOrder?: number
  readonly rssMiB: number
  readonly cpuCores: number
  readonly notes: string
}

/** CPU of `pid` between the child's window-start and window-end lines. */
async function windowCpu(
  window: Child,
  pid: number,
  onStart?: () => void,
): Promise<{ start: ProcSample; end: ProcSample }> {
  await window.waitForLine('window-start', 120000)
  const start = sampleCpu(pid)
  onStart?.()
  await window.waitForLine('window-end', (DURATION_S + 30) * 1000)
  return { start, end: sampleCpu(pid) }
}

const loadPlan = (url: string, rates?: LoadPlan['rates']): LoadPlan => ({
  url,
  sparkplugClients: S,
  jsonClients: J,
  metricsPerMessage: METRICS,
  window: WINDOW,
  warmupS: WARMUP_S,
  durationS: DURATION_S,
  group: 'bench',
  jsonPrefix: 'benchjson',
  ...(rates ? { rates } : {}),
})

async function kafkaCeiling(brokers: string[], tuned = false, roundsPerS?: number): Promise<Row> {
  const plan: CeilingPlan = {
    brokers,
    topicPrefix: tuned ? 'ceiling-tuned' : roundsPerS ? 'ceiling-paced' : 'ceiling',
    ...(roundsPerS ? { roundsPerS } : {}),
    sparkplugClients: S,
    jsonClients: J,
    metricsPerMessage: METRICS,
    maxBatchRecords: tuned ? TUNED_BATCH_RECORDS : MAX_BATCH_RECORDS,
    inFlight: tuned ? TUNED_IN_FLIGHT : 1,
    topicPartitions: TOPIC_PARTITIONS,
    warmupS: WARMUP_S,
    durationS: DURATION_S,
  }
  const child = startChild('bench/e2e/kafka-ceiling.ts', [JSON.stringify(plan)])
  const r = await child.result<CeilingResult>()
  const perS = (n: number): number => n / r.seconds
  return {
    name: tuned
      ? `(a2) kafkajs, ${fmt(TUNED_BATCH_RECORDS)}-record batches, ${TUNED_IN_FLIGHT} in flight`
      : roundsPerS
        ? '(a3) kafkajs alone at the 50% load, paced'
        : '(a) Kafka ceiling: kafkajs producer alone',
    ...(r.latencyMs ? { latencyMs: r.latencyMs } : {}),
    messagesPerS: perS(r.sparkplugMessages + r.jsonMessages),
    updatesPerS: perS(r.sparkplugMessages * METRICS + r.jsonMessages),
    rssMiB: r.maxRssMiB,
    cpuCores: r.cpuS / r.seconds,
    notes: roundsPerS
      ? `latency = record created -> acknowledged (2 ms linger, 1 request in flight, like the service)`
      : `${fmt(perS(r.records))} records/s (raw + telemetry + state per metric), acks=all`,
  }
}

async function mqttCeiling(): Promise<Row> {
  const port = await freePort()
  const broker = startChild('bench/e2e/bare-broker.ts', [String(port)])
  await broker.waitForLine('listening', 30000)
  const load = startChild('bench/e2e/load.ts', [JSON.stringify(loadPlan(`mqtt://127.0.0.1:${port}`))])
  const cpu = await windowCpu(load, broker.pid)
  const r = await load.result<LoadResult>()
  const rss = peakRssMiB(broker.pid)
  await broker.stop()
  const s = (r.windowEnd - r.windowStart) / 1000
  return {
    name: '(b) MQTT ceiling: aedes alone, QoS 1',
    messagesPerS: (r.sparkplugAcked + r.jsonAcked) / s,
    updatesPerS: (r.sparkplugAcked * METRICS + r.jsonAcked) / s,
    rssMiB: rss,
    cpuCores: cpuCores(cpu.start, cpu.end),
    notes: `${S} Sparkplug + ${J} JSON clients, ${WINDOW} in flight each`,
  }
}

async function endToEnd(
  brokers: string[],
  kind: 'max' | 'half' | 'profile',
  rates?: LoadPlan['rates'],
  profileDir?: string,
): Promise<{ row: Row; load: LoadResult }> {
  const prefix = `e2e-${kind}`
  const service = await startServiceChild({
    mqttPort: await freePort(),
    httpPort: await freePort(),
    brokers: brokers.join(','),
    topicPrefix: prefix,
    ...(profileDir ? { cpuProfileDir: profileDir } : {}),
  })
  const checker = await startChecker(
    brokers,
    { sparkplug: `${prefix}.sparkplug`, telemetry: `${prefix}.telemetry`, state: `${prefix}.state` },
    { sparkplugPath: 'bench/', json: 'benchjson/' },
  )
  const load = startChild('bench/e2e/load.ts', [JSON.stringify(loadPlan(service.mqttUrl, rates))])
  let windowStart = 0
  let readerCpu = process.cpuUsage()
  const cpu = await windowCpu(load, service.pid, () => {
    windowStart = Date.now()
    readerCpu = process.cpuUsage()
    checker.measureWindow(windowStart, Infinity)
  })
  checker.measureWindow(windowStart, Date.now())
  const readerUsage = process.cpuUsage(readerCpu)
  const readerCores = (readerUsage.user + readerUsage.system) / 1e6 / ((Date.now() - windowStart) / 1000)
  const r = await load.result<LoadResult>()
  const complete = await checker.waitFor(S > 0 ? r.sparkplugSent : 0, r.jsonSent, 30000)
  const rss = peakRssMiB(service.pid)
  const metricsText = await fetch(`${service.httpUrl}/metrics`)
    .then((res) => res.text())
    .catch(() => '')
  await service.stop()
  await checker.close()
  const t = checker.totals()
  const s = (r.windowEnd - r.windowStart) / 1000
  const h = checker.latencyUs
  const c = checker.counts
  const series = (re: RegExp): number => Number(re.exec(metricsText)?.[1] ?? NaN)
  // prom-client's default series, over the service's life: event loop stalls and major GC.
  const lagP99 = series(/^nodejs_eventloop_lag_p99_seconds (\S+)$/m) * 1000
  const lagMax = series(/^nodejs_eventloop_lag_max_seconds (\S+)$/m) * 1000
  const majorGcS = series(/^nodejs_gc_duration_seconds_sum\{kind="major"\} (\S+)$/m)
  const majorGcN = series(/^nodejs_gc_duration_seconds_count\{kind="major"\} (\S+)$/m)
  const dropped = /uns_bridge_records_total\{[^}]*result="dropped"[^}]*\} (\d+)/.exec(metricsText)?.[1]
  say(
    `${kind}: sent ${r.sparkplugSent} DDATA + ${r.jsonSent} JSON (births ${r.births}, drained ${r.drained}); ` +
      `seen ${t.sparkplugUnique} + ${t.jsonUnique}${complete ? '' : ' (INCOMPLETE after 30 s)'}; ` +
      `out of order: ${t.sparkplugOutOfOrder} per Sparkplug topic, ${checker.jsonKeyOrder.outOfOrder} per JSON path, ${t.jsonOutOfOrderPerClient} across one JSON client's paths; ` +
      `telemetry records ${c.telemetrySparkplug} Sparkplug metrics + ${c.telemetryJson} JSON, state ${c.stateSparkplug} + ${c.stateJson}, corrupt ${c.corrupt}`,
  )
  return {
    load: r,
    row: {
      name: kind === 'half' ? '(c) uns-bridge end to end, 50% load' : '(c) uns-bridge end to end, max',
      messagesPerS: (r.sparkplugAcked + r.jsonAcked) / s,
      updatesPerS: (r.sparkplugAcked * METRICS + r.jsonAcked) / s,
      latencyMs: [h.percentile(50) / 1000, h.percentile(95) / 1000, h.percentile(99) / 1000],
      loss: r.sparkplugSent - t.sparkplugUnique + (r.jsonSent - t.jsonUnique),
      duplicates: t.duplicates,
      outOfOrder: t.outOfOrder,
      rssMiB: rss,
      cpuCores: cpuCores(cpu.start, cpu.end),
      notes:
        `publish->PUBACK p50/p99 ${fmt(r.pubackMs[0], 1)}/${fmt(r.pubackMs[2], 1)} ms; ` +
        `reader ${fmt(readerCores, 2)} cores; ` +
        `service event loop lag p99/max ${fmt(lagP99, 0)}/${fmt(lagMax, 0)} ms, ${fmt(majorGcN)} major GCs ${fmt(majorGcS * 1000)} ms; ` +
        `Kafka records: ${fmt(c.telemetrySparkplug + c.telemetryJson)} telemetry, ${fmt(c.stateSparkplug + c.stateJson)} state` +
        (c.corrupt > 0 ? `, ${c.corrupt} corrupt` : '') +
        (dropped ? `, ${dropped} dropped` : ''),
    },
  }
}

const started = Date.now()
const loadAtStart = loadavg()
mkdirSync(resolve('.cache'), { recursive: true })
const dataDir = mkdtempSync(join(resolve('.cache'), 'bench-kafka-'))
say(`starting a local Kafka in ${dataDir} ...`)
const kafka = await startKafka({ port: 0, dataDir, log: say })
const brokers = [kafka.bootstrap]
const rows: Row[] = []
const extraRows: Row[] = []
let profiledRate = NaN
let profileLines: string[] = []
try {
  say(`(a) Kafka ceiling, ${DURATION_S} s ...`)
  const a = await kafkaCeiling(brokers)
  rows.push(a)
  say(`(a2) kafkajs with larger batches and ${TUNED_IN_FLIGHT} requests in flight, ${DURATION_S} s ...`)
  const a2 = await kafkaCeiling(brokers, true)
  say(`(b) MQTT ceiling, ${DURATION_S} s ...`)
  const b = await mqttCeiling()
  rows.push(b)
  say(`(c) uns-bridge end to end at max load, ${DURATION_S} s ...`)
  const max = await endToEnd(brokers, 'max')
  rows.push(max.row)
  const w = (max.load.windowEnd - max.load.windowStart) / 1000
  const rates = {
    sparkplug: S > 0 ? max.load.sparkplugAcked / w / S / 2 : 0,
    json: J > 0 ? max.load.jsonAcked / w / J / 2 : 0,
  }
  say(
    `(c) uns-bridge end to end at 50% (${fmt(rates.sparkplug * S + rates.json * J)} messages/s), ${DURATION_S} s ...`,
  )
  const half = await endToEnd(brokers, 'half', rates)
  rows.push(half.row)
  extraRows.push(a2)
  // The same records at the same rate without MQTT and the pipeline: the latency Kafka itself gives here.
  say(`(a3) kafkajs alone at the 50% record rate, paced, ${DURATION_S} s ...`)
  extraRows.push(await kafkaCeiling(brokers, false, (half.row.messagesPerS || 1) / (S + J)))
  const missed =
    max.row.updatesPerS < 100000 ||
    max.row.loss !== 0 ||
    (half.row.latencyMs?.[2] ?? Infinity) >= 50 ||
    max.row.updatesPerS / a.updatesPerS < 0.5
  if (missed || args.profile) {
    // A separate run, so the profiler's overhead is not in the numbers above.
    const profileDir = resolve('.cache/bench-profile')
    rmSync(profileDir, { recursive: true, force: true })
    mkdirSync(profileDir, { recursive: true })
    say(`(c) again at max load with node --cpu-prof on the service, ${DURATION_S} s ...`)
    const prof = await endToEnd(brokers, 'profile', undefined, profileDir)
    profiledRate = prof.row.updatesPerS
    // One profile per thread: the main thread's is the largest (the other is tsx's loader worker).
    const file = readdirSync(profileDir)
      .filter((f) => f.endsWith('.cpuprofile'))
      .sort((x, y) => statSync(join(profileDir, y)).size - statSync(join(profileDir, x)).size)[0]
    if (file) {
      const p = summariseProfile(join(profileDir, file))
      profileLines = [
        '',
        `CPU profile of the service at max load (a separate run under \`node --cpu-prof\`, ${fmt(profiledRate)} metric updates/s; whole process life ${fmt(p.totalMs / 1000, 1)} s, idle ${fmt((100 * p.idleMs) / p.totalMs)}%), self time of the busy part by package or stage, then by function:`,
        '',
        ...table(
          ['package / stage (nearest on the stack)', 'self time', 'incl. the builtins it called'],
          p.attributed
            .slice(0, 10)
            .map((g) => [
              g.group,
              `${fmt(100 * (p.groups.find((x) => x.group === g.group)?.share ?? 0), 1)}%`,
              `${fmt(100 * g.share, 1)}%`,
            ]),
        ),
        '',
        ...table(
          ['function', 'where', 'share'],
          p.frames.slice(0, 12).map((f) => [`\`${f.name}\``, f.where, `${fmt(100 * f.share, 1)}%`]),
        ),
      ]
    }
  }
} catch (err) {
  say(`failed: ${(err as Error).stack ?? String(err)}`)
  process.exitCode = 1
} finally {
  await kafka.stop()
  rmSync(dataDir, { recursive: true, force: true })
}
if (process.exitCode === 1) process.exit(1)

const [a, b, cMax, cHalf] = rows
const ceilingMin = Math.min(a?.updatesPerS ?? NaN, b?.updatesPerS ?? NaN)
const ratioA = (cMax?.updatesPerS ?? NaN) / (a?.updatesPerS ?? NaN)
const ratioMin = (cMax?.updatesPerS ?? NaN) / ceilingMin
const ok = (pass: boolean): string => (pass ? 'met' : '**missed**')
const body = [
  `\`npm run bench\` (this run: ${fmt((Date.now() - started) / 1000)} s). Load: ${S} Sparkplug B edge nodes (1 device, ${METRICS} metrics in every DDATA, the simulator's edge code) and ${J} plain-JSON clients, QoS 1,`,
  `${WINDOW} publishes in flight per client for the maxima; ${DURATION_S} s measured after ${WARMUP_S} s warm-up per scenario. Latency: publish time embedded in the payload to the consumer`,
  'reading it from Kafka (Sparkplug: the raw `uns.sparkplug` record; JSON: `uns.telemetry`). Loss, duplicates and order (per key: Sparkplug topic, UNS path) are checked on every message.',
  `Topics have ${TOPIC_PARTITIONS} partitions (the service's default), the ceiling's too.`,
  'RSS and CPU are those of the process under test (the producer, aedes, or uns-bridge), read from /proc.',
  '',
  ...machine(loadAtStart),
  '',
  ...table(
    [
      'scenario',
      'messages/s',
      'metric updates/s',
      'p50 / p95 / p99 ms',
      'loss',
      'dup',
      'order',
      'peak RSS',
      'CPU cores',
      'notes',
    ],
    [...rows, ...extraRows].map((r) => [
      r.name,
      fmt(r.messagesPerS),
      fmt(r.updatesPerS),
      r.latencyMs ? r.latencyMs.map((x) => fmt(x, 1)).join(' / ') : '-',
      r.loss === undefined ? '-' : String(r.loss),
      r.duplicates === undefined ? '-' : String(r.duplicates),
      r.outOfOrder === undefined ? '-' : String(r.outOfOrder),
      `${fmt(r.rssMiB)} MiB`,
      fmt(r.cpuCores, 2),
      r.notes,
    ]),
  ),
  '',
  `Ratios (metric updates/s): (c)/(a) = ${fmt(ratioA, 2)}; (c)/min(a, b) = ${fmt(ratioMin, 2)}.`,
  '',
  ...table(
    ['target (2 cores, Kafka on the same machine)', 'measured', 'result'],
    [
      [
        '>= 100,000 metric updates/s end to end, zero loss',
        `${fmt(cMax?.updatesPerS ?? NaN)}/s, loss ${cMax?.loss ?? '-'}`,
        ok((cMax?.updatesPerS ?? 0) >= 100000 && cMax?.loss === 0),
      ],
      [
        'p99 < 50 ms at half that load',
        `${fmt(cHalf?.latencyMs?.[2] ?? NaN, 1)} ms at ${fmt(cHalf?.updatesPerS ?? NaN)}/s`,
        ok((cHalf?.latencyMs?.[2] ?? Infinity) < 50),
      ],
      ['end to end >= 50% of ceiling (a)', fmt(ratioA, 2), ok(ratioA >= 0.5)],
    ],
  ),
  ...profileLines,
]
console.log(body.join('\n'))
if (!args['no-write']) {
  writeSection('bench/README.md', body)
  say('wrote the "End-to-end (issue 7)" section of bench/README.md')
}
