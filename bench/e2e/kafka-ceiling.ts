// The Kafka ceiling of the e2e bench (a child process): kafkajs producing the records uns-bridge would
// produce for the same load, the way its bridge does (acks=all, batches of up to maxBatchRecords grouped
// by topic, one request in flight, no compression), as fast as the broker acknowledges them.
// Plan in argv[2]; prints one JSON line.
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
}

export interface CeilingResult {
  readonly records: number
  readonly sparkplugMessages: number
  readonly jsonMessages: number
  readonly seconds: number
  /** CPU seconds this process used in the window, and its peak RSS (it exits before a parent could read /proc). */
  readonly cpuS: number
  readonly maxRssMiB: number
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
const producer = kafka.producer({ allowAutoTopicCreation: true, maxInFlightRequests: plan.inFlight })
await producer.connect()
const perRound = plan.sparkplugClients * (1 + 2 * plan.metricsPerMessage) + plan.jsonClients * 2
const roundsPerBatch = Math.max(1, Math.floor(plan.maxBatchRecords / perRound))
let measuring = false
let records = 0
let rounds = 0
let stop = false
const sender = async (): Promise<void> => {
  while (!stop) {
    const batch: Rec[] = []
    for (let r = 0; r < roundsPerBatch; r++) batch.push(...round())
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
      rounds += roundsPerBatch
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
await Promise.all(loops)
await producer.disconnect()
const result: CeilingResult = {
  records,
  sparkplugMessages: rounds * plan.sparkplugClients,
  jsonMessages: rounds * plan.jsonClients,
  seconds,
  cpuS: (cpu.user + cpu.system) / 1e6,
  maxRssMiB: process.resourceUsage().maxRSS / 1024,
}
process.stdout.write(`${JSON.stringify(result)}\n`)
process.exit(0)
