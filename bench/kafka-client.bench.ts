// Kafka client bench (issue 13, part A): producer ceilings of the clients behind KafkaClient, with the
// service's record shape (key = a 15-byte UNS path, value = an 80-byte JSON envelope), batches of
// 1,000 records, 4 sends in flight, acks=all, topics of 3 partitions, Kafka on the same machine.
// Each measurement runs in a child process of its own (fresh heap and JIT; its CPU is the client's
// alone), and the clients alternate within each repetition so that both see the same machine load.
// Suites (--suite, comma-separated):
//   adapter  through KafkaClient as the service uses it (sends queued one at a time, in call order),
//            0, 3 and 8 headers per record;
//   raw      the library alone with 4 produce requests really in flight, not idempotent (the
//            ceiling the issue measured; per-key order is not kept under retries there);
//   headers  the price of each of today's telemetry headers: one header per record vs none, every
//            variant in turn within one child process per client (load drifts cancel);
//   options  8 headers with idempotence, gzip, lz4, and batches of 5,000.
// Prints one line per run and the markdown tables at the end. Run from the repository root:
//   npx tsx bench/kafka-client.bench.ts [--suite adapter,raw,headers,options] [--reps 3] [--seconds 4]
import { execSync, spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { cpus, loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { parseArgs } from 'node:util'
import { Kafka, logLevel } from 'kafkajs'
import { ProduceAcks, Producer } from '@platformatic/kafka'
import { createKafkaClient, type KafkaRecord } from '../src/kafka/kafka-client.js'
import type { KafkaCompression } from '../src/kafka/kafka-client-shared.js'
import { createRecordEncoder } from '../src/kafka/kafka-record-encoder.js'
import { createLogger } from '../src/logger.js'
import { startKafka } from '../scripts/local-kafka.js'
import { sampleCpu } from './e2e/proc-stats.js'
import { table } from './e2e/report.js'

type ClientName = 'kafkajs' | 'platformatic'
const CLIENT_NAMES: readonly ClientName[] = ['kafkajs', 'platformatic']

/** Today's telemetry headers with values of the size the service writes. */
const HEADER_VALUES: Readonly<Record<string, (path: string, n: number) => string>> = {
  'mqtt-topic': (_p, n) => `spBv1.0/acme/DDATA/edge-${n % 10}/dev-1`,
  'mqtt-qos': () => '1',
  'mqtt-retain': () => 'false',
  'uns-path': (p) => p,
  'uns-class': () => 'telemetry',
  'content-type': () => 'application/json',
  source: (_p, n) => `edge-${n % 10}`,
  origin: () => 'uns-bridge',
  schema: () => 'uns-envelope@1',
  'sparkplug-topic': (_p, n) => `spBv1.0/acme/DDATA/edge-${n % 10}/dev-1`,
}
const ALL_HEADERS = Object.keys(HEADER_VALUES)
/** Header price runs: none, each header alone, all of them. */
const PRICE_VARIANTS: readonly (readonly string[])[] = [[], ...ALL_HEADERS.map((h) => [h]), ALL_HEADERS]
/** The per-record header sets of the adapter and raw suites: none, a lean three, today's eight. */
const HEADER_SETS: Readonly<Record<string, readonly string[]>> = {
  '0': [],
  '3': ['content-type', 'source', 'origin'],
  '8': ['mqtt-topic', 'mqtt-qos', 'mqtt-retain', 'uns-path', 'uns-class', 'content-type', 'source', 'origin'],
}

interface Plan {
  readonly client: ClientName
  readonly mode: 'adapter' | 'raw'
  readonly brokers: string
  readonly topic: string
  readonly headers: readonly string[]
  readonly batch: number
  readonly inFlight: number
  readonly warmupS: number
  readonly seconds: number
  readonly idempotent: boolean
  readonly compression: KafkaCompression
}

interface Result {
  readonly records: number
  readonly seconds: number
  readonly cpuS: number
}

/** Distinct records of the service's shape (1,000 paths), built before the clock starts. */
function recordPool(topic: string, headerNames: readonly string[], size = 20_000): KafkaRecord[] {
  return Array.from({ length: size }, (_, n) => {
    const path = `plant/e${n % 10}/d1/m${String(n % 100).padStart(2, '0')}` // 15 bytes
    const headers: Record<string, string> = {}
    for (const h of headerNames) headers[h] = (HEADER_VALUES[h] as (p: string, n: number) => string)(path, n)
    const value = `{"value":${(n * 1.37).toFixed(3)},"timestamp":${1_760_000_000_000 + n},"quality":"good","datatype":"Double"}`
    return { topic, key: path, value: Buffer.from(value.slice(0, 80)), headers }
  })
}

/** Header price: one client, every header set in turn within each round, so that load drifts cancel. */
interface PricePlan {
  readonly client: ClientName
  readonly brokers: string
  readonly topic: string
  readonly variants: readonly (readonly string[])[]
  readonly rounds: number
  readonly batchesPerWindow: number
  readonly batch: number
  readonly inFlight: number
}

async function runPriceChild(plan: PricePlan): Promise<void> {
  const client = createKafkaClient(
    {
      client: plan.client,
      brokers: [plan.brokers],
      clientId: 'bench-header-price',
      connectTimeoutMs: 3000,
      requestTimeoutMs: 30000,
      ssl: false,
    },
    createLogger('silent'),
  )
  await client.connectProducer()
  const pools = plan.variants.map((headers) => recordPool(plan.topic, headers, 5000))
  const window = async (pool: KafkaRecord[]): Promise<Result> => {
    let next = 0
    let started = 0
    const cpu0 = process.cpuUsage()
    const t0 = performance.now()
    const sender = async (): Promise<void> => {
      while (started < plan.batchesPerWindow) {
        started++
        const start = next
        next = (next + plan.batch) % (pool.length - plan.batch)
        await client.send(pool.slice(start, start + plan.batch))
      }
    }
    await Promise.all(Array.from({ length: plan.inFlight }, () => sender()))
    const cpu = process.cpuUsage(cpu0)
    return {
      records: plan.batchesPerWindow * plan.batch,
      seconds: (performance.now() - t0) / 1000,
      cpuS: (cpu.user + cpu.system) / 1e6,
    }
  }
  for (const pool of pools) await window(pool) // warm-up
  const results: Result[][] = plan.variants.map(() => [])
  for (let r = 0; r < plan.rounds; r++)
    for (let k = 0; k < pools.length; k++) {
      const i = (k + r) % pools.length // a different variant first in each round
      results[i]?.push(await window(pools[i] as KafkaRecord[]))
    }
  await client.close()
  process.stdout.write(`${JSON.stringify(results)}\n`)
  process.exit(0)
}

async function runChild(plan: Plan): Promise<void> {
  const pool = recordPool(plan.topic, plan.headers)
  let send: (records: KafkaRecord[]) => Promise<unknown>
  let close: () => Promise<unknown>
  if (plan.mode === 'adapter') {
    const client = createKafkaClient(
      {
        client: plan.client,
        brokers: [plan.brokers],
        clientId: 'bench-kafka-client',
        connectTimeoutMs: 3000,
        requestTimeoutMs: 30000,
        ssl: false,
        idempotent: plan.idempotent,
        compression: plan.compression,
      },
      createLogger('silent'),
    )
    await client.connectProducer()
    send = (records) => client.send(records)
    close = () => client.close()
  } else if (plan.client === 'kafkajs') {
    const kafka = new Kafka({ brokers: [plan.brokers], clientId: 'bench-raw', logLevel: logLevel.NOTHING })
    const producer = kafka.producer({ allowAutoTopicCreation: false, maxInFlightRequests: plan.inFlight })
    await producer.connect()
    send = (records) =>
      producer.sendBatch({
        acks: -1,
        topicMessages: [
          {
            topic: plan.topic,
            messages: records.map((r) => ({ key: r.key, value: r.value, headers: { ...r.headers } })),
          },
        ],
      })
    close = () => producer.disconnect()
  } else {
    const producer = new Producer<Buffer, Buffer, Buffer, Buffer>({
      clientId: 'bench-raw',
      bootstrapBrokers: [plan.brokers],
      acks: ProduceAcks.ALL,
      maxInflights: plan.inFlight,
    })
    const encode = createRecordEncoder()
    send = (records) => producer.send({ messages: records.map(encode), acks: ProduceAcks.ALL })
    close = () => producer.close()
  }
  let measuring = false
  let stop = false
  let records = 0
  let next = 0
  const sender = async (): Promise<void> => {
    while (!stop) {
      const start = next
      next = (next + plan.batch) % (pool.length - plan.batch)
      const batch = pool.slice(start, start + plan.batch)
      await send(batch)
      if (measuring) records += batch.length
    }
  }
  const loops = Array.from({ length: plan.inFlight }, () => sender())
  await new Promise((r) => setTimeout(r, plan.warmupS * 1000))
  process.stdout.write('window-start\n')
  measuring = true
  const started = performance.now()
  const cpu0 = process.cpuUsage()
  await new Promise((r) => setTimeout(r, plan.seconds * 1000))
  measuring = false
  const cpu = process.cpuUsage(cpu0)
  const seconds = (performance.now() - started) / 1000
  process.stdout.write('window-end\n')
  stop = true
  await Promise.all(loops)
  await close()
  const result: Result = { records, seconds, cpuS: (cpu.user + cpu.system) / 1e6 }
  process.stdout.write(`${JSON.stringify(result)}\n`)
  process.exit(0)
}

interface Measured extends Result {
  readonly kafkaCpuS: number
}

const here = fileURLToPath(import.meta.url)

function measurePrices(plan: PricePlan): Promise<Result[][]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', here, '--price-child', JSON.stringify(plan)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    child.stdout.on('data', (c: Buffer) => (out += c.toString()))
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`bench child exited with ${code}: ${out}`))
      resolve(JSON.parse(out.trim().split('\n').at(-1) ?? '[]') as Result[][])
    })
  })
}

/** Runs one plan in a child; samples the Kafka process's CPU over the child's measuring window. */
function measure(plan: Plan, kafkaPid: number | undefined): Promise<Measured> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', here, '--child', JSON.stringify(plan)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    })
    let out = ''
    let k0 = 0
    let kafkaCpuS = 0
    child.stdout.on('data', (c: Buffer) => {
      out += c.toString()
      if (kafkaPid !== undefined && out.includes('window-start') && k0 === 0) k0 = sampleCpu(kafkaPid).cpuS
      if (kafkaPid !== undefined && out.includes('window-end') && kafkaCpuS === 0)
        kafkaCpuS = sampleCpu(kafkaPid).cpuS - k0
    })
    child.on('exit', (code) => {
      const last = out.trim().split('\n').at(-1) ?? ''
      if (code !== 0) return reject(new Error(`bench child exited with ${code}: ${out}`))
      resolve({ ...(JSON.parse(last) as Result), kafkaCpuS })
    })
  })
}

const sh = (cmd: string): string => {
  try {
    return execSync(cmd, { encoding: 'utf8' }).trim()
  } catch {
    return '?'
  }
}

async function runParent(): Promise<void> {
  const { values: args } = parseArgs({
    options: {
      suite: { type: 'string', default: 'adapter,raw,headers,options' },
      reps: { type: 'string', default: '3' },
      seconds: { type: 'string', default: '4' },
      warmup: { type: 'string', default: '1.5' },
      batch: { type: 'string', default: '1000' },
      'in-flight': { type: 'string', default: '4' },
      brokers: { type: 'string' },
    },
  })
  const suites = new Set((args.suite ?? '').split(','))
  const reps = Number(args.reps)
  const say = (line: string): void => console.error(`[bench kafka-client] ${line}`)
  const loadStart = loadavg()
  say(`uptime: ${sh('uptime')}`)
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-kafka-client-'))
  const kafka = args.brokers ? undefined : await startKafka({ dataDir, log: say })
  // A failed run must not leave its Kafka behind.
  const stopKafka = async (): Promise<void> => {
    await kafka?.stop()
    rmSync(dataDir, { recursive: true, force: true })
  }
  process.once('uncaughtException', (err) => {
    console.error(err)
    void stopKafka().finally(() => process.exit(1))
  })
  process.once('unhandledRejection', (err) => {
    console.error(err)
    void stopKafka().finally(() => process.exit(1))
  })
  const brokers = args.brokers ?? kafka?.bootstrap ?? ''
  const port = brokers.split(':').at(-1) ?? ''
  const pidText = sh(`ss -ltnpH 'sport = :${port}' | grep -o 'pid=[0-9]*' | head -1`)
  const kafkaPid = /pid=(\d+)/.exec(pidText)?.[1] ? Number(/pid=(\d+)/.exec(pidText)?.[1]) : undefined
  const admin = new Kafka({ brokers: [brokers], clientId: 'bench-admin', logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  // Topics are created through the adapter: kafkajs's own wait for leaders can fail on a fresh topic.
  const setup = createKafkaClient(
    {
      brokers: [brokers],
      clientId: 'bench-setup',
      connectTimeoutMs: 3000,
      requestTimeoutMs: 30000,
      ssl: false,
    },
    createLogger('silent'),
  )

  let topicN = 0
  const prices = new Map<ClientName, Result[][][]>() // client -> repetition -> variant -> round
  const loads: number[] = []
  const results = new Map<string, Measured[]>()
  const run = async (label: string, plan: Omit<Plan, 'topic' | 'brokers'>): Promise<void> => {
    const topic = `bench.kafka-client.${process.pid}.${topicN++}`
    await setup.ensureTopics([{ topic, partitions: 3 }])
    const m = await measure({ ...plan, topic, brokers }, kafkaPid)
    await admin.deleteTopics({ topics: [topic] }).catch(() => {})
    loads.push(loadavg()[0] ?? 0)
    const key = `${label}|${plan.client}`
    results.set(key, [...(results.get(key) ?? []), m])
    say(
      `${label.padEnd(28)} ${plan.client.padEnd(12)} ${fmt(m.records / m.seconds).padStart(8)} rec/s  ` +
        `${((m.cpuS * 1e6) / m.records).toFixed(1).padStart(5)} µs/rec client  ` +
        `${((m.kafkaCpuS * 1e6) / m.records).toFixed(1).padStart(5)} µs/rec Kafka  load ${loadavg()[0]?.toFixed(2)}`,
    )
  }
  const common = {
    batch: Number(args.batch),
    inFlight: Number(args['in-flight']),
    warmupS: Number(args.warmup),
    seconds: Number(args.seconds),
    idempotent: false,
    compression: 'none' as KafkaCompression,
  }

  for (let rep = 0; rep < reps; rep++) {
    // Alternate the client order between repetitions as well as within them.
    const order = rep % 2 === 0 ? CLIENT_NAMES : [...CLIENT_NAMES].reverse()
    if (suites.has('adapter'))
      for (const [n, headers] of Object.entries(HEADER_SETS))
        for (const client of order)
          await run(`adapter, ${n} headers`, { ...common, client, mode: 'adapter', headers })
    if (suites.has('raw'))
      for (const [n, headers] of Object.entries(HEADER_SETS))
        for (const client of order)
          await run(`raw, ${n} headers`, { ...common, client, mode: 'raw', headers })
    if (suites.has('headers'))
      for (const client of order) {
        const topic = `bench.kafka-client.${process.pid}.${topicN++}`
        await setup.ensureTopics([{ topic, partitions: 3 }])
        const r = await measurePrices({
          client,
          brokers,
          topic,
          variants: PRICE_VARIANTS,
          rounds: 5,
          batchesPerWindow: 20,
          batch: common.batch,
          inFlight: common.inFlight,
        })
        await admin.deleteTopics({ topics: [topic] }).catch(() => {})
        loads.push(loadavg()[0] ?? 0)
        prices.set(client, [...(prices.get(client) ?? []), r])
        say(`header prices ${client}: done, load ${loadavg()[0]?.toFixed(2)}`)
      }
    if (suites.has('options'))
      for (const [name, extra] of [
        ['8 headers, idempotent', { idempotent: true }],
        ['8 headers, gzip', { compression: 'gzip' as const }],
        ['8 headers, lz4', { compression: 'lz4' as const }],
        ['8 headers, batches of 5,000', { batch: 5000 }],
      ] as const)
        for (const client of order)
          await run(name, { ...common, ...extra, client, mode: 'adapter', headers: HEADER_SETS['8'] ?? [] })
  }
  await admin.disconnect()
  await setup.close()
  await stopKafka()

  const median = (xs: number[]): number => {
    const s = [...xs].sort((a, b) => a - b)
    const mid = Math.floor(s.length / 2)
    return s.length % 2 === 1 ? (s[mid] ?? NaN) : ((s[mid - 1] ?? NaN) + (s[mid] ?? NaN)) / 2
  }
  const cell = (label: string, client: ClientName, what: 'rate' | 'cpu' | 'kafka'): string => {
    const ms = results.get(`${label}|${client}`) ?? []
    if (ms.length === 0) return ''
    const vals = ms.map((m) =>
      what === 'rate'
        ? m.records / m.seconds
        : ((what === 'cpu' ? m.cpuS : m.kafkaCpuS) * 1e6) / Math.max(1, m.records),
    )
    const lo = Math.min(...vals)
    const hi = Math.max(...vals)
    const f = (x: number): string => (what === 'rate' ? fmt(x) : x.toFixed(1))
    return `${f(median(vals))} (${f(lo)}–${f(hi)})`
  }
  const labels = [...new Set([...results.keys()].map((k) => k.split('|')[0] as string))]
  const lines: string[] = [
    `Machine: \`nproc\` ${sh('nproc')} (${cpus()[0]?.model ?? '?'}), \`free -g\` total ${sh("free -g | awk '/Mem:/{print $2}'")} GiB, ` +
      `Node ${process.version}, Kafka 4.4.0 single node on the same cores; load average (1 min) ` +
      `${loadStart[0]?.toFixed(2)} at start, ${Math.min(...loads).toFixed(2)}–${Math.max(...loads).toFixed(2)} after each run; ` +
      `${new Date().toISOString()}, git ${sh('git rev-parse --short HEAD')}. Median of ${reps} (min–max).`,
    '',
    ...(labels.length === 0
      ? []
      : table(
          [
            'run',
            'kafkajs rec/s',
            'platformatic rec/s',
            'kafkajs µs/rec',
            'platformatic µs/rec',
            'Kafka µs/rec (kjs / plt)',
          ],
          labels.map((l) => [
            l,
            cell(l, 'kafkajs', 'rate'),
            cell(l, 'platformatic', 'rate'),
            cell(l, 'kafkajs', 'cpu'),
            cell(l, 'platformatic', 'cpu'),
            `${cell(l, 'kafkajs', 'kafka').split(' ')[0]} / ${cell(l, 'platformatic', 'kafka').split(' ')[0]}`,
          ]),
        )),
  ]
  if (prices.size > 0) {
    // Price of a header set = its CPU per record minus that of no headers in the same round.
    const usPerRec = (m: Result): number => (m.cpuS * 1e6) / m.records
    const priceOf = (client: ClientName, v: number): string => {
      const diffs: number[] = []
      const base: number[] = []
      for (const rep of prices.get(client) ?? [])
        rep[v]?.forEach((m, round) => {
          const none = rep[0]?.[round]
          if (none) diffs.push(usPerRec(m) - usPerRec(none))
          if (none) base.push(usPerRec(none))
        })
      return v === 0 ? `${median(base).toFixed(1)} (none)` : `+${median(diffs).toFixed(2)}`
    }
    lines.push(
      '',
      `Header prices: client CPU µs per record, one header per record minus none, median over ${reps} x 5 rounds:`,
      '',
      ...table(
        ['headers', 'kafkajs µs/rec', 'platformatic µs/rec'],
        PRICE_VARIANTS.map((v, i) => [
          v.length === 0 ? 'none' : v.length === 1 ? `\`${v[0]}\`` : `all ${v.length}`,
          priceOf('kafkajs', i),
          priceOf('platformatic', i),
        ]),
      ),
    )
  }
  console.log(lines.join('\n'))
}

function fmt(x: number): string {
  return Math.round(x).toLocaleString('en-US')
}

const childAt = process.argv.indexOf('--child')
const priceAt = process.argv.indexOf('--price-child')
if (childAt >= 0) await runChild(JSON.parse(process.argv[childAt + 1] ?? '{}') as Plan)
else if (priceAt >= 0) await runPriceChild(JSON.parse(process.argv[priceAt + 1] ?? '{}') as PricePlan)
else await runParent()
