// A tail (the reader of uns.state and uns.schemas that readiness waits for) outlives its kafkajs
// consumer. kafkajs gives up on a consumer for errors it calls non-retriable; on a broker that has just
// started that is "Failed to find group coordinator" (issue 11 item 8), here a handler bug does it.
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { createKafkaClient } from '../../src/kafka/index.js'
import { createLogger } from '../../src/logger.js'
import { testBrokers, uniqueName } from '../helpers/kafka.js'
import { eventually } from '../helpers/service.js'

it('a tail whose reader kafkajs gave up on starts a new one, hands each record over once in order and still answers caughtUp', async () => {
  const client = createKafkaClient(
    {
      brokers: [testBrokers()],
      clientId: 'tail-restart-test',
      connectTimeoutMs: 3000,
      requestTimeoutMs: 10000,
      ssl: false,
    },
    createLogger('silent'),
  )
  const topic = uniqueName('tail-restart')
  await client.ensureTopics([{ topic, partitions: 1 }])
  await client.connectProducer()
  const record = (n: number) => ({ topic, key: `k${n}`, value: Buffer.from(String(n)), headers: {} })
  await client.send([0, 1, 2, 3, 4].map(record))

  const handed: string[] = []
  const crashes: Error[] = []
  let failed = false
  const tail = await client.tail({
    groupId: uniqueName('tail-restart'),
    topic,
    eachRecord: (r) => {
      // A TypeError is one kafkajs never retries: it stops this consumer for good.
      if (r.offset === '2' && !failed) {
        failed = true
        throw new TypeError('handler bug')
      }
      handed.push(r.offset)
    },
    onCrash: (err) => crashes.push(err),
  })
  try {
    // Before the fix the crashed reader never advanced again: caughtUp waited out its whole timeout.
    await tail.caughtUp(30000)
    assert.deepEqual(handed, ['0', '1', '2', '3', '4'], 'the new reader goes on where the old one stopped')
    assert.equal(crashes.length, 1, 'the owner hears of the crash once')
    // And it keeps following.
    await client.send([record(5)])
    await eventually(() => (handed.length === 6 ? true : undefined), 15000)
    assert.deepEqual(handed, ['0', '1', '2', '3', '4', '5'])
  } finally {
    await tail.stop()
    await client.close()
  }
})
