// The Kafka ceiling of the throughput bench (issue 13), a child process: the service's own Kafka
// client adapter (src/kafka, `client` as kafka.client) producing the records uns-bridge writes for the
// same load, laid out as it lays them out (`headers` as kafka.telemetryHeaders): per Sparkplug DDATA
// one raw record and one telemetry record per metric, per JSON publish one telemetry record. Sends of
// `maxBatchRecords` go one at a time, acks=all, as the buffered producer sends them. State records are
// left out: coalesced (kafka.stateCoalesceMs), the service writes at most one per path per 100 ms.
// Plan in argv[2]; prints one JSON line.
import spb from 'sparkplug-payload/lib/sparkplugPayloadProto.js'
import { createKafkaClient, type KafkaRecord } from '../../src/kafka/index.js'
import { createLogger } from '../../src/logger.js'

export interface ClientCeilingPlan {
  readonly brokers: string[]
  readonly client: 'kafkajs' | 'platformatic'
  readonly headers: 'lean' | 'full'
  readonly topicPrefix: string
  readonly sparkplugClients: number
  readonly devices: number
  readonly jsonClients: number
  readonly metricsPerMessage: number
  readonly maxBatchRecords: number
  readonly topicPartitions: number
  readonly warmupS: number
  readonly durationS: number
}

export interface ClientCeilingResult {
  readonly records: number
  readonly sparkplugMessages: number
  readonly jsonMessages: number
  readonly seconds: number
  readonly cpuS: number
  readonly maxRssMiB: number
}

const P = spb.org.eclipse.tahu.protobuf
const plan = JSON.parse(process.argv[2] ?? '{}') as ClientCeilingPlan
const topics = { telemetry: `${plan.topicPrefix}.telemetry`, sparkplug: `${plan.topicPrefix}.sparkplug` }
const full = plan.headers === 'full'
const mqttHeaders = (topic: string, client: string): Record<string, string> => ({
  'mqtt-topic': topic,
  'mqtt-qos': '1',
  'mqtt-retain': 'false',
  source: client,
  origin: 'uns-bench',
})

let n = 0
/** One round: a DDATA from every device of every edge and a publish from every JSON client. */
function round(): KafkaRecord[] {
  const out: KafkaRecord[] = []
  const t = Date.now()
  n++
  for (let c = 0; c < plan.sparkplugClients; c++) {
    for (let d = 0; d < plan.devices; d++) {
      const topic = `spBv1.0/bench/DDATA/edge-${c + 1}/device-${d + 1}`
      const metrics = Array.from({ length: plan.metricsPerMessage }, (_, k) =>
        k === 0
          ? { alias: 1 + d * plan.metricsPerMessage, timestamp: t, longValue: n }
          : { alias: 1 + d * plan.metricsPerMessage + k, timestamp: t, doubleValue: Math.random() * 1000 },
      )
      const raw = Buffer.from(P.Payload.encode({ timestamp: t, seq: n % 256, metrics }).finish())
      out.push({
        topic: topics.sparkplug,
        key: topic,
        value: raw,
        headers: { ...mqttHeaders(topic, `edge-${c}`), 'received-at': String(t) },
      })
      for (let k = 0; k < plan.metricsPerMessage; k++) {
        const path = `bench/edge-${c + 1}/device-${d + 1}/m${k}`
        const value = Buffer.from(
          `{"value":${Math.random() * 1000},"timestamp":${t},"quality":"good","datatype":"Double"}`,
        )
        const headers = full
          ? {
              ...mqttHeaders(path, `bench/edge-${c + 1}/device-${d + 1}`),
              'uns-path': path,
              'content-type': 'application/json',
              'sparkplug-topic': topic,
            }
          : {}
        out.push({ topic: topics.telemetry, key: path, value, headers })
      }
    }
  }
  for (let c = 0; c < plan.jsonClients; c++) {
    const path = `benchjson/c${c}/t${n % 10}`
    const value = Buffer.from(`{"value":${n},"timestamp":${t},"quality":"good"}`)
    const headers = full
      ? { ...mqttHeaders(path, `json-${c}`), 'uns-path': path, 'content-type': 'application/json' }
      : {}
    out.push({ topic: topics.telemetry, key: path, value, headers })
  }
  return out
}

const client = createKafkaClient(
  {
    client: plan.client,
    brokers: plan.brokers,
    clientId: `bench-ceiling-${plan.client}`,
    connectTimeoutMs: 5000,
    requestTimeoutMs: 30000,
    ssl: false,
  },
  createLogger('silent'),
)
await client.ensureTopics([
  { topic: topics.telemetry, partitions: plan.topicPartitions },
  { topic: topics.sparkplug, partitions: plan.topicPartitions },
])
await client.connectProducer()

let measuring = false
let records = 0
let sparkplugMessages = 0
let jsonMessages = 0
let maxRss = 0
let pending: KafkaRecord[] = []
const stopAt = Date.now() + (plan.warmupS + plan.durationS) * 1000
setTimeout(() => {
  measuring = true
  cpuStart = process.cpuUsage()
  windowStart = performance.now()
}, plan.warmupS * 1000)
let cpuStart = process.cpuUsage()
let windowStart = performance.now()
// Records per round, and the messages they stand for.
const perRoundRecords = plan.sparkplugClients * plan.devices * (1 + plan.metricsPerMessage) + plan.jsonClients
while (Date.now() < stopAt) {
  while (pending.length < plan.maxBatchRecords) pending.push(...round())
  const batch = pending.slice(0, plan.maxBatchRecords)
  pending = pending.slice(plan.maxBatchRecords)
  await client.send(batch)
  if (measuring) {
    records += batch.length
    sparkplugMessages += (batch.length * plan.sparkplugClients * plan.devices) / perRoundRecords
    jsonMessages += (batch.length * plan.jsonClients) / perRoundRecords
  }
  maxRss = Math.max(maxRss, process.memoryUsage.rss())
}
const seconds = (performance.now() - windowStart) / 1000
const cpu = process.cpuUsage(cpuStart)
await client.close()
const result: ClientCeilingResult = {
  records,
  sparkplugMessages,
  jsonMessages,
  seconds,
  cpuS: (cpu.user + cpu.system) / 1e6,
  maxRssMiB: maxRss / 1048576,
}
process.stdout.write(`${JSON.stringify(result)}\n`)
process.exit(0)
