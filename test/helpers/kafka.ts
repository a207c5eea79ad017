// Test access to the one local Kafka that scripts/test.ts starts per run. Tests read topics the
// way users do, with a plain Kafka consumer.
import { randomUUID } from 'node:crypto'
import { Kafka, logLevel, type IHeaders } from 'kafkajs'

export function testBrokers(): string {
  const brokers = process.env.UNS_TEST_KAFKA_BROKERS
  if (!brokers) throw new Error('UNS_TEST_KAFKA_BROKERS is not set: run the tests with `npm test`')
  return brokers
}

export const uniqueName = (prefix: string): string => `${prefix}.${randomUUID().slice(0, 8)}`

export interface ReadRecord {
  key: string | null
  value: Buffer | null
  headers: Record<string, string>
  partition: number
  offset: string
}

const kafka = (brokers = testBrokers()) =>
  new Kafka({ brokers: brokers.split(','), logLevel: logLevel.NOTHING, clientId: 'test' })

const toHeaders = (h: IHeaders | undefined): Record<string, string> =>
  Object.fromEntries(Object.entries(h ?? {}).map(([k, v]) => [k, String(Array.isArray(v) ? v[0] : v)]))

/** Reads `topic` from the beginning until `count` records arrived or `timeoutMs` passed; `brokers` may be comma-separated. */
export async function readTopic(
  topic: string,
  count: number,
  timeoutMs = 15000,
  brokers?: string,
  /** Stop early once this holds (e.g. every distinct message seen despite duplicates). */
  until?: (records: readonly ReadRecord[]) => boolean,
): Promise<ReadRecord[]> {
  const consumer = kafka(brokers).consumer({ groupId: uniqueName('test-reader') })
  const records: ReadRecord[] = []
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  await new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, timeoutMs)
    void consumer.run({
      eachMessage: async ({ message, partition }) => {
        records.push({
          key: message.key?.toString() ?? null,
          value: message.value,
          headers: toHeaders(message.headers),
          partition,
          offset: message.offset,
        })
        if (until ? until(records) : records.length >= count) {
          clearTimeout(timer)
          resolve()
        }
      },
    })
  })
  await consumer.disconnect()
  return records
}

/** Produces records as an enterprise system would. */
export async function produce(
  topic: string,
  messages: { key: string | null; value: string | Buffer | null; headers?: Record<string, string> }[],
): Promise<void> {
  const producer = kafka().producer({ allowAutoTopicCreation: true })
  await producer.connect()
  await producer.send({ topic, acks: -1, messages })
  await producer.disconnect()
}

export async function createTopic(topic: string, numPartitions = 1): Promise<void> {
  const admin = kafka().admin()
  await admin.connect()
  await admin.createTopics({ topics: [{ topic, numPartitions }], waitForLeaders: true })
  await admin.disconnect()
}

/** Partition count and config of a topic, as Kafka reports them. */
export async function describeTopic(
  topic: string,
): Promise<{ partitions: number; cleanupPolicy: string | undefined }> {
  const admin = kafka().admin()
  await admin.connect()
  try {
    const meta = await admin.fetchTopicMetadata({ topics: [topic] })
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: topic, configNames: ['cleanup.policy'] }],
    })
    return {
      partitions: meta.topics[0]?.partitions.length ?? 0,
      cleanupPolicy: configs.resources[0]?.configEntries.find((c) => c.configName === 'cleanup.policy')
        ?.configValue,
    }
  } finally {
    await admin.disconnect()
  }
}

export async function topicExists(topic: string): Promise<boolean> {
  const admin = kafka().admin()
  await admin.connect()
  try {
    return (await admin.listTopics()).includes(topic)
  } finally {
    await admin.disconnect()
  }
}
