// What both Kafka client adapters share: error classification, the send queue's order and failure
// rules, the split of large sends, and the Java partition hash. Errors are built with the libraries'
// own error classes, the way they reach the adapters.
import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { describe, it } from 'node:test'
import { NetworkError, ProtocolError, ResponseError } from '@platformatic/kafka'
import kafkajs from 'kafkajs'
import type { KafkaRecord } from '../../src/kafka/kafka-client.js'
import { createSendQueue, splitBySize, toProduceError } from '../../src/kafka/kafka-client-shared.js'
import { createBytesCache, javaPartitionHash } from '../../src/kafka/kafka-record-encoder.js'
import { UnsError } from '../../src/errors.js'

// CommonJS properties Node's ESM loader does not see as named exports.
const { KafkaJSConnectionError, KafkaJSNonRetriableError, KafkaJSProtocolError } = kafkajs
const require = createRequire(import.meta.url)
const kafkajsMurmur2 = require('kafkajs/src/producer/partitioners/default/murmur2.js') as (
  k: Buffer,
) => number

describe('send errors', () => {
  it('a record kafkajs reports as too large is refused for good, with the kafkajs error as cause', () => {
    const tooLarge = new KafkaJSProtocolError({
      message: 'The request included a message larger than the max message size the server will accept',
      type: 'MESSAGE_TOO_LARGE',
      code: 10,
      retriable: false,
    } as unknown as Error)
    // As kafkajs's retrier wraps it (src/retry/index.js): the protocol error is the cause.
    const Wrapper = KafkaJSNonRetriableError as unknown as new (e: Error, o: { cause: Error }) => Error
    const err = toProduceError(new Wrapper(tooLarge, { cause: tooLarge }), 3)
    assert.ok(err instanceof UnsError)
    assert.equal(err.code, 'UNS_ERR_KAFKA_RECORD_REFUSED')
    assert.equal(err.retriable, false)
    assert.match(err.message, /refused 3 records for good \(MESSAGE_TOO_LARGE\)/)
    assert.equal((err.cause as Error).name, 'KafkaJSNonRetriableError')
  })

  it('an authorisation failure nested in @platformatic/kafka aggregate errors is refused for good', () => {
    const response = new ResponseError(0, 11, { '/responses/0/partition_responses/0': [29, null] }, {})
    const err = toProduceError(new AggregateError([response], 'Producing messages failed.'), 1)
    assert.equal(err.code, 'UNS_ERR_KAFKA_RECORD_REFUSED')
    assert.match(err.message, /TOPIC_AUTHORIZATION_FAILED/)
  })

  it('an outage, a timeout or a lost producer id is retriable: the records are sent again', () => {
    for (const cause of [
      new KafkaJSConnectionError('Connection error: ECONNREFUSED'),
      new NetworkError('Connection to 127.0.0.1:9092 failed.'),
      new ProtocolError('NOT_ENOUGH_REPLICAS'),
      new ProtocolError('OUT_OF_ORDER_SEQUENCE_NUMBER'),
      new ProtocolError('UNKNOWN_PRODUCER_ID'),
      new Error('producer is not connected'),
    ]) {
      const err = toProduceError(cause, 5)
      assert.equal(err.code, 'UNS_ERR_KAFKA_PRODUCE_FAILED', cause.message)
      assert.equal(err.retriable, true)
    }
  })

  it('a partition without a leader yet is resent without a reconnect, on both clients', () => {
    const kafkajsNoLeader = new KafkaJSProtocolError({
      message: 'There is no leader for this topic-partition as we are in the middle of a leadership election',
      type: 'LEADER_NOT_AVAILABLE',
      code: 5,
      retriable: true,
    } as unknown as Error)
    for (const cause of [
      kafkajsNoLeader,
      new AggregateError([new ProtocolError('UNKNOWN_TOPIC_OR_PARTITION')], 'Producing messages failed.'),
    ]) {
      const err = toProduceError(cause, 2)
      assert.equal(err.code, 'UNS_ERR_KAFKA_PARTITION_NOT_READY', cause.message)
      assert.equal(err.retriable, true)
    }
    // The same answer beside a lost connection is an outage: reconnect.
    const mixed = new AggregateError(
      [new ProtocolError('LEADER_NOT_AVAILABLE'), new NetworkError('gone')],
      'x',
    )
    assert.equal(toProduceError(mixed, 1).code, 'UNS_ERR_KAFKA_PRODUCE_FAILED')
  })

  it('a TypeError while encoding is never retried', () => {
    assert.equal(toProduceError(new TypeError('value.length is not a function'), 1).retriable, false)
  })
})

describe('send queue', () => {
  const later = <T>(ms: number, v: T): Promise<T> => new Promise((r) => setTimeout(() => r(v), ms))

  it('runs overlapping sends one at a time, in call order', async () => {
    const queue = createSendQueue()
    const events: string[] = []
    const job = (name: string, ms: number) => async () => {
      events.push(`start ${name}`)
      await later(ms, null)
      events.push(`end ${name}`)
    }
    await Promise.all([queue(1, job('a', 20)), queue(1, job('b', 1)), queue(1, job('c', 5))])
    assert.deepEqual(events, ['start a', 'end a', 'start b', 'end b', 'start c', 'end c'])
  })

  it('a retriable failure fails the sends queued behind it without running them; sends after it run', async () => {
    const queue = createSendQueue()
    const ran: string[] = []
    const failing = queue(1, async () => {
      ran.push('a')
      throw toProduceError(new NetworkError('gone'), 1)
    })
    const behind = queue(1, async () => void ran.push('b'))
    await assert.rejects(failing, { code: 'UNS_ERR_KAFKA_PRODUCE_FAILED' })
    await assert.rejects(behind, (e: UnsError) => e.retriable && /earlier send failed/.test(e.message))
    await queue(1, async () => void ran.push('c'))
    assert.deepEqual(ran, ['a', 'c'], 'b was never attempted, so resending a then b keeps their order')
  })

  it('a send refused for good does not hold the sends behind it', async () => {
    const queue = createSendQueue()
    const refused = queue(1, async () => {
      throw toProduceError(new ProtocolError('MESSAGE_TOO_LARGE'), 1)
    })
    const behind = queue(1, async () => 'sent')
    await assert.rejects(refused, { code: 'UNS_ERR_KAFKA_RECORD_REFUSED' })
    assert.equal(await behind, 'sent')
  })
})

describe('splitting sends', () => {
  const rec = (i: number, valueBytes: number, headers: Record<string, string> = {}): KafkaRecord => ({
    topic: 't',
    key: `k${i}`,
    value: Buffer.alloc(valueBytes, 97),
    headers,
  })

  it('leaves a send below the limit as it is', () => {
    const records = Array.from({ length: 1000 }, (_, i) => rec(i, 80, { 'content-type': 'application/json' }))
    const runs = splitBySize(records, 1_000_000)
    assert.equal(runs.length, 1)
    assert.equal(runs[0], records)
  })

  it('splits a larger send in order into runs below the limit, a record above it alone', () => {
    const records = [...Array.from({ length: 30 }, (_, i) => rec(i, 10_000)), rec(30, 150_000), rec(31, 10)]
    const runs = splitBySize(records, 100_000)
    assert.deepEqual(runs.flat(), records, 'every record once, in order')
    for (const run of runs) {
      const bytes = run.reduce((n, r) => n + (r.value?.length ?? 0), 0)
      assert.ok(run.length === 1 || bytes < 100_000, `a run of ${bytes} bytes`)
    }
    assert.ok(runs.some((r) => r.length === 1 && r[0]?.key === 'k30'))
  })

  it('counts header and key bytes as UTF-8', () => {
    const wide = (i: number) => rec(i, 0, { note: 'é'.repeat(1000) }) // 2,000 bytes in 1,000 characters
    const runs = splitBySize(
      Array.from({ length: 10 }, (_, i) => wide(i)),
      10_000,
    )
    assert.ok(runs.length >= 2, 'ten records of about 2 KB do not fit in 10 KB')
  })
})

describe('partition hash', () => {
  it('is the Java client murmur2 made positive, as kafkajs computes it', () => {
    const keys = ['21', 'foobar', 'a-little-bit-long-string', 'plant/e3/d1/m17', 'é/ü/☃', '']
    for (let i = 0; i < 300; i++) keys.push(`acme/site-${i}/area/line-${i % 7}/tag${i * 31}`)
    for (const key of keys) {
      const bytes = Buffer.from(key)
      assert.equal(javaPartitionHash(bytes), kafkajsMurmur2(bytes) & 0x7fffffff, key)
    }
  })
})

describe('record bytes cache', () => {
  it('gives the UTF-8 bytes of every string, also past its size and for long or non-ASCII strings', () => {
    const bytes = createBytesCache(8, 256)
    const strings = [
      'plant/e3/d1/m17',
      'é/ü/☃',
      '1',
      'x'.repeat(100),
      ...Array.from({ length: 50 }, (_, i) => `k${i}`),
    ]
    for (let round = 0; round < 3; round++)
      for (const s of strings) assert.deepEqual(bytes(s), Buffer.from(s), s)
  })
})

describe('platformatic errors in readiness and logs', () => {
  it('name the socket error under "metadata failed 3 times."', async () => {
    const { explain } = await import('../../src/kafka/kafka-client-platformatic.js')
    const refused = Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:1'), { code: 'ECONNREFUSED' })
    const net = new NetworkError('Connection to 127.0.0.1:1 failed.', { cause: refused })
    const err = explain(new AggregateError([net, net], 'metadata failed 3 times.'))
    assert.match(err.message, /^metadata failed 3 times\. \(connect ECONNREFUSED 127\.0\.0\.1:1\)$/)
    assert.equal((err.cause as Error).message, 'metadata failed 3 times.')
  })
})
