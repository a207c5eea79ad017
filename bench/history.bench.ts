// History bench (issue 14): one tag's history over 1 hour at 1 Hz, among 10,000 tags at 1 Hz, on a
// 3-partition telemetry topic, read back through the service's own path (createHistory -> the
// kafkajs adapter's readPartition: ListOffsets by time + Fetch of the key's partition only).
// Writes the hour first (record timestamps set by the producer, like the bridge's CreateTime), then
// times, for `--queries` different tags each:
//   hour, no budget     the whole hour of the tag (its partition holds a third of every tag's records)
//   hour, default budget the same with history.scanMaxRecords/scanMaxMs defaults (500,000 / 5,000 ms)
//   last minute         from = end - 1 min: the offset lookup skips straight to it
// Run: npx tsx bench/history.bench.ts [--tags 10000] [--seconds 3600] [--queries 5]
import { cpus, loadavg } from 'node:os'
import { Kafka, logLevel } from 'kafkajs'
import { createRecordLocator } from '../src/bridge/index.js'
import { createKafkaClient } from '../src/kafka/index.js'
import { createHistory, type HistoryConfig } from '../src/history/index.js'
import { createLogger } from '../src/logger.js'
import { table } from './e2e/report.js'

const arg = (name: string, def: number): number => {
  const i = process.argv.indexOf(`--${name}`)
  return i > 0 ? Number(process.argv[i + 1]) : def
}
const TAGS = arg('tags', 10_000)
const SECONDS = arg('seconds', 3600)
const QUERIES = arg('queries', 5)
const PARTITIONS = 3
const TOPIC = 'uns.telemetry'
const say = (line: string): void => console.error(`[bench history] ${line}`)
const tagPath = (i: number): string =>
  `acme/site-${i % 2}/area-${Math.floor(i / 1000) % 10}/line-${Math.floor(i / 100) % 10}/cell-${Math.floor(i / 10) % 10}/tag${i % 10}`

const pct = (xs: number[], p: number): number => {
  const s = [...xs].sort((a, b) => a - b)
  return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)] ?? NaN
}
const ms = (n: number): string => `${n < 10 ? n.toFixed(1) : Math.round(n).toLocaleString('en-US')} ms`

const { startKafka } = await import('../scripts/local-kafka.js')
const load0 = loadavg()
const kafka = await startKafka({ log: say })
try {
  const brokers = kafka.bootstrap
  const admin = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic: TOPIC, numPartitions: PARTITIONS }], waitForLeaders: true })
  await admin.disconnect()

  // --- write the hour: every second, one record per tag (what the bridge writes: key and uns-path = path)
  const end = Date.now()
  const start = end - SECONDS * 1000
  const producer = new Kafka({ brokers: [brokers], logLevel: logLevel.NOTHING }).producer()
  await producer.connect()
  const t0 = performance.now()
  const inFlight: Promise<unknown>[] = []
  for (let s = 0; s < SECONDS; s++) {
    const ts = String(start + s * 1000)
    const messages = []
    for (let i = 0; i < TAGS; i++) {
      const path = tagPath(i)
      messages.push({
        key: path,
        value: `{"value":${(i + s) % 1000},"timestamp":${ts},"quality":"good"}`,
        timestamp: ts,
        headers: { 'uns-path': path, 'content-type': 'application/json' },
      })
    }
    inFlight.push(producer.send({ topic: TOPIC, acks: 1, messages }))
    if (inFlight.length >= 4) await inFlight.shift()
    if (s % 300 === 299) say(`wrote ${((s + 1) * TAGS).toLocaleString('en-US')} records`)
  }
  await Promise.all(inFlight)
  await producer.disconnect()
  const writeS = (performance.now() - t0) / 1000
  say(`wrote ${(SECONDS * TAGS).toLocaleString('en-US')} records in ${writeS.toFixed(0)} s`)

  // --- read back through the service's history stage
  const logger = createLogger('silent')
  const client = createKafkaClient(
    {
      brokers: [brokers],
      clientId: 'bench-history',
      connectTimeoutMs: 3000,
      requestTimeoutMs: 30000,
      ssl: false,
    },
    logger,
  )
  const locate = createRecordLocator(
    {
      routes: [],
      defaultRoutes: true,
      inbound: [],
      topics: { telemetry: TOPIC, events: 'uns.events', alarms: 'uns.alarms', commands: 'uns.commands' },
    },
    () => undefined,
  )
  const tree = { subscribe: () => () => {} }
  const make = (c: Partial<HistoryConfig>) =>
    createHistory(
      { logger, tree, kafka: client, locate },
      { ringPoints: 0, ringMinutes: 10, scanMaxRecords: 500_000, scanMaxMs: 5_000, maxPoints: 100_000, ...c },
    )
  const cases = [
    { name: 'hour, no budget', history: make({ scanMaxRecords: 1e12, scanMaxMs: 3_600_000 }), from: start },
    { name: 'hour, default budget', history: make({}), from: start },
    { name: 'last minute', history: make({}), from: end - 60_000 },
  ]
  // Warm-up: metadata and connections.
  await cases[2]?.history.read({ path: tagPath(1), from: end - 1000, to: end, source: 'kafka' }, () => {})
  const rows: string[][] = []
  for (const c of cases) {
    const lat: number[] = []
    let points = 0
    let scanned = 0
    let truncated = ''
    for (let q = 0; q < QUERIES; q++) {
      const path = tagPath((q * 7919) % TAGS)
      const t = performance.now()
      let n = 0
      const summary = await c.history.read(
        { path, from: c.from, to: end, source: 'kafka', limit: 100_000 },
        () => void (n += 1),
      )
      lat.push(performance.now() - t)
      points += n
      scanned += summary.scanned
      truncated = summary.truncated ? `yes (${summary.reason})` : 'no'
      say(
        `${c.name} ${path}: ${n} points, ${summary.scanned} scanned, ${Math.round(lat[lat.length - 1] ?? 0)} ms`,
      )
    }
    rows.push([
      c.name,
      ms(pct(lat, 50)),
      ms(pct(lat, 99)),
      String(Math.round(points / QUERIES)),
      Math.round(scanned / QUERIES).toLocaleString('en-US'),
      truncated,
    ])
    c.history.close()
  }
  await client.close()
  const out = [
    `${TAGS.toLocaleString('en-US')} tags x ${SECONDS} s at 1 Hz = ${(TAGS * SECONDS).toLocaleString('en-US')} records on ${PARTITIONS} partitions (written in ${writeS.toFixed(0)} s); ${QUERIES} queries per case, each a different tag`,
    '',
    ...table(['query (one tag)', 'p50', 'p99', 'points', 'records scanned', 'truncated'], rows),
    '',
    `- ${cpus().length} x ${cpus()[0]?.model ?? '?'}, Node ${process.version}, Kafka 4.4.0 single node on the same machine`,
    `- load average at start ${load0.map((x) => x.toFixed(1)).join(' ')}, at end ${loadavg()
      .map((x) => x.toFixed(1))
      .join(' ')}`,
  ]
  console.log(out.join('\n'))
} finally {
  await kafka.stop()
}
