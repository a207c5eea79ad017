// A record Kafka refuses for good (larger than max.message.bytes) fails on its own with
// UNS_ERR_KAFKA_RECORD_REFUSED, and the buffered producer moves on to the records queued behind it,
// on either client (the adapters set `retriable`; producer.ts looks at nothing else), and with the
// producer in its worker thread (kafka.producerThread: the refusal crosses the thread as an UnsError).
import assert from 'node:assert/strict'
import { after, it } from 'node:test'
import { createKafkaClient } from '../../src/kafka/kafka-client.js'
import { createProducerThread } from '../../src/kafka/producer-thread.js'
import { createBufferedProducer } from '../../src/kafka/producer.js'
import { createLogger } from '../../src/logger.js'
import { createMetrics } from '../../src/metrics.js'
import { readTopic, testBrokers, uniqueName } from '../helpers/kafka.js'

for (const kind of ['kafkajs', 'platformatic', 'platformatic in the producer thread'] as const) {
  it(`${kind}: a refused record fails alone and the records behind it are delivered`, async () => {
    const logger = createLogger('silent')
    const config = {
      client: kind === 'kafkajs' ? kind : ('platformatic' as const),
      brokers: [testBrokers()],
      clientId: uniqueName('refused'),
      connectTimeoutMs: 3000,
      requestTimeoutMs: 10000,
      ssl: false,
    }
    const client = createKafkaClient(config, logger)
    const sender =
      kind === 'kafkajs' || kind === 'platformatic' ? client : createProducerThread(config, logger)
    const producer = createBufferedProducer(
      { client: sender, logger, metrics: createMetrics() },
      {
        lingerMs: 0,
        maxBatchRecords: 1,
        bufferMaxRecords: 100,
        bufferMaxBytes: 10_000_000,
        reconnectInitialMs: 100,
        reconnectMaxMs: 1000,
      },
    )
    after(async () => {
      await producer.close(5000)
      if (sender !== client) await sender.close()
      await client.close()
    })
    const topic = uniqueName('refused')
    await client.ensureTopics([{ topic, partitions: 1 }])
    const produce = (key: string, bytes: number) => {
      const r = producer.produce({ topic, key, value: Buffer.alloc(bytes, 97), headers: {} }, true)
      assert.equal(r.status, 'queued')
      return r.status === 'queued' ? r.acked : Promise.resolve()
    }
    const big = produce('big', 1_200_000)
    const small = [produce('a', 10), produce('b', 10)]
    await assert.rejects(big, { code: 'UNS_ERR_KAFKA_RECORD_REFUSED', retriable: false })
    await Promise.all(small)
    assert.equal(producer.state, 'connected', 'a refusal is not an outage')
    const records = await readTopic(topic, 2, 30000)
    assert.deepEqual(
      records.map((r) => r.key),
      ['a', 'b'],
    )
  })
}
