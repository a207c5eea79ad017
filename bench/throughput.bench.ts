// Throughput bench (issue 13): the load and two more, each on both Kafka clients and both
// header layouts, with the Kafka ceiling of the same record layout in the same run (ratios, since the
// 2 cores are shared):
//   sparkplug: 10 edge nodes x 5 devices, DDATA of 10 alias-only metrics, QoS 1, 100 in flight per edge;
//   json:      10 plain-JSON clients, QoS 1, 100 in flight each;
//   mixed:     5 edge nodes x 5 devices and 5 JSON clients, 100 in flight each.
// Every scenario row: uns-bridge (the CLI, a child) at max (closed loop), loss / duplicates / order per
// key from a consumer reading Kafka back, CPU and peak RSS of the service; the ceiling row: the service's
// own client adapter producing the same records alone (bench/e2e/client-ceiling.ts).
// Writes the `## Throughput (issue 13)` section of bench/README.md. Run: npm run bench -- throughput
// Options: --duration S (15), --scenarios sparkplug,json,mixed, --variants client:headers[:batch[:thread]],... (the
// old default kafkajs:full:1000, then platformatic:lean at 1000 (the default) and 4000, and with the producer
// thread for sparkplug; kafkajs:full:1000 and platformatic:lean for the others), --half (a 50% run of the default
// for latency), --profile (CPU profile of the default at max), --built (the service from dist/ with plain
// node, as the Docker image runs it; builds first), --window N (publishes in flight per client, 100),
// --no-ceiling (service rows only, for pairs of settings), --no-write.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs'
import { cpus, loadavg } from 'node:os'
import { join, resolve } from 'node:path'
import { parseArgs } from 'node:util'
import { freePort, startKafka } from '../scripts/local-kafka.js'
import { startChecker } from './e2e/checker.js'
import { startChild, startServiceChild, type ServiceChild } from './e2e/children.js'
import type { ClientCeilingPlan, ClientCeilingResult } from './e2e/client-ceiling.js'
import type { LoadPlan, LoadResult } from './e2e/load.js'
import { cpuCores, machineCores, peakRssMiB, sampleCpu, sampleMachine } from './e2e/proc-stats.js'
import { summariseProfile } from './e2e/profile.js'
import { fmt, machine, table, writeSection } from './e2e/report.js'

const { values: args } = parseArgs({
  options: {
    duration: { type: 'string', default: '15' },
    warmup: { type: 'string', default: '3' },
    scenarios: { type: 'string', default: 'sparkplug,json,mixed' },
    variants: { type: 'string' },
    half: { type: 'boolean', default: false },
    profile: { type: 'boolean', default: false },
    built: { type: 'boolean', default: false },
    window: { type: 'string', default: '100' },
    'no-ceiling': { type: 'boolean', default: false },
    'no-write': { type: 'boolean', default: false },
    /** More UNS_* settings for every service row, K=V,K=V (e.g. UNS_KAFKA_MAX_BATCH_RECORDS=5000). */
    'service-env': { type: 'string', default: '' },
  },
})
const DURATION_S = Number(args.duration)
const WARMUP_S = Number(args.warmup)
const METRICS = 10
const WINDOW = Number(args.window) // publishes in flight per client; the load: 100
const MAX_BATCH_RECORDS = 1000 // kafka.maxBatchRecords default
const PRODUCER_THREAD = false // kafka.producerThread default
const TOPIC_PARTITIONS = 3 // kafka.topicPartitions default
const SERVICE_ENV = Object.fromEntries(
  args['service-env']
    .split(',')
    .filter((kv) => kv.includes('='))
    .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
)
const say = (line: string): void => console.log(`[bench throughput] ${line}`)

type Client = 'kafkajs' | 'platformatic'
type Headers = 'lean' | 'full'
interface Variant {
  readonly client: Client
  readonly headers: Headers
  /** kafka.maxBatchRecords of the service and the ceiling's batch size. */
  readonly batch: number
  /** kafka.producerThread of the service (variant suffix `:thread`). */
  readonly thread: boolean
}
interface Scenario {
  readonly name: string
  readonly edges: number
  readonly devices: number
  readonly json: number
}
const SCENARIOS: Record<string, Scenario> = {
  sparkplug: { name: 'sparkplug', edges: 10, devices: 5, json: 0 },
  json: { name: 'json', edges: 0, devices: 1, json: 10 },
  mixed: { name: 'mixed', edges: 5, devices: 5, json: 5 },
}
const parseVariants = (s: string): Variant[] =>
  s.split(',').map((v) => {
    const [client, headers, batch, thread] = v.split(':') as [Client, Headers, string | undefined, string?]
    return {
      client,
      headers,
      batch: batch ? Number(batch) : MAX_BATCH_RECORDS,
      thread: thread === undefined ? PRODUCER_THREAD : thread === 'thread',
    }
  })
const variantsOf = (scenario: string): Variant[] =>
  args.variants
    ? parseVariants(args.variants)
    : scenario === 'sparkplug'
      ? parseVariants(
          'kafkajs:full:1000,platformatic:lean,platformatic:lean:4000,platformatic:lean:1000:thread',
        )
      : parseVariants('kafkajs:full:1000,platformatic:lean')

interface Row {
  readonly scenario: string
  readonly what: string
  readonly messagesPerS: number
  readonly updatesPerS: number
  readonly recordsPerS?: number
  readonly latencyMs?: readonly [number, number, number]
  readonly pubackMs?: readonly [number, number, number]
  readonly check?: string
  /** Mean records per Kafka send / mean send time, from the service's /metrics. */
  readonly sends?: string
  readonly rssMiB: number
  readonly cpuCores: number
  readonly usPerUpdate: number
  /** The service's main thread alone (broker, pipeline; the Kafka client too unless kafka.producerThread). */
  readonly mainCores?: number
  /** Where the machine's cores went in the window: all busy, the Kafka broker, the loader. */
  readonly machine?: { busy: number; kafka: number; loader: number }
}

async function ceiling(brokers: string[], sc: Scenario, v: Variant, prefix: string): Promise<Row> {
  const plan: ClientCeilingPlan = {
    brokers,
    client: v.client,
    headers: v.headers,
    topicPrefix: prefix,
    sparkplugClients: sc.edges,
    devices: sc.devices,
    jsonClients: sc.json,
    metricsPerMessage: METRICS,
    maxBatchRecords: v.batch,
    topicPartitions: TOPIC_PARTITIONS,
    warmupS: WARMUP_S,
    durationS: DURATION_S,
  }
  const r = await startChild('bench/e2e/client-ceiling.ts', [
    JSON.stringify(plan),
  ]).result<ClientCeilingResult>()
  const updates = (r.sparkplugMessages * METRICS + r.jsonMessages) / r.seconds
  const cores = r.cpuS / r.seconds
  return {
    scenario: sc.name,
    what: `ceiling: ${v.client} adapter alone, ${v.headers} headers, batch ${v.batch}`,
    messagesPerS: (r.sparkplugMessages + r.jsonMessages) / r.seconds,
    updatesPerS: updates,
    recordsPerS: r.records / r.seconds,
    rssMiB: r.maxRssMiB,
    cpuCores: cores,
    usPerUpdate: (cores * 1e6) / updates,
  }
}

async function service(
  kafkaPid: number | undefined,
  brokers: string[],
  sc: Scenario,
  v: Variant,
  prefix: string,
  opts: { rates?: LoadPlan['rates']; profileDir?: string } = {},
): Promise<{ row: Row; load: LoadResult }> {
  // Ports are picked before the child binds them, and the machine is shared: a start that fails is told
  // and tried once more on other ports (seen once in a full run, not reproduced).
  const start = async (): Promise<ServiceChild> =>
    startServiceChild({
      mqttPort: await freePort(),
      httpPort: await freePort(),
      brokers: brokers.join(','),
      topicPrefix: prefix,
      ...(opts.profileDir ? { cpuProfileDir: opts.profileDir } : {}),
      built: args.built,
      env: {
        ...SERVICE_ENV,
        UNS_KAFKA_CLIENT: v.client,
        UNS_KAFKA_TELEMETRY_HEADERS: v.headers,
        UNS_KAFKA_MAX_BATCH_RECORDS: String(v.batch),
        UNS_KAFKA_PRODUCER_THREAD: String(v.thread),
      },
    })
  const svc = await start().catch((err: unknown) => {
    say(`service start failed, trying once more: ${String(err)}`)
    return start()
  })
  const checker = await startChecker(
    brokers,
    { sparkplug: `${prefix}.sparkplug`, telemetry: `${prefix}.telemetry`, state: `${prefix}.state` },
    { sparkplugPath: 'bench/', json: 'benchjson/' },
  )
  const plan: LoadPlan = {
    url: svc.mqttUrl,
    sparkplugClients: sc.edges,
    devices: sc.devices,
    jsonClients: sc.json,
    metricsPerMessage: METRICS,
    window: WINDOW,
    warmupS: WARMUP_S,
    durationS: DURATION_S,
    group: 'bench',
    jsonPrefix: 'benchjson',
    ...(opts.rates ? { rates: opts.rates } : {}),
  }
  const load = startChild('bench/e2e/load.ts', [JSON.stringify(plan)])
  await load.waitForLine('window-start', 120000)
  const cpuStart = sampleCpu(svc.pid)
  const mainStart = sampleCpu(svc.pid, svc.pid)
  const machineStart = sampleMachine()
  const kafkaStart = kafkaPid === undefined ? undefined : sampleCpu(kafkaPid)
  const loaderStart = sampleCpu(load.pid)
  const windowStart = Date.now()
  checker.measureWindow(windowStart, Infinity)
  await load.waitForLine('window-end', (DURATION_S + 30) * 1000)
  const end = sampleCpu(svc.pid)
  const mainCores = cpuCores(mainStart, sampleCpu(svc.pid, svc.pid))
  const machine = {
    busy: machineCores(machineStart, sampleMachine(), cpus().length),
    kafka:
      kafkaStart === undefined || kafkaPid === undefined ? NaN : cpuCores(kafkaStart, sampleCpu(kafkaPid)),
    loader: cpuCores(loaderStart, sampleCpu(load.pid)),
  }
  checker.measureWindow(windowStart, Date.now())
  const r = await load.result<LoadResult>()
  const complete = await checker.waitFor(sc.edges > 0 ? r.sparkplugSent : 0, r.jsonSent, 30000)
  const rss = peakRssMiB(svc.pid)
  // The service's own view of its Kafka sends: mean records per send and mean send time (one send at a
  // time, so records/s through Kafka <= batch / send time).
  const metricsText = await fetch(`${svc.httpUrl}/metrics`)
    .then((res) => res.text())
    .catch(() => '')
  const series = (name: string): number =>
    Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(metricsText)?.[1] ?? NaN)
  const sendMs = (1000 * series('uns_kafka_request_seconds_sum')) / series('uns_kafka_request_seconds_count')
  const batchMean = series('uns_kafka_batch_records_sum') / series('uns_kafka_batch_records_count')
  // What the peak RSS is made of, read at the end of the load (prom-client's default process metrics).
  const mib = (name: string): string => fmt(series(name) / 2 ** 20)
  const memory =
    `RSS ${mib('process_resident_memory_bytes')} MiB now: V8 heap ${mib('nodejs_heap_size_used_bytes')} used of ` +
    `${mib('nodejs_heap_size_total_bytes')}, external ${mib('nodejs_external_memory_bytes')} MiB`
  await svc.stop()
  await checker.close()
  const t = checker.totals()
  const s = (r.windowEnd - r.windowStart) / 1000
  const h = checker.latencyUs
  const loss = r.sparkplugSent - t.sparkplugUnique + (r.jsonSent - t.jsonUnique)
  const updates = (r.sparkplugAcked * METRICS + r.jsonAcked) / s
  const cores = cpuCores(cpuStart, end)
  say(
    `${sc.name} ${v.client}:${v.headers}${opts.rates ? ' (50%)' : ''}: ${fmt(updates)} updates/s, ` +
      `sent ${r.sparkplugSent} DDATA + ${r.jsonSent} JSON, seen ${t.sparkplugUnique} + ${t.jsonUnique}` +
      `${complete ? '' : ' (INCOMPLETE after 30 s)'}, dup ${t.duplicates}, order ${t.outOfOrder}, ${fmt(cores, 2)} cores (main thread ${fmt(mainCores, 2)}), ` +
      `Kafka sends: ${fmt(batchMean)} records in ${fmt(sendMs, 1)} ms on average; machine ${fmt(machine.busy, 2)} of ` +
      `${cpus().length} cores busy (Kafka ${fmt(machine.kafka, 2)}, loader ${fmt(machine.loader, 2)}); ${memory}`,
  )
  return {
    load: r,
    row: {
      scenario: sc.name,
      what: `uns-bridge${args.built ? ' (dist/)' : ''}, ${v.client}, ${v.headers} headers, batch ${v.batch}${v.thread ? ', producer thread' : ''}${opts.rates ? ', 50% load' : ''}`,
      messagesPerS: (r.sparkplugAcked + r.jsonAcked) / s,
      updatesPerS: updates,
      latencyMs: [h.percentile(50) / 1000, h.percentile(95) / 1000, h.percentile(99) / 1000],
      pubackMs: r.pubackMs,
      check: `${loss} / ${t.duplicates} / ${t.outOfOrder}`,
      sends: `${fmt(batchMean)} / ${fmt(sendMs, 0)} ms`,
      rssMiB: rss,
      cpuCores: cores,
      usPerUpdate: (cores * 1e6) / updates,
      mainCores,
      machine,
    },
  }
}

const started = Date.now()
if (args.built) {
  say('building dist/ (npm run build) ...')
  execFileSync('npm', ['run', 'build'], { stdio: 'ignore' })
}
const loadAtStart = loadavg()
mkdirSync(resolve('.cache'), { recursive: true })
const dataDir = mkdtempSync(join(resolve('.cache'), 'bench-kafka-'))
say(`starting a local Kafka in ${dataDir} ...`)
const kafka = await startKafka({ port: 0, dataDir, log: say })
const brokers = [kafka.bootstrap]
const rows: Row[] = []
const ratios: string[] = []
let profileLines: string[] = []
let run = 0
try {
  for (const name of args.scenarios.split(',')) {
    const sc = SCENARIOS[name]
    if (!sc) throw new Error(`unknown scenario ${name}; one of ${Object.keys(SCENARIOS).join(', ')}`)
    for (const v of variantsOf(name)) {
      run++
      if (!args['no-ceiling']) say(`${name}: ceiling ${v.client}:${v.headers}, ${DURATION_S} s ...`)
      const c = args['no-ceiling'] ? undefined : await ceiling(brokers, sc, v, `tp${run}c`)
      if (c) rows.push(c)
      say(`${name}: uns-bridge ${v.client}:${v.headers}, ${DURATION_S} s ...`)
      const m = await service(kafka.pid, brokers, sc, v, `tp${run}s`)
      rows.push(m.row)
      if (c)
        ratios.push(
          `${name}, ${v.client}:${v.headers}:${v.batch}${v.thread ? ':thread' : ''}: uns-bridge / ceiling = ${fmt(m.row.updatesPerS / c.updatesPerS, 2)}`,
        )
      const isDefault =
        v.client === 'platformatic' &&
        v.headers === 'lean' &&
        v.batch === MAX_BATCH_RECORDS &&
        v.thread === PRODUCER_THREAD
      if (isDefault && args.half) {
        const w = (m.load.windowEnd - m.load.windowStart) / 1000
        const rates = {
          sparkplug: sc.edges > 0 ? m.load.sparkplugAcked / w / (sc.edges * sc.devices) / 2 : 0,
          json: sc.json > 0 ? m.load.jsonAcked / w / sc.json / 2 : 0,
        }
        say(`${name}: uns-bridge ${v.client}:${v.headers} at 50%, ${DURATION_S} s ...`)
        rows.push((await service(kafka.pid, brokers, sc, v, `tp${run}h`, { rates })).row)
      }
      if (isDefault && args.profile && name === 'sparkplug') {
        const profileDir = resolve('.cache/bench-profile-13')
        rmSync(profileDir, { recursive: true, force: true })
        mkdirSync(profileDir, { recursive: true })
        say(`${name}: uns-bridge under node --cpu-prof, ${DURATION_S} s ...`)
        const prof = await service(kafka.pid, brokers, sc, v, `tp${run}p`, { profileDir })
        const file = readdirSync(profileDir)
          .filter((f) => f.endsWith('.cpuprofile'))
          .sort((x, y) => statSync(join(profileDir, y)).size - statSync(join(profileDir, x)).size)[0]
        if (file) {
          const p = summariseProfile(join(profileDir, file))
          profileLines = [
            '',
            `CPU profile of the service (${name}, ${v.client}, ${v.headers} headers, a separate run under \`node --cpu-prof\`, ${fmt(prof.row.updatesPerS)} metric updates/s; process life ${fmt(p.totalMs / 1000, 1)} s, idle ${fmt((100 * p.idleMs) / p.totalMs)}%):`,
            '',
            ...table(
              ['package / stage', 'self time', 'incl. the builtins it called'],
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

const body = [
  `\`npm run bench -- throughput\` (this run: ${fmt((Date.now() - started) / 1000)} s, ${DURATION_S} s measured after ${WARMUP_S} s warm-up per row). Scenarios: sparkplug = 10 edge nodes x 5 devices, DDATA of ${METRICS} alias-only metrics;`,
  `json = 10 JSON clients; mixed = 5 x 5 Sparkplug and 5 JSON; QoS 1, ${WINDOW} publishes in flight per client. uns-bridge rows: the CLI as a child, PUBACK after acks=all, validation and tree on,`,
  "read back from Kafka: loss / duplicates / out of order per key. Ceiling rows: the service's own client adapter alone producing the same record layout (raw + telemetry per metric; state is coalesced and left out), batches of the row's size, one send at a time.",
  'CPU and RSS: the process under test, from /proc (main thread: its main thread alone). us/update: CPU microseconds per metric update. Machine: cores busy on the whole machine in the window (/proc/stat), of them the Kafka broker and the loader.',
  '',
  ...machine(loadAtStart),
  `- load average at end ${loadavg()
    .map((x) => x.toFixed(2))
    .join(' ')}`,
  '',
  ...table(
    [
      'scenario',
      'what',
      'metric updates/s',
      'records/s',
      'publish->Kafka read p50/p95/p99 ms',
      'PUBACK p50/p99 ms',
      'loss / dup / order',
      'records per send / send time',
      'peak RSS',
      'CPU cores (main thread)',
      'us/update',
      'machine busy / Kafka / loader cores',
    ],
    rows.map((r) => [
      r.scenario,
      r.what,
      fmt(r.updatesPerS),
      r.recordsPerS === undefined ? '-' : fmt(r.recordsPerS),
      r.latencyMs ? r.latencyMs.map((x) => fmt(x, 0)).join(' / ') : '-',
      r.pubackMs ? `${fmt(r.pubackMs[0], 0)} / ${fmt(r.pubackMs[2], 0)}` : '-',
      r.check ?? '-',
      r.sends ?? '-',
      `${fmt(r.rssMiB)} MiB`,
      r.mainCores === undefined ? fmt(r.cpuCores, 2) : `${fmt(r.cpuCores, 2)} (main ${fmt(r.mainCores, 2)})`,
      fmt(r.usPerUpdate, 1),
      r.machine ? [r.machine.busy, r.machine.kafka, r.machine.loader].map((x) => fmt(x, 2)).join(' / ') : '-',
    ]),
  ),
  '',
  'Ratios in this run:',
  '',
  ...ratios.map((r) => `- ${r}`),
  ...profileLines,
]
console.log(body.join('\n'))
if (!args['no-write']) {
  writeSection('bench/README.md', body, '## Throughput (issue 13)')
  say('wrote the "Throughput (issue 13)" section of bench/README.md')
}
