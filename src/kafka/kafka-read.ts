// Reading one partition of a topic between two points, without a consumer group (history and the
// dead-letter view, issue 14). A group join costs up to the broker's group.initial.rebalance.delay.ms
// (3 s on a stock broker) per request and would fetch every partition; a read here is ListOffsets +
// Fetch requests to the partition leader, as Kafka's own "simple consumer" did. kafkajs has no public
// API for that, so this file uses its Cluster and consumer Batch (kafkajs is frozen at 2.2.4, see
// docs/decisions/0030-history-from-kafka.md); it is the only kafkajs code besides kafka-client.ts.
import { createRequire } from 'node:module'
import type { Kafka } from 'kafkajs'
import type { ConsumedRecord } from './kafka-client.js'
import { keyPartition } from './murmur2.js'

/** Where a partition read starts. */
export type ReadStart =
  /** The first record whose (producer) timestamp is at or after this epoch ms (ListOffsets by time). */
  | { readonly timestamp: number }
  /** The last `count` records before the end of the partition. */
  | { readonly fromEnd: number }

export interface PartitionReadOptions {
  readonly topic: string
  readonly partition: number
  readonly from: ReadStart
  /** Stop at the first record with a timestamp after this (epoch ms); default: read to the end. */
  readonly toTimestamp?: number
  /** Scan budget: most records looked at. */
  readonly maxRecords: number
  /** Scan budget: longest time spent, ms. */
  readonly maxMs: number
  /** Only records with this key reach onRecord (the others are counted as scanned, not converted). */
  readonly key?: string
  /** Bytes per fetch request; default 1 MiB. */
  readonly fetchMaxBytes?: number
  /** Each record in offset order; returning false stops the read ('caller'). */
  readonly onRecord: (record: ConsumedRecord) => boolean | void
}

export interface PartitionReadResult {
  /** Records looked at. */
  readonly scanned: number
  /**
   * Why the read stopped: 'end' (the partition's end as of the start of the read), 'to' (a record past
   * toTimestamp), 'records' or 'time' (budget spent), 'caller' (onRecord returned false).
   */
  readonly stop: 'end' | 'to' | 'records' | 'time' | 'caller'
  /** The offset a continuation would read next. */
  readonly nextOffset: string
}

/** What KafkaClient gains for reads (kafka-client.ts delegates to this). */
export interface PartitionReader {
  /** The partition kafkajs's default partitioner (Java's murmur2) gives `key` on `topic`. */
  partitionOf(topic: string, key: string): Promise<number>
  /** Partition ids of `topic`; [] when it does not exist. */
  partitions(topic: string): Promise<number[]>
  readPartition(opts: PartitionReadOptions): Promise<PartitionReadResult>
  close(): Promise<void>
}

// --- the slice of kafkajs internals used here (kafkajs 2.2.4 src/cluster, src/broker, src/consumer/batch)
interface InternalMessage {
  offset: string
  timestamp: string
  key: Buffer | null
  value: Buffer | null
  headers?: Record<string, Buffer | string | (Buffer | string)[] | undefined>
}
interface InternalBatch {
  messages: InternalMessage[]
  isEmptyIncludingFiltered(): boolean
  lastOffset(): string
}
interface InternalBroker {
  fetch(request: {
    isolationLevel: number
    maxWaitTime: number
    minBytes: number
    maxBytes: number
    topics: { topic: string; partitions: { partition: number; fetchOffset: string; maxBytes: number }[] }[]
  }): Promise<{
    responses: { topicName: string; partitions: { partition: number; highWatermark: string }[] }[]
  }>
}
interface InternalCluster {
  connect(): Promise<void>
  disconnect(): Promise<void>
  refreshMetadata(): Promise<void>
  addTargetTopic(topic: string): Promise<void>
  findTopicPartitionMetadata(topic: string): { partitionId: number }[]
  findLeaderForPartitions(topic: string, partitions: number[]): Record<string, number[]>
  findBroker(q: { nodeId: string }): Promise<InternalBroker>
  fetchTopicsOffset(
    topics: {
      topic: string
      partitions: { partition: number }[]
      fromBeginning?: boolean
      fromTimestamp?: number
    }[],
  ): Promise<{ topic: string; partitions: { partition: number; offset: string }[] }[]>
}
type BatchCtor = new (topic: string, fetchedOffset: string, partitionData: unknown) => InternalBatch

const require = createRequire(import.meta.url)
// Filters records below the fetch offset (compressed batches), aborted transactions and control records.
const Batch = require('kafkajs/src/consumer/batch.js') as BatchCtor
const READ_COMMITTED = 1
const RETRIES = 2

function createClusterOf(kafka: Kafka): InternalCluster {
  const key = Object.getOwnPropertySymbols(kafka).find((s) => s.description === 'private:Kafka:createCluster')
  const create = key && (kafka as unknown as Record<symbol, unknown>)[key]
  if (typeof create !== 'function')
    throw new Error('this kafkajs version has no internal createCluster; history reads need kafkajs 2.2.x')
  return create({ allowAutoTopicCreation: false, isolationLevel: READ_COMMITTED }) as InternalCluster
}

const headersOf = (raw: InternalMessage['headers']): Record<string, string> => {
  const out: Record<string, string> = {}
  for (const [k, v] of Object.entries(raw ?? {})) {
    if (v !== undefined) out[k] = String(Array.isArray(v) ? v[0] : v)
  }
  return out
}

export function createPartitionReader(kafka: Kafka): PartitionReader {
  let cluster: InternalCluster | undefined
  let connecting: Promise<InternalCluster> | undefined

  const connected = (): Promise<InternalCluster> =>
    (connecting ??= (async () => {
      const c = createClusterOf(kafka)
      await c.connect()
      cluster = c
      return c
    })().catch((err: unknown) => {
      connecting = undefined
      throw err
    }))

  const metadataOf = async (topic: string): Promise<{ partitionId: number }[]> => {
    const c = await connected()
    try {
      await c.addTargetTopic(topic)
    } catch (err) {
      if ((err as { type?: string }).type === 'UNKNOWN_TOPIC_OR_PARTITION') return []
      throw err
    }
    return c.findTopicPartitionMetadata(topic)
  }

  const offsetAt = async (
    topic: string,
    partition: number,
    at: { fromBeginning: boolean } | { fromTimestamp: number },
  ): Promise<bigint> => {
    const c = await connected()
    const [t] = await c.fetchTopicsOffset([{ topic, partitions: [{ partition }], ...at }])
    const offset = t?.partitions.find((p) => p.partition === partition)?.offset
    return BigInt(offset ?? '-1')
  }

  async function fetchOnce(
    topic: string,
    partition: number,
    offset: bigint,
    maxBytes: number,
  ): Promise<{ batch: InternalBatch; highWatermark: bigint }> {
    for (let attempt = 0; ; attempt++) {
      const c = await connected()
      try {
        const leaders = c.findLeaderForPartitions(topic, [partition])
        const nodeId = Object.keys(leaders)[0]
        if (nodeId === undefined) throw new Error(`no leader for ${topic}/${partition}`)
        const broker = await c.findBroker({ nodeId })
        const res = await broker.fetch({
          isolationLevel: READ_COMMITTED,
          // Reads stop at the high watermark seen at their start, so a fetch never waits for new data.
          maxWaitTime: 0,
          minBytes: 1,
          maxBytes,
          topics: [{ topic, partitions: [{ partition, fetchOffset: String(offset), maxBytes }] }],
        })
        const data = res.responses[0]?.partitions.find((p) => p.partition === partition)
        if (data === undefined) throw new Error(`fetch of ${topic}/${partition} returned no partition`)
        return {
          batch: new Batch(topic, String(offset), data),
          highWatermark: BigInt(data.highWatermark),
        }
      } catch (err) {
        const e = err as { type?: string; retriable?: boolean }
        if (attempt >= RETRIES || (e.retriable !== true && e.type !== 'OFFSET_OUT_OF_RANGE')) throw err
        await c.refreshMetadata().catch(() => {})
      }
    }
  }

  return {
    async partitionOf(topic, key) {
      const meta = await metadataOf(topic)
      if (meta.length === 0) throw new Error(`topic ${topic} does not exist`)
      return keyPartition(key, meta.length)
    },

    async partitions(topic) {
      return (await metadataOf(topic)).map((p) => p.partitionId).sort((a, b) => a - b)
    },

    async readPartition(opts) {
      const started = Date.now()
      const { topic, partition } = opts
      const fetchMaxBytes = opts.fetchMaxBytes ?? 1 << 20
      const wantedKey = opts.key === undefined ? undefined : Buffer.from(opts.key, 'utf8')
      await metadataOf(topic)
      const low = await offsetAt(topic, partition, { fromBeginning: true })
      const end = await offsetAt(topic, partition, { fromBeginning: false })
      let offset: bigint
      if ('timestamp' in opts.from) {
        // -1: no record at or after the timestamp.
        const at = await offsetAt(topic, partition, { fromTimestamp: opts.from.timestamp })
        offset = at < 0n ? end : at
      } else {
        offset = end - BigInt(Math.max(0, opts.from.fromEnd))
      }
      if (offset < low) offset = low
      let scanned = 0
      const result = (stop: PartitionReadResult['stop']): PartitionReadResult => ({
        scanned,
        stop,
        nextOffset: String(offset),
      })
      while (offset < end) {
        if (scanned >= opts.maxRecords) return result('records')
        if (Date.now() - started >= opts.maxMs) return result('time')
        const { batch } = await fetchOnce(topic, partition, offset, fetchMaxBytes)
        for (const m of batch.messages) {
          const at = BigInt(m.offset)
          if (at >= end) return result('end')
          const timestamp = Number(m.timestamp)
          if (opts.toTimestamp !== undefined && timestamp > opts.toTimestamp) return result('to')
          if (scanned >= opts.maxRecords) return result('records')
          scanned += 1
          offset = at + 1n
          if (wantedKey !== undefined && (m.key === null || !wantedKey.equals(m.key))) continue
          const more = opts.onRecord({
            topic,
            partition,
            offset: m.offset,
            timestamp,
            key: m.key ? m.key.toString('utf8') : null,
            value: m.value,
            headers: headersOf(m.headers),
          })
          if (more === false) return result('caller')
        }
        // A batch of control records or compacted-away offsets still moves the read on.
        const last = batch.isEmptyIncludingFiltered() ? undefined : BigInt(batch.lastOffset()) + 1n
        if (last !== undefined && last > offset) offset = last
        else if (batch.messages.length === 0 && last === undefined) break
      }
      return result('end')
    },

    async close() {
      const c = cluster
      cluster = undefined
      connecting = undefined
      await c?.disconnect().catch(() => {})
    },
  }
}
