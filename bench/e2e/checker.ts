// The e2e bench's reader: consumes what uns-bridge wrote to Kafka while the load runs and checks it.
// Per key (Sparkplug topic, JSON client) the sequence numbers the loader embedded must each appear
// once and in order; the publish time embedded in the payload gives the latency to this consume.
import { createHistogram, type RecordableHistogram } from 'node:perf_hooks'
import { Kafka, logLevel, type Consumer } from 'kafkajs'
import spb from 'sparkplug-payload/lib/sparkplugPayloadProto.js'

const P = spb.org.eclipse.tahu.protobuf

export interface CheckerTopics {
  readonly sparkplug: string
  readonly telemetry: string
  readonly state: string
}

export interface KeyCheck {
  unique: number
  duplicates: number
  outOfOrder: number
  last: number
  readonly seen: Set<number>
}

export interface Checker {
  readonly sparkplug: Map<string, KeyCheck>
  readonly json: Map<string, KeyCheck>
  /** Per UNS path of the JSON clients: records whose number is below the last one seen on that key. */
  readonly jsonKeyOrder: { outOfOrder: number }
  /** Metric records (telemetry, state) under the Sparkplug group and JSON prefixes. */
  readonly counts: {
    telemetrySparkplug: number
    telemetryJson: number
    stateSparkplug: number
    stateJson: number
    corrupt: number
  }
  /** Latency in microseconds of messages published inside [from, to]. */
  readonly latencyUs: RecordableHistogram
  measureWindow(from: number, to: number): void
  /** Waits until every DDATA and JSON message sent is seen, or the timeout; returns whether complete. */
  waitFor(sparkplugSent: number, jsonSent: number, timeoutMs: number): Promise<boolean>
  totals(): {
    sparkplugUnique: number
    jsonUnique: number
    duplicates: number
    /** Per key: Sparkplug topic, UNS path. */
    outOfOrder: number
    sparkplugOutOfOrder: number
    /** Across the keys of one JSON client (not promised; shows reordering between paths). */
    jsonOutOfOrderPerClient: number
  }
  close(): Promise<void>
}

function check(map: Map<string, KeyCheck>, key: string, n: number): void {
  let k = map.get(key)
  if (!k) map.set(key, (k = { unique: 0, duplicates: 0, outOfOrder: 0, last: -1, seen: new Set() }))
  if (k.seen.has(n)) k.duplicates++
  else {
    k.seen.add(n)
    k.unique++
    if (n < k.last) k.outOfOrder++
  }
  k.last = Math.max(k.last, n)
}

export async function startChecker(
  brokers: string[],
  topics: CheckerTopics,
  prefixes: { sparkplugPath: string; json: string },
): Promise<Checker> {
  const kafka = new Kafka({ clientId: 'bench-checker', brokers, logLevel: logLevel.NOTHING })
  const consumer: Consumer = kafka.consumer({
    groupId: `bench-checker-${Date.now()}`,
    maxBytesPerPartition: 16 * 1024 * 1024,
    maxWaitTimeInMs: 20,
  })
  const sparkplug = new Map<string, KeyCheck>()
  const json = new Map<string, KeyCheck>()
  const jsonLast = new Map<string, number>()
  const jsonKeyOrder = { outOfOrder: 0 }
  const counts = { telemetrySparkplug: 0, telemetryJson: 0, stateSparkplug: 0, stateJson: 0, corrupt: 0 }
  const latencyUs = createHistogram()
  let from = Infinity
  let to = -Infinity
  const record = (sentAt: number, now: number): void => {
    if (sentAt >= from && sentAt <= to) latencyUs.record(Math.max(1, (now - sentAt) * 1000))
  }

  // The service creates its topics before it is ready; one it does not write yet must still exist to subscribe.
  const admin = kafka.admin()
  await admin.connect()
  const existing = new Set(await admin.listTopics())
  const missing = Object.values(topics).filter((t) => !existing.has(t))
  if (missing.length > 0)
    await admin.createTopics({ waitForLeaders: true, topics: missing.map((topic) => ({ topic })) })
  await admin.disconnect()
  await consumer.connect()
  await consumer.subscribe({
    topics: [topics.sparkplug, topics.telemetry, topics.state],
    fromBeginning: true,
  })
  await consumer.run({
    partitionsConsumedConcurrently: 3,
    eachBatch: async ({ batch }) => {
      const now = Date.now()
      for (const m of batch.messages) {
        const key = m.key?.toString() ?? ''
        if (batch.topic === topics.sparkplug) {
          if (!key.includes('/DDATA/') || !m.value) continue
          try {
            const p = P.Payload.decode(m.value)
            // The counter is the device's first metric (alias 1 on device 1; aliases are unique
            // across an edge node's devices, so device 2 starts after device 1's last alias).
            const counter = p.metrics[0]
            if (!counter || counter.longValue === null || counter.longValue === undefined) {
              counts.corrupt++
              continue
            }
            check(sparkplug, key, Number(counter.longValue.toString()))
            record(Number(p.timestamp.toString()), now)
          } catch {
            counts.corrupt++
          }
        } else if (batch.topic === topics.telemetry) {
          if (key.startsWith(prefixes.json)) {
            counts.telemetryJson++
            try {
              const env = JSON.parse(m.value?.toString() ?? '') as { value: number; timestamp: number }
              // The client is the key without its tag level: per client the numbers are one sequence
              // (loss, duplicates); order is promised per key (UNS path), so it is checked per key.
              check(json, key.slice(0, key.lastIndexOf('/')), env.value)
              if (env.value < (jsonLast.get(key) ?? -1)) jsonKeyOrder.outOfOrder++
              jsonLast.set(key, Math.max(env.value, jsonLast.get(key) ?? -1))
              record(env.timestamp, now)
            } catch {
              counts.corrupt++
            }
          } else if (key.startsWith(prefixes.sparkplugPath)) counts.telemetrySparkplug++
        } else if (key.startsWith(prefixes.json)) counts.stateJson++
        else if (key.startsWith(prefixes.sparkplugPath)) counts.stateSparkplug++
      }
    },
  })

  const sum = (map: Map<string, KeyCheck>, f: (k: KeyCheck) => number): number =>
    [...map.values()].reduce((n, k) => n + f(k), 0)
  const totals = (): ReturnType<Checker['totals']> => ({
    sparkplugUnique: sum(sparkplug, (k) => k.unique),
    jsonUnique: sum(json, (k) => k.unique),
    duplicates: sum(sparkplug, (k) => k.duplicates) + sum(json, (k) => k.duplicates),
    outOfOrder: sum(sparkplug, (k) => k.outOfOrder) + jsonKeyOrder.outOfOrder,
    sparkplugOutOfOrder: sum(sparkplug, (k) => k.outOfOrder),
    jsonOutOfOrderPerClient: sum(json, (k) => k.outOfOrder),
  })
  return {
    sparkplug,
    json,
    jsonKeyOrder,
    counts,
    latencyUs,
    measureWindow(f, t) {
      from = f
      to = t
    },
    async waitFor(sparkplugSent, jsonSent, timeoutMs) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        const t = totals()
        if (t.sparkplugUnique >= sparkplugSent && t.jsonUnique >= jsonSent) return true
        if (Date.now() > deadline) return false
        await new Promise((r) => setTimeout(r, 200))
      }
    },
    totals,
    close: () => consumer.disconnect(),
  }
}
