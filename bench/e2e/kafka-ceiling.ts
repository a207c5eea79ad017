// The Kafka ceiling of the e2e bench (a child process): kafkajs producing the records uns-bridge would
// produce for the same load, the way its bridge does (acks=all, batches of up to maxBatchRecords grouped
// by topic, one request in flight, no compression), as fast as the broker acknowledges them; or, paced
// (`roundsPerS`), at a given rate with a 2 ms linger, timing each record from creation to acknowledgement.
// Plan in argv[2]; prints one JSON line.
import { createHistogram } from 'node:perf_hooks'
import { CompressionTypes, Kafka, logLevel } from 'kafkajs'
import spb from 'sparkplug-payload/lib/sparkplugPayloadProto.js'

export interface CeilingPlan {
  readonly brokers: string[]
  readonly topicPrefix: string
  readonly sparkplugClients: number
  readonly jsonClients: number
  readonly metricsPerMessage: number
  readonly maxBatchRecords: number
  /** Produce requests in flight at once (the service: 1, to keep per-key order across retries). */
  readonly inFlight: number
  readonly warmupS: number
  readonly durationS: number
  /** Partitions of the topics, as the service creates them (kafka.topicPartitions). */
  readonly topicPartitions: number
  /** Paced: rounds (one DDATA per Sparkplug client, one publish per JSON client) per second. */
  readonly roundsPerS?: number
}

export interface CeilingResult {
  readonly records: number
  readonly sparkplugMessages: number
  readonly jsonMessages: number
  readonly seconds: number
  /** CPU seconds this process used in the window, and its peak RSS (it exits before a parent could read /proc). */
  readonly cpuS: number
  readonly maxRssMiB: number
  /** Paced only: record creation to acknowledgement, p50/p95/p99 ms. */
  readonly latencyMs?: readonly [number, number, number]
}

const P = spb.org.eclipse.tahu.protobuf
type Rec = { topic: string; key: string; value: Buffer; headers: Record<string, string> }

const plan = JSON.parse(process.argv[2] ?? '{}') as CeilingPlan
const topics = {
  telemetry: `${plan.topicPrefix}.telemetry`,
  state: `${plan.topicPrefix}.state`,
  sparkplug: `${plan.topicPrefix}.sparkplug`,
}
const mqttHeaders = (topic: string, client: string): Record<string, string> => ({
  'mqtt-topic': topic,
  'mqtt-qos': '1',
  'mqtt-retain': 'false',
  source: client,
  origin: 'uns-bench',
})
const stateHeaders = (path: string, client: string): Record<string, string> => ({
  'uns-path': path,
  'content-type': 'application/json',
  source: client,
  origin: 'uns-bench',
})

let n = 0
/** One round: a DDATA from every Sparkplug client and a publish from every JSON client, as records. */
function round(): Rec[] {
  const out: Rec[] = []
  const t = Date.now()
  n++
  for (let c = 0; c < plan.sparkplugClients; c++) {
    const topic = `spBv1.0/bench/DDATA/edge-${c + 1}/device-1`
    const metrics = Array.from({ length: plan.metricsPerMessage }, (_, k) =>
      k === 0
        ? { alias: 1, timestamp: t, longValue: n }
        : { alias: k + 1, timestamp: t, doubleValue: Math.random() * 1000 },
    )
    const raw = Buffer.from(P.Payload.encode({ timestamp: t, seq: n % 256, metrics }).finish())
    out.push({
      topic: topics.sparkplug,
      key: topic,
      value: raw,
      headers: { ...mqttHeaders(topic, `edge-${c}`), 'received-at': String(t) },
    })
    for (let k = 0; k < plan.metricsPerMessage; k++) {
      const path = `bench/edge-${c + 1}/device-1/m${k}`
      const env = Buffer.from(
        `{"value":${Math.random() * 1000},"timestamp":${t},"quality":"good","datatype":"Double"}`,
      )
      out.push({ topic: topics.telemetry, key: path, value: env, headers: mqttHeaders(path, `edge-${c}`) })
      out.push({ topic: topics.state, key: path, value: env, headers: stateHeaders(path, `edge-${c}`) })
    }
  }
  for (let c = 0; c < plan.jsonClients; c++) {
    const path = `benchjson/c${c}/t${n % 10}`
    const env = Buffer.from(`{"value":${n},"timestamp":${t},"quality":"good"}`)
    out.push({ topic: topics.telemetry, key: path, value: env, headers: mqttHeaders(path, `json-${c}`) })
    out.push({ topic: topics.state, key: path, value: env, headers: stateHeaders(path, `json-${c}`) })
  }
  return out
}

const kafka = new Kafka({ clientId: 'bench-ceiling', brokers: plan.brokers, logLevel: logLevel.NOTHING })
const admin = kafka.admin()
await admin.connect()
await admin.createTopics({
  waitForLeaders: true,
  topics: [
    { topic: topics.telemetry, numPartitions: plan.topicPartitions },
    { topic: topics.sparkplug, numPartitions: plan.topicPartitions },
    {
      topic: topics.state,
      numPartitions: plan.topicPartitions,
      configEntries: [{ name: 'cleanup.policy', value: 'compact' }],
    },
  ],
})
await admin.disconnect()
const producer = kafka.producer({ allowAutoTopicCreation: true, maxInFlightRequests: plan.inFlight })
await producer.connect()
const perRound = plan.sparkplugClients * (1 + 2 * plan.metricsPerMessage) + plan.jsonClients * 2
const roundsPerBatch = Math.max(1, Math.floor(plan.maxBatchRecords / perRound))
let measuring = false
let records = 0
let rounds = 0
let stop = false
const latency = createHistogram()
const queue: { at: number; recs: Rec[] }[] = []
let due = 0
let last = performance.now()
const pacer =
  plan.roundsPerS === undefined
    ? undefined
    : setInterval(() => {
        const t = performance.now()
        due += ((t - last) * (plan.roundsPerS ?? 0)) / 1000
        last = t
        for (; due >= 1; due--) queue.push({ at: t, recs: round() })
      }, 2)
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms))

/** Paced: what the pacer queued, up to maxBatchRecords, after a 2 ms linger when the queue is short. */
async function nextPaced(): Promise<{ batch: Rec[]; taken: { at: number }[] }> {
  while (queue.length === 0 && !stop) await sleep(2)
  const taken = []
  const batch: Rec[] = []
  while (queue.length > 0 && batch.length + (queue[0]?.recs.length ?? 0) <= plan.maxBatchRecords) {
    const q = queue.shift() as { at: number; recs: Rec[] }
    taken.push(q)
    batch.push(...q.recs)
  }
  return { batch, taken }
}

const sender = async (): Promise<void> => {
  while (!stop) {
    let batch: Rec[] = []
    let taken: { at: number }[] = []
    if (pacer) ({ batch, taken } = await nextPaced())
    else for (let r = 0; r < roundsPerBatch; r++) batch.push(...round())
    if (batch.length === 0) continue
    const byTopic = new Map<string, { key: string; value: Buffer; headers: Record<string, string> }[]>()
    for (const rec of batch) {
      let list = byTopic.get(rec.topic)
      if (!list) byTopic.set(rec.topic, (list = []))
      list.push({ key: rec.key, value: rec.value, headers: rec.headers })
    }
    await producer.sendBatch({
      acks: -1,
      compression: CompressionTypes.None,
      topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
    })
    if (measuring) {
      records += batch.length
      rounds += pacer ? taken.length : roundsPerBatch
      const acked = performance.now()
      for (const q of taken) latency.record(Math.max(1, Math.round((acked - q.at) * 1000)))
    }
  }
}
const loops = Array.from({ length: plan.inFlight }, () => sender())
await new Promise((r) => setTimeout(r, plan.warmupS * 1000))
measuring = true
const started = performance.now()
const cpuStart = process.cpuUsage()
process.stdout.write('window-start\n')
await new Promise((r) => setTimeout(r, plan.durationS * 1000))
measuring = false
const seconds = (performance.now() - started) / 1000
const cpu = process.cpuUsage(cpuStart)
process.stdout.write('window-end\n')
stop = true
if (pacer) clearInterval(pacer)
await Promise.all(loops)
await producer.disconnect()
const result: CeilingResult = {
  records,
  sparkplugMessages: rounds * plan.sparkplugClients,
  jsonMessages: rounds * plan.jsonClients,
  seconds,
  cpuS: (cpu.user + cpu.system) / 1e6,
  maxRssMiB: process.resourceUsage().maxRSS / 1024,
  ...(pacer
    ? {
        latencyMs: [
          latency.percentile(50) / 1000,
          latency.percentile(95) / 1000,
          latency.percentile(99) / 1000,
        ],
      }
    : {}),
}
process.stdout.write(`${JSON.stringify(result)}\n`)
process.exit(0)
