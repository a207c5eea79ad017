// Namespace restore bench (issue 3: "restore time from uns.state", target < 10 s for 100,000 tags).
// Starts a local Kafka, writes 100,000 state records (one per UNS path, like uns-bridge writes them)
// to a fresh compacted topic with 3 partitions, then, in alternating child processes (so that each
// RSS is its own):
//   baseline: a plain kafkajs consumer reads the topic to its end (eachMessage, last value per key in a Map);
//   service:  the real uns-bridge (createService, lenient demo namespace) until health().ready, which
//             needs the state topic read to its end into the namespace tree.
// Verifies that every one of the 100,000 values is in the tree (count, and 200 sampled values).
// Run: npx tsx bench/namespace-restore.bench.ts [--tags N] [--rounds R]   (about 60 s)
import { randomUUID } from 'node:crypto'
import { execSync } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Writable } from 'node:stream'
import { Kafka, logLevel, type Message } from 'kafkajs'
import { startChild } from './e2e/children.js'
import { fmt, table } from './e2e/report.js'

const here = dirname(fileURLToPath(import.meta.url))
const PARTITIONS = 3
const BASE_TS = Date.UTC(2026, 10, 25, 12, 0, 0)
const TAGS_PER_CELL = 50
const say = (line: string): void => console.error(`[bench restore] ${line}`)

/** Tag i: 2 sites x 10 areas x 10 lines x 10 cells x 50 tags for 100,000. */
function tagPath(i: number): string {
  const t = i % TAGS_PER_CELL
  const c = Math.floor(i / TAGS_PER_CELL)
  return `acme/site-${Math.floor(c / 1000)}/area-${Math.floor(c / 100) % 10}/line-${Math.floor(c / 10) % 10}/cell-${c % 10}/tag${t}`
}
const tagValue = (i: number): number => i * 0.5

interface ChildResult {
  readonly ms: number
  readonly values: number
  readonly rssMiB: number
  readonly heapMiB: number
  readonly rssBeforeMiB: number
  readonly notes: string
}

const mib = (n: number): number => n / 1024 / 1024
function memory(): { rss: number; heap: number } {
  ;(globalThis as { gc?: () => void }).gc?.()
  const m = process.memoryUsage()
  return { rss: mib(m.rss), heap: mib(m.heapUsed) }
}

async function baselineChild(brokers: string, topic: string): Promise<ChildResult> {
  const before = memory()
  const t0 = performance.now()
  const kafka = new Kafka({ clientId: 'bench-baseline', brokers: [brokers], logLevel: logLevel.NOTHING })
  const admin = kafka.admin()
  await admin.connect()
  const ends = await admin.fetchTopicOffsets(topic)
  await admin.disconnect()
  const consumer = kafka.consumer({ groupId: `bench-baseline-${randomUUID()}` })
  const latest = new Map<string, Buffer | null>()
  const next = new Map<number, number>()
  const done = (): boolean => ends.every((e) => Number(e.high) <= (next.get(e.partition) ?? Number(e.low)))
  await consumer.connect()
  await consumer.subscribe({ topics: [topic], fromBeginning: true })
  await new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        if (message.key) latest.set(message.key.toString('utf8'), message.value)
        next.set(partition, Number(message.offset) + 1)
        if (done()) resolve()
      },
    })
  })
  const ms = performance.now() - t0
  const after = memory()
  await consumer.disconnect()
  return {
    ms,
    values: latest.size,
    rssMiB: after.rss,
    heapMiB: after.heap - before.heap,
    rssBeforeMiB: before.rss,
    notes: 'connect + offsets + group join + fetch all',
  }
}

async function serviceChild(brokers: string, topic: string, tags: number): Promise<ChildResult> {
  const { loadConfig } = await import('../src/config/index.js')
  const { createLogger } = await import('../src/logger.js')
  const { createService } = await import('../src/index.js')
  const run = randomUUID().slice(0, 8)
  const config = loadConfig({
    env: {
      UNS_KAFKA_BROKERS: brokers,
      UNS_KAFKA_TOPICS_STATE: topic,
      UNS_KAFKA_CONSUMER_GROUP: `bench-restore-${run}`,
      UNS_NAMESPACE_DIR: join(here, '..', 'namespace'),
      UNS_NAMESPACE_MODE: 'lenient',
      UNS_MQTT_PORT: '0',
      UNS_HTTP_PORT: '0',
      UNS_HOST: '127.0.0.1',
      UNS_LOG_LEVEL: 'info',
    },
  })
  // The follower's own log line says how long the read of the state topic took and how many records it applied.
  let restoredLog: { records?: number; ms?: number } = {}
  const sink = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const line of chunk.toString().split('\n')) {
        if (!line.includes('state restored from Kafka')) continue
        restoredLog = JSON.parse(line) as typeof restoredLog
      }
      cb()
    },
  })
  const before = memory()
  const t0 = performance.now()
  const service = await createService({ logger: createLogger('info', sink) }, config)
  const created = performance.now() - t0
  const valuesAtCreate = service.tree.stats().values
  const deadline = Date.now() + 80_000
  while (!service.health().ready) {
    if (Date.now() > deadline) throw new Error(`not ready within 80 s: ${JSON.stringify(service.health())}`)
    await new Promise((r) => setTimeout(r, 5))
  }
  const ms = performance.now() - t0
  const values = service.tree.stats().values
  // 200 sampled tags must hold exactly the value that was written for them.
  let wrong = 0
  for (let k = 0; k < 200; k++) {
    const i = Math.floor((k * tags) / 200)
    const v = service.tree.node(tagPath(i)).value
    if (v?.value !== tagValue(i) || v.timestamp !== BASE_TS + i || v.quality !== 'good') wrong++
  }
  if (wrong > 0) throw new Error(`${wrong} of 200 sampled tags hold a wrong value after restore`)
  const after = memory()
  await service.close()
  return {
    ms,
    values,
    rssMiB: after.rss,
    heapMiB: after.heap - before.heap,
    rssBeforeMiB: before.rss,
    notes:
      `createService ${fmt(created)} ms (${fmt(valuesAtCreate)} values by then); follower: ` +
      `${fmt(restoredLog.records ?? NaN)} records in ${fmt(restoredLog.ms ?? NaN)} ms; 200/200 sampled values exact`,
  }
}

async function produce(brokers: string, topic: string, tags: number): Promise<number> {
  const kafka = new Kafka({
    clientId: 'bench-restore-writer',
    brokers: [brokers],
    logLevel: logLevel.NOTHING,
  })
  const admin = kafka.admin()
  await admin.connect()
  await admin.createTopics({
    waitForLeaders: true,
    topics: [
      {
        topic,
        numPartitions: PARTITIONS,
        replicationFactor: 1,
        configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
      },
    ],
  })
  const producer = kafka.producer({ allowAutoTopicCreation: false })
  await producer.connect()
  const t0 = performance.now()
  const BATCH = 5000
  for (let start = 0; start < tags; start += BATCH) {
    const messages: Message[] = []
    for (let i = start; i < Math.min(tags, start + BATCH); i++) {
      messages.push({
        key: tagPath(i),
        value: JSON.stringify({ value: tagValue(i), timestamp: BASE_TS + i, quality: 'good' }),
        headers: { 'uns-session': 'bench', source: 'bench/restore', origin: 'bench-writer' },
      })
    }
    await producer.send({ topic, acks: -1, messages })
  }
  const ms = performance.now() - t0
  await producer.disconnect()
  const ends = await admin.fetchTopicOffsets(topic)
  await admin.disconnect()
  const total = ends.reduce((n, e) => n + Number(e.high) - Number(e.low), 0)
  if (total !== tags) throw new Error(`topic holds ${total} records, expected ${tags}`)
  return ms
}

const sh = (cmd: string): string => {
  try {
    return execSync(cmd, { encoding: 'utf8' }).trim()
  } catch {
    return '?'
  }
}

async function main(): Promise<void> {
  const { parseArgs } = await import('node:util')
  const { values: args } = parseArgs({
    options: { tags: { type: 'string', default: '100000' }, rounds: { type: 'string', default: '2' } },
  })
  const tags = Number(args.tags)
  const rounds = Number(args.rounds)
  const loadStart = loadavg()
  const { startKafka } = await import('../scripts/local-kafka.js')
  say('starting Kafka')
  const kafka = await startKafka({ log: say })
  try {
    const brokers = kafka.bootstrap
    const topic = `bench.restore.state`
    const produceMs = await produce(brokers, topic, tags)
    say(`wrote ${fmt(tags)} state records in ${fmt(produceMs)} ms`)
    const rows: string[][] = []
    for (let r = 1; r <= rounds; r++) {
      for (const role of ['baseline', 'service'] as const) {
        const child = startChild(
          fileURLToPath(import.meta.url),
          [`--${role}`, brokers, topic, String(tags)],
          {
            nodeArgs: ['--expose-gc'],
          },
        )
        const res = await child.result<ChildResult>()
        say(`round ${r} ${role}: ${fmt(res.ms)} ms, ${fmt(res.values)} values, RSS ${fmt(res.rssMiB)} MiB`)
        if (res.values !== tags) throw new Error(`${role} has ${res.values} values, expected ${tags}`)
        rows.push([
          role === 'baseline' ? 'plain kafkajs consumer to end' : 'uns-bridge createService -> ready',
          String(r),
          fmt(res.ms),
          fmt(res.values),
          `${fmt(res.rssMiB)} MiB (${fmt(res.rssBeforeMiB)} before)`,
          `${fmt(res.heapMiB, 1)} MiB`,
          res.notes,
        ])
      }
    }
    const loadEnd = loadavg()
    const out = [
      `Machine: ${sh('nproc')} x ${cpus()[0]?.model ?? '?'} (\`nproc\`), Node ${process.version}, ` +
        `load average (1/5/15) ${loadStart.map((l) => l.toFixed(2)).join(' ')} at start, ` +
        `${loadEnd.map((l) => l.toFixed(2)).join(' ')} at end; Apache Kafka ${kafka.libDir.includes('4.4.0') ? '4.4.0' : '?'} local; ` +
        `${new Date().toISOString()}, git ${sh('git rev-parse --short HEAD')} on \`${sh('git rev-parse --abbrev-ref HEAD')}\``,
      '',
      `${fmt(tags)} state records (3 partitions, compacted) written by kafkajs in ${fmt(produceMs)} ms.`,
      '',
      ...table(
        ['reader', 'round', 'ms to end / ready', 'values', 'RSS after (before)', 'heap growth', 'notes'],
        rows,
      ),
    ]
    console.log(out.join('\n'))
  } finally {
    await kafka.stop()
  }
}

const role = process.argv[2]
if (role === '--baseline' || role === '--service') {
  const [brokers = '', topic = '', tags = '0'] = process.argv.slice(3)
  const res =
    role === '--baseline'
      ? await baselineChild(brokers, topic)
      : await serviceChild(brokers, topic, Number(tags))
  process.stdout.write(`${JSON.stringify(res)}\n`)
  process.exit(0)
} else {
  await main()
}
