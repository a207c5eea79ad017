// The one module that speaks kafkajs. Everything else in uns-bridge sees KafkaClient, so another
// client library can be measured against kafkajs by writing one more file like this.
import {
  Kafka,
  logLevel,
  CompressionTypes,
  type Consumer,
  type Producer,
  type Admin,
  type SASLOptions,
} from 'kafkajs'
import type { Logger } from '../logger.js'

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
  readonly brokers: readonly string[]
  readonly clientId: string
  readonly connectTimeoutMs: number
  readonly requestTimeoutMs: number
  readonly ssl: boolean
  readonly sasl?: { readonly mechanism: string; readonly username: string; readonly password: string }
}

export interface ConsumerHandle {
  stop(): Promise<void>
}

export interface KafkaClient {
  connectProducer(): Promise<void>
  /** Produces with acks=all; resolves when every record is acknowledged. */
  send(records: readonly KafkaRecord[]): Promise<void>
  ensureTopics(topics: readonly { topic: string; compacted?: boolean }[]): Promise<void>
  consume(opts: {
    groupId: string
    topics: readonly string[]
    fromBeginning: boolean
    eachRecord: (record: ConsumedRecord) => Promise<void>
    onCrash: (err: Error) => void
  }): Promise<ConsumerHandle>
  close(): Promise<void>
}

export function createKafkaClient(config: KafkaClientConfig, logger: Logger): KafkaClient {
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

  return {
    async connectProducer() {
      if (producer) await producer.disconnect().catch(() => {})
      producer = kafka.producer({ allowAutoTopicCreation: true, maxInFlightRequests: 1 })
      await producer.connect()
    },

    async send(records) {
      if (!producer) throw new Error('producer is not connected')
      const byTopic = new Map<
        string,
        { key: string | null; value: Buffer | null; headers: Record<string, string> }[]
      >()
      for (const r of records) {
        let list = byTopic.get(r.topic)
        if (!list) byTopic.set(r.topic, (list = []))
        list.push({ key: r.key, value: r.value, headers: { ...r.headers } })
      }
      await producer.sendBatch({
        acks: -1,
        compression: CompressionTypes.None,
        topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })),
      })
    },

    async ensureTopics(topics) {
      admin ??= kafka.admin()
      await admin.connect()
      const existing = new Set(await admin.listTopics())
      const missing = topics.filter((t) => !existing.has(t.topic))
      if (missing.length === 0) return
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.topic,
          configEntries: t.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : [],
        })),
      })
    },

    async consume({ groupId, topics, fromBeginning, eachRecord, onCrash }) {
      const consumer = kafka.consumer({ groupId, allowAutoTopicCreation: true })
      consumers.add(consumer)
      consumer.on(consumer.events.CRASH, (e) => onCrash(e.payload.error))
      await consumer.connect()
      await consumer.subscribe({ topics: [...topics], fromBeginning })
      // eachMessage resolves only after the record was delivered, and kafkajs commits the offset
      // only after that: offsets never run ahead of MQTT delivery (PRODUCT.md §5).
      await consumer.run({
        eachMessage: async ({ topic, partition, message }) => {
          const headers: Record<string, string> = {}
          for (const [k, v] of Object.entries(message.headers ?? {})) {
            if (v !== undefined) headers[k] = Array.isArray(v) ? String(v[0]) : String(v)
          }
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

    async close() {
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
