// The module that speaks kafkajs, and the factory that picks the client (`kafka.client`). Everything
// else in uns-bridge sees KafkaClient; kafka-client-platformatic.ts is the other implementation, and
// test/kafka/client-contract.test.ts holds both to the same contract (docs/decisions/0025).
import kafkajs, {
  Kafka,
  logLevel,
  CompressionTypes,
  type Consumer,
  type ConsumerConfig,
  type Producer,
  type Admin,
  type IHeaders,
} from 'kafkajs'
import type { Logger } from '../logger.js'
import { createBackoff } from './backoff.js'
import {
  checkCompression,
  createSendQueue,
  kafkajsCodecs,
  splitBySize,
  toProduceError,
  type KafkaCompression,
} from './kafka-client-shared.js'
import { createPlatformaticClient } from './kafka-client-platformatic.js'
import { createPartitionReader, type PartitionReader } from './kafka-read.js'
import { toKafkaSecurity, type KafkaSaslConfig, type KafkaTlsConfig } from './kafka-security.js'
import { toReplication, type ReplicationSettings } from './replication.js'

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
  /** Which client library; platformatic when unset (docs/decisions/0025). */
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
  /** TLS with the system CAs; `tls` turns TLS on with its files. */
  readonly ssl: boolean
  readonly tls?: KafkaTlsConfig
  readonly sasl?: KafkaSaslConfig
  /** Of the topics ensureTopics creates; below 1 (or unset): by cluster size (replication.ts). */
  readonly replicationFactor?: number
  readonly minInsyncReplicas?: number
}

export interface ConsumerHandle {
  stop(): Promise<void>
}

/** A reader that reads a topic from its beginning and then follows it (see KafkaClient.tail). */
export interface TailHandle {
  /**
   * Resolves once every record below the topic's end offsets (high watermarks), fetched when this
   * is called, has been handed to `eachRecord`; rejects after `timeoutMs`, or when stop() is called.
   */
  caughtUp(timeoutMs: number): Promise<void>
  stop(): Promise<void>
}

export interface KafkaClient extends Omit<PartitionReader, 'close'> {
  connectProducer(): Promise<void>
  /**
   * Produces with acks=all; resolves when every record is acknowledged. Sends run one after the
   * other in call order; a failure rejects with an UnsError whose `retriable` is false only when
   * Kafka refused the records for good (too large, not authorised, invalid), and fails the sends
   * queued behind a retriable failure unattempted, so resending them in order keeps per-key order.
   */
  send(records: readonly KafkaRecord[]): Promise<void>
  /**
   * Creates the missing topics; `partitions` defaults to the broker's num.partitions, replication
   * to the config (by cluster size when unset). Returns the replication used, when it created any.
   */
  ensureTopics(
    topics: readonly {
      topic: string
      compacted?: boolean
      partitions?: number
      replicationFactor?: number
    }[],
  ): Promise<ReplicationSettings | undefined>
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
   * `groupId` must be unique to this tail. When kafkajs gives up on the reader, `onCrash` hears of it
   * and the tail starts a new reader with backoff (group `<groupId>.<n>`); every record reaches
   * `eachRecord` once, in offset order, across restarts.
   */
  tail(opts: {
    groupId: string
    topic: string
    eachRecord: (record: ConsumedRecord) => void
    onCrash: (err: Error) => void
  }): Promise<TailHandle>
  close(): Promise<void>
}

/** First and longest wait before a tail starts a new reader after kafkajs gave up on one, ms. */
const TAIL_RESTART_INITIAL_MS = 250
const TAIL_RESTART_MAX_MS = 5000

const toConsumedHeaders = (raw: IHeaders | undefined): Record<string, string> => {
  const headers: Record<string, string> = {}
  for (const [k, v] of Object.entries(raw ?? {})) {
    if (v !== undefined) headers[k] = Array.isArray(v) ? String(v[0]) : String(v)
  }
  return headers
}

/** The client `config.client` names (platformatic by default); throws when its compression cannot run here. */
export function createKafkaClient(config: KafkaClientConfig, logger: Logger): KafkaClient {
  checkCompression(config.compression ?? 'none')
  return config.client === 'kafkajs'
    ? createKafkajsClient(config, logger)
    : createPlatformaticClient(config, logger)
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
    ...toKafkaSecurity(config),
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
  const reader = createPartitionReader(kafka)

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
    partitionOf: (topic, key) => reader.partitionOf(topic, key),
    partitions: (topic) => reader.partitions(topic),
    readPartition: (opts) => reader.readPartition(opts),

    async connectProducer() {
      if (producer) await producer.disconnect().catch(() => {})
      // retries 0: see send().
      producer = kafka.producer({
        allowAutoTopicCreation: true,
        maxInFlightRequests: 1,
        // kafkajs refuses idempotence without retries of its own, so `kafka.idempotent` keeps one:
        // kafkajs#1303 (above) then applies again; idempotence is safe on the platformatic client
        // (docs/decisions/0025).
        retry: { retries: config.idempotent ? 1 : 0 },
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
          const batch = {
            acks: -1,
            compression,
            topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
          }
          // kafkajs retries a batch only towards the brokers that have not answered yet, so a
          // partition whose leader moved to a broker that had answered is skipped and the send
          // resolves without it (tulios/kafkajs#1303): an acknowledged record is lost when a broker
          // dies (seen in test/integration/ha-cluster.test.ts). So kafkajs makes one
          // attempt and the whole batch is retried here: records that had reached Kafka are written
          // twice, none is lost (docs/decisions/0016).
          for (let attempt = 1; ; attempt++) {
            try {
              await current.sendBatch(batch)
              break
            } catch (err) {
              const cause = (err as { cause?: { retriable?: boolean } }).cause
              if (attempt >= 3 || cause?.retriable !== true) throw toProduceError(err, run.length)
              await new Promise((r) => setTimeout(r, 100 * attempt))
            }
          }
        }
      }),

    async ensureTopics(topics) {
      admin ??= kafka.admin()
      await admin.connect()
      const existing = new Set(await admin.listTopics())
      const missing = topics.filter((t) => !existing.has(t.topic))
      if (missing.length === 0) return undefined
      const brokerCount = (await admin.describeCluster()).brokers.length
      const replication = toReplication(config, brokerCount)
      const created = admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => {
          const { replicationFactor, minInsyncReplicas } =
            t.replicationFactor === undefined
              ? replication
              : toReplication({ ...config, replicationFactor: t.replicationFactor }, brokerCount)
          return {
            topic: t.topic,
            ...(t.partitions === undefined ? {} : { numPartitions: t.partitions }),
            replicationFactor,
            configEntries: [
              ...(t.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : []),
              { name: 'min.insync.replicas', value: String(minInsyncReplicas) },
            ],
          }
        }),
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
      return replication
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
      // Next offset to read per partition. Batches of control records only advance it through
      // END_BATCH_PROCESS, so a transactional marker at the end of the log does not stall caughtUp.
      // It also outlives the reader: a restarted reader reads from the beginning again and skips
      // what was handed over already, and caughtUp waiters are woken by whichever reader advances it.
      const next = new Map<number, bigint>()
      const waiters = new Set<{ wake(): void; fail(err: Error): void }>()
      const advance = (partition: number, nextOffset: bigint): void => {
        if ((next.get(partition) ?? -1n) >= nextOffset) return
        next.set(partition, nextOffset)
        for (const w of waiters) w.wake()
      }
      const restarts = createBackoff({ initialMs: TAIL_RESTART_INITIAL_MS, maxMs: TAIL_RESTART_MAX_MS })
      let generation = 0
      let current: Consumer | undefined
      let restartTimer: NodeJS.Timeout | undefined
      let stopped = false

      // kafkajs gives up on a consumer for errors it calls non-retriable, among them "Failed to find
      // group coordinator" while a freshly started broker is still creating __consumer_offsets. A
      // tail is a reader the service depends on (readiness waits for it), so it starts a new one.
      const restartLater = (): void => {
        if (stopped || closed || restartTimer) return
        restartTimer = setTimeout(() => {
          restartTimer = undefined
          open().then(
            (consumer) => {
              if (consumer) logger.info({ topic, groupId }, 'Kafka tail reader restarted')
            },
            (err: unknown) => {
              logger.debug({ err, topic, groupId }, 'Kafka tail reader not restarted yet')
              restartLater()
            },
          )
        }, restarts.nextDelayMs())
      }

      const open = async (): Promise<Consumer | undefined> => {
        if (stopped || closed) return undefined
        // A fresh group per reader: nothing is committed, and a crashed member that could not
        // leave would hold the next join of the same group until its session times out.
        const id = generation === 0 ? groupId : `${groupId}.${generation}`
        generation += 1
        let crashed = false
        // A short fetch wait: followers see new records sooner and stop() (which waits for the
        // pending fetch) returns within half a second instead of kafkajs's default 5 s.
        const consumer = newConsumer(
          { groupId: id, allowAutoTopicCreation: false, maxWaitTimeInMs: 500 },
          (err) => {
            crashed = true
            consumers.delete(consumer)
            if (current === consumer) current = undefined
            onCrash(err)
            restartLater()
          },
        )
        consumer.on(consumer.events.GROUP_JOIN, () => restarts.reset())
        consumer.on(consumer.events.END_BATCH_PROCESS, (e) => {
          if (e.payload.topic === topic) advance(e.payload.partition, BigInt(e.payload.lastOffset) + 1n)
        })
        try {
          await consumer.connect()
          await consumer.subscribe({ topics: [topic], fromBeginning: true })
          // run() resolves after the first join; a join that fails has crashed the consumer by then.
          await consumer.run({
            autoCommit: false,
            eachMessage: async ({ partition, message }) => {
              const offset = BigInt(message.offset)
              if (offset < (next.get(partition) ?? 0n)) return
              eachRecord({
                topic,
                partition,
                offset: message.offset,
                timestamp: Number(message.timestamp),
                key: message.key ? message.key.toString('utf8') : null,
                value: message.value,
                headers: toConsumedHeaders(message.headers),
              })
              advance(partition, offset + 1n)
            },
          })
        } catch (err) {
          consumers.delete(consumer)
          await consumer.disconnect().catch(() => {})
          throw err
        }
        if (crashed) return undefined
        if (stopped) {
          consumers.delete(consumer)
          await consumer.disconnect().catch(() => {})
          return undefined
        }
        current = consumer
        return consumer
      }

      await open()
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
            const waiter = {
              wake(): void {
                if (!done()) return
                clearTimeout(timer)
                waiters.delete(waiter)
                resolve()
              },
              fail(err: Error): void {
                clearTimeout(timer)
                waiters.delete(waiter)
                reject(err)
              },
            }
            const timer = setTimeout(
              () => waiter.fail(new Error(`${topic} not read to its end within ${timeoutMs} ms`)),
              timeoutMs,
            )
            waiters.add(waiter)
          })
        },
        async stop() {
          stopped = true
          clearTimeout(restartTimer)
          for (const w of [...waiters]) w.fail(new Error(`the reader of ${topic} was stopped`))
          const consumer = current
          current = undefined
          if (consumer) {
            consumers.delete(consumer)
            await consumer.disconnect()
          }
        },
      }
    },

    async close() {
      closed = true
      await Promise.allSettled([
        producer?.disconnect(),
        admin?.disconnect(),
        reader.close(),
        ...[...consumers].map((c) => c.disconnect()),
      ])
      producer = undefined
      admin = undefined
      consumers.clear()
    },
  }
}
