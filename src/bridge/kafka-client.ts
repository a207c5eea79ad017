// The one module that speaks kafkajs, and the factory that picks the client (`kafka.client`).
// Everything else in uns-bridge sees KafkaClient; kafka-client-platformatic.ts is the other
// implementation, and test/kafka/client-contract.test.ts holds both to the same contract (0025).
import kafkajs, {
  Kafka,
  logLevel,
  CompressionTypes,
  type Consumer,
  type ConsumerConfig,
  type Producer,
  type Admin,
  type IHeaders,
  type SASLOptions,
} from 'kafkajs'
import type { Logger } from '../logger.js'
import {
  checkCompression,
  createSendQueue,
  kafkajsCodecs,
  splitBySize,
  toProduceError,
  type KafkaCompression,
} from './kafka-client-shared.js'
import { createPlatformaticClient } from './kafka-client-platformatic.js'

export interface KafkaRecord {
  readonly topic: string
  readonly key: string | null
  /** null is a tombstone on compacted topics. */
  readonly value: Buffer | null
  readonly headers: Readonly<Record<string, string>>
}

export interface ConsumedRecord extends KafkaRecord {
  readonly partition: number
  readonly offset: string
  readonly timestamp: number
}

export interface KafkaClientConfig {
  /** Which client library; kafkajs when unset. */
  readonly client?: 'kafkajs' | 'platformatic'
  readonly brokers: readonly string[]
  /** Compression of produced batches; none when unset. */
  readonly compression?: KafkaCompression
  /** Idempotent producer (broker drops duplicates of the client's own retries); false when unset. */
  readonly idempotent?: boolean
  /** A send is split into produce requests below this many bytes (uncompressed); 1,000,000 when unset. */
  readonly batchMaxBytes?: number
  readonly clientId: string
  readonly connectTimeoutMs: number
  readonly requestTimeoutMs: number
  readonly ssl: boolean
  readonly sasl?: { readonly mechanism: string; readonly username: string; readonly password: string }
}

export interface ConsumerHandle {
  stop(): Promise<void>
}

/** A reader that reads a topic from its beginning and then follows it (see KafkaClient.tail). */
export interface TailHandle {
  /**
   * Resolves once every record below the topic's end offsets (high watermarks), fetched when this
   * is called, has been handed to `eachRecord`; rejects after `timeoutMs`.
   */
  caughtUp(timeoutMs: number): Promise<void>
  stop(): Promise<void>
}

export interface KafkaClient {
  connectProducer(): Promise<void>
  /**
   * Produces with acks=all; resolves when every record is acknowledged. Sends run one after the
   * other in call order; a failure rejects with an UnsError whose `retriable` is false only when
   * Kafka refused the records for good (too large, not authorised, invalid), and fails the sends
   * queued behind a retriable failure unattempted, so resending them in order keeps per-key order.
   */
  send(records: readonly KafkaRecord[]): Promise<void>
  /** Creates the missing topics; `partitions` defaults to the broker's num.partitions. */
  ensureTopics(
    topics: readonly {
      topic: string
      compacted?: boolean
      partitions?: number
      replicationFactor?: number
    }[],
  ): Promise<void>
  /** Which of `topics` do not exist. */
  missingTopics(topics: readonly string[]): Promise<string[]>
  consume(opts: {
    groupId: string
    /** Topic names or patterns. */
    topics: readonly (string | RegExp)[]
    fromBeginning: boolean
    eachRecord: (record: ConsumedRecord) => Promise<void>
    onCrash: (err: Error) => void
  }): Promise<ConsumerHandle>
  /**
   * Reads `topic` from the beginning and keeps following it, with a consumer group of its own that
   * never commits: every tail sees the whole topic (a compacted state log such as uns.schemas).
   * `groupId` must be unique to this tail.
   */
  tail(opts: {
    groupId: string
    topic: string
    eachRecord: (record: ConsumedRecord) => void
    onCrash: (err: Error) => void
  }): Promise<TailHandle>
  close(): Promise<void>
}

const toConsumedHeaders = (raw: IHeaders | undefined): Record<string, string> => {
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(raw ?? {})) {
    if (v !== undefined) headers[k] = Array.isArray(v) ? String(v[0]) : String(v)
  }
  return headers
}

/** The client `config.client` names (kafkajs by default); throws when its compression cannot run here. */
export function createKafkaClient(config: KafkaClientConfig, logger: Logger): KafkaClient {
  checkCompression(config.compression ?? 'none')
  return config.client === 'platformatic'
    ? createPlatformaticClient(config, logger)
    : createKafkajsClient(config, logger)
}

const KAFKAJS_COMPRESSION = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
} as const

export function createKafkajsClient(config: KafkaClientConfig, logger: Logger): KafkaClient {
  const codecs = kafkajsCodecs()
  // A CommonJS property Node's ESM loader does not see as a named export.
  const { CompressionCodecs } = kafkajs
  CompressionCodecs[CompressionTypes.LZ4] = codecs.lz4
  if (codecs.zstd) CompressionCodecs[CompressionTypes.ZSTD] = codecs.zstd
  const compression = KAFKAJS_COMPRESSION[config.compression ?? 'none']
  const batchMaxBytes = config.batchMaxBytes ?? 1_000_000
  const queue = createSendQueue()
  const kafka = new Kafka({
    clientId: config.clientId,
    brokers: [...config.brokers],
    connectionTimeout: config.connectTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    ssl: config.ssl,
    ...(config.sasl ? { sasl: config.sasl as SASLOptions } : {}),
    // The bridge retries whole batches itself with backoff and logs once per state change, so
    // kafkajs retries little and its own logs go to debug (else an outage floods the log).
    retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
    logLevel: logLevel.INFO,
    logCreator: () => (entry) => {
      const { message, ...extra } = entry.log
      logger.debug({ ns: entry.namespace, kafkaLevel: entry.label, ...extra }, message)
    },
  })
  let producer: Producer | undefined
  let admin: Admin | undefined
  const consumers = new Set<Consumer>()
  let closed = false

  // kafkajs restarts a crashed consumer by itself (retriable errors), also after disconnect() when
  // the restart was already scheduled; restartOnFailure stops that once the client is closed.
  // `onCrash` hears only of crashes kafkajs gives up on, so the owner never runs a second consumer.
  function newConsumer(config: ConsumerConfig, onCrash: (err: Error) => void): Consumer {
    const consumer = kafka.consumer({ ...config, retry: { restartOnFailure: async () => !closed } })
    consumers.add(consumer)
    consumer.on(consumer.events.CRASH, (e) => {
      if (!e.payload.restart && !closed) onCrash(e.payload.error)
    })
    return consumer
  }

  return {
    async connectProducer() {
      if (producer) await producer.disconnect().catch(() => {})
      producer = kafka.producer({
        allowAutoTopicCreation: true,
        maxInFlightRequests: 1,
        // With idempotence kafkajs would retry for ever and never report an outage; the client's
        // 2 retries above stay, and the buffered producer retries (kafkajs warns about it once).
        idempotent: config.idempotent ?? false,
      })
      await producer.connect()
    },

    send: (records) =>
      queue(records.length, async () => {
        for (const run of splitBySize(records, batchMaxBytes)) {
          const current = producer
          if (!current) throw toProduceError(new Error('producer is not connected'), run.length)
          const byTopic = new Map<
            string,
            { key: string | null; value: Buffer | null; headers: Record<string, string> }[]
          >()
          for (const r of run) {
            let list = byTopic.get(r.topic)
            if (!list) byTopic.set(r.topic, (list = []))
            list.push({ key: r.key, value: r.value, headers: { ...r.headers } })
          }
          try {
            await current.sendBatch({
              acks: -1,
              compression,
              topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
            })
          } catch (err) {
            throw toProduceError(err, run.length)
          }
        }
      }),

    async ensureTopics(topics) {
      admin ??= kafka.admin()
      await admin.connect()
      const existing = new Set(await admin.listTopics())
      const missing = topics.filter((t) => !existing.has(t.topic))
      if (missing.length === 0) return
      const created = admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.topic,
          ...(t.partitions === undefined ? {} : { numPartitions: t.partitions }),
          ...(t.replicationFactor === undefined ? {} : { replicationFactor: t.replicationFactor }),
          configEntries: t.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
        })),
      })
      // kafkajs's wait for leaders retries LEADER_NOT_AVAILABLE only; a broker that has not yet heard
      // of the new topic answers UNKNOWN_TOPIC_OR_PARTITION (seen in the contract suite): wait on.
      await created.catch(async (err: unknown) => {
        if ((err as { type?: string }).type !== 'UNKNOWN_TOPIC_OR_PARTITION') throw err
        const names = missing.map((t) => t.topic)
        const deadline = Date.now() + config.requestTimeoutMs
        for (;;) {
          const md = await admin?.fetchTopicMetadata({ topics: names }).catch(() => undefined)
          if (md?.topics.every((t) => t.partitions.every((p) => p.leader >= 0))) return
          if (Date.now() > deadline) throw err
          await new Promise((r) => setTimeout(r, 100))
        }
      })
    },

    async missingTopics(topics) {
      admin ??= kafka.admin()
      await admin.connect()
      const existing = new Set(await admin.listTopics())
      return topics.filter((t) => !existing.has(t))
    },

    async consume({ groupId, topics, fromBeginning, eachRecord, onCrash }) {
      const consumer = newConsumer({ groupId, allowAutoTopicCreation: true }, onCrash)
      await consumer.connect()
      await consumer.subscribe({ topics: [...topics], fromBeginning })
      // eachMessage resolves only after the record was delivered, and kafkajs commits the offset
      // only after that: offsets never run ahead of MQTT delivery (PRODUCT.md §5).
      await consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          const headers = toConsumedHeaders(message.headers)
          await eachRecord({
            topic,
            partition,
            offset: message.offset,
            timestamp: Number(message.timestamp),
            key: message.key ? message.key.toString('utf8') : null,
            value: message.value,
            headers,
          })
        },
      })
      return {
        async stop() {
          consumers.delete(consumer)
          await consumer.disconnect()
        },
      }
    },

    async tail({ groupId, topic, eachRecord, onCrash }) {
      // A short fetch wait: followers see new records sooner and stop() (which waits for the
      // pending fetch) returns within half a second instead of kafkajs's default 5 s.
      const consumer = newConsumer({ groupId, allowAutoTopicCreation: false, maxWaitTimeInMs: 500 }, onCrash)
      consumers.add(consumer)
      // Next offset to read per partition. Batches of control records only advance it through
      // END_BATCH_PROCESS, so a transactional marker at the end of the log does not stall caughtUp.
      const next = new Map<number, bigint>()
      const waiters = new Set<() => void>()
      const advance = (partition: number, nextOffset: bigint): void => {
        if ((next.get(partition) ?? -1n) >= nextOffset) return
        next.set(partition, nextOffset)
        for (const wake of waiters) wake()
      }
      consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
        if (e.payload.topic === topic) advance(e.payload.partition, BigInt(e.payload.lastOffset) + 1n)
      })
      await consumer.connect()
      await consumer.subscribe({ topics: [topic], fromBeginning: true })
      await consumer.run({
        autoCommit: false,
        eachMessage: async ({ partition, message }) => {
          eachRecord({
            topic,
            partition,
            offset: message.offset,
            timestamp: Number(message.timestamp),
            key: message.key ? message.key.toString('utf8') : null,
            value: message.value,
            headers: toConsumedHeaders(message.headers),
          })
          advance(partition, BigInt(message.offset) + 1n)
        },
      })
      return {
        async caughtUp(timeoutMs) {
          admin ??= kafka.admin()
          await admin.connect()
          const ends = await admin.fetchTopicOffsets(topic)
          const done = (): boolean =>
            ends.every(
              (e) => BigInt(e.high) <= BigInt(e.low) || (next.get(e.partition) ?? -1n) >= BigInt(e.high),
            )
          if (done()) return
          await new Promise<void>((resolve, reject) => {
            const wake = (): void => {
              if (!done()) return
              clearTimeout(timer)
              waiters.delete(wake)
              resolve()
            }
            const timer = setTimeout(() => {
              waiters.delete(wake)
              reject(new Error(`${topic} not read to its end within ${timeoutMs} ms`))
            }, timeoutMs)
            waiters.add(wake)
          })
        },
        async stop() {
          consumers.delete(consumer)
          await consumer.disconnect()
        },
      }
    },

    async close() {
      closed = true
      await Promise.allSettled([
        producer?.disconnect(),
        admin?.disconnect(),
        ...[...consumers].map((c) => c.disconnect()),
      ])
      producer = undefined
      admin = undefined
      consumers.clear()
    },
  }
}
