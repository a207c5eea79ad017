import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  createBufferedProducer,
  type BufferedProducerConfig,
  type KafkaClient,
  type KafkaRecord,
  type LinkState,
} from '../../src/kafka/index.js'
import { KafkaPartitionNotReady, KafkaProduceFailed, KafkaRecordRefused } from '../../src/errors.js'
import { createLogger } from '../../src/logger.js'
import { createMetrics } from '../../src/metrics.js'
import { deferred, settle, track, until, type Deferred } from '../helpers/deferred.js'
import { metricValue } from '../helpers/metrics.js'

const logger = createLogger('silent')

/** A KafkaClient whose connects and sends the test settles by hand; nothing else is used. */
function fakeClient() {
  const connects: Deferred<void>[] = []
  const sends: { keys: string[]; done: Deferred<void> }[] = []
  const unused = (): never => {
    throw new Error('not used by the producer')
  }
  const client: KafkaClient = {
    connectProducer() {
      const d = deferred()
      connects.push(d)
      return d.promise
    },
    send(records) {
      const d = deferred()
      sends.push({ keys: records.map((r) => r.key ?? ''), done: d })
      return d.promise
    },
    ensureTopics: unused,
    partitionOf: unused,
    partitions: unused,
    readPartition: unused,
    missingTopics: unused,
    consume: unused,
    tail: unused,
    close: unused,
  }
  return { client, connects, sends }
}

const config = (over: Partial<BufferedProducerConfig> = {}): BufferedProducerConfig => ({
  lingerMs: 0,
  maxBatchRecords: 100,
  bufferMaxRecords: 1000,
  bufferMaxBytes: 1_000_000,
  reconnectInitialMs: 5,
  reconnectMaxMs: 20,
  ...over,
})

const rec = (key: string, value = 'v'): KafkaRecord => ({
  topic: 'uns.telemetry',
  key,
  value: Buffer.from(value),
  headers: {},
})

/** A producer on a fake client, connected unless `connected` is false. */
async function setUp(over: Partial<BufferedProducerConfig> = {}, connected = true) {
  const fake = fakeClient()
  const states: LinkState[] = []
  const metrics = createMetrics()
  const producer = createBufferedProducer(
    { client: fake.client, logger, metrics, onStateChange: (s) => states.push(s) },
    config(over),
  )
  if (connected) {
    fake.connects[0]?.resolve()
    await until(() => producer.state === 'connected', 'producer connected')
  }
  /** The ack of a queued record (fails the test if the record was dropped). */
  const produce = (key: string, mustDeliver = true): Promise<void> => {
    const r = producer.produce(rec(key), mustDeliver)
    assert.equal(r.status, 'queued', `${key} queued`)
    return r.status === 'queued' ? r.acked : Promise.reject(new Error('dropped'))
  }
  return { ...fake, producer, states, metrics, produce }
}

// As the client adapters reject (kafka-client-shared.ts toProduceError): UnsErrors that say whether a
// retry can succeed, with the library's error as cause.
const poison = (): Error =>
  new KafkaRecordRefused([2, 'MESSAGE_TOO_LARGE', 'larger than the max message size'])

const retriable = (): Error => new KafkaProduceFailed([2, 'Connection error: ECONNREFUSED'])

const noLeader = (): Error => new KafkaPartitionNotReady([2, 'LEADER_NOT_AVAILABLE'])

describe('the buffered producer', () => {
  test('sends records in arrival order with one batch in flight at a time', async () => {
    const p = await setUp({ maxBatchRecords: 2 })
    const order: string[] = []
    const acks = ['a', 'b', 'c', 'd'].map((k) => p.produce(k).then(() => void order.push(k)))
    // a leaves at once (linger 0); b, c, d wait for it.
    assert.deepEqual(
      p.sends.map((s) => s.keys),
      [['a']],
    )
    await settle()
    assert.equal(p.sends.length, 1, 'no second batch while one is in flight')
    p.sends[0]?.done.resolve()
    await until(() => p.sends.length === 2, 'second batch sent')
    assert.deepEqual(p.sends[1]?.keys, ['b', 'c'], 'the next batch holds at most maxBatchRecords')
    await settle()
    assert.equal(p.sends.length, 2)
    p.sends[1]?.done.resolve()
    await until(() => p.sends.length === 3, 'third batch sent')
    assert.deepEqual(p.sends[2]?.keys, ['d'])
    p.sends[2]?.done.resolve()
    await Promise.all(acks)
    assert.deepEqual(order, ['a', 'b', 'c', 'd'])
    assert.deepEqual(p.producer.stats(), {
      bufferedRecords: 0,
      bufferedBytes: 0,
      waiting: 0,
      sent: 4,
      dropped: 0,
    })
    await p.producer.close(100)
  })

  test('waits lingerMs to fill a batch, and sends at once when maxBatchRecords are queued', async () => {
    const p = await setUp({ lingerMs: 40, maxBatchRecords: 3 })
    const started = performance.now()
    const first = [p.produce('a'), p.produce('b')]
    assert.equal(p.sends.length, 0, 'two records of three wait for the linger')
    await until(() => p.sends.length === 1, 'linger expired')
    assert.ok(performance.now() - started >= 39, 'not before lingerMs')
    assert.deepEqual(p.sends[0]?.keys, ['a', 'b'])
    p.sends[0]?.done.resolve()
    await Promise.all(first)
    // A full batch does not wait for the linger.
    const full = [p.produce('c'), p.produce('d'), p.produce('e')]
    assert.deepEqual(p.sends[1]?.keys, ['c', 'd', 'e'])
    p.sends[1]?.done.resolve()
    await Promise.all(full)
    await p.producer.close(100)
  })

  test('a batch Kafka refuses for good fails exactly its records, and the records behind it still go', async () => {
    const p = await setUp({ maxBatchRecords: 2 })
    const a = track(p.produce('a'))
    const b = p.produce('b')
    const c = p.produce('c')
    const bt = track(b)
    const err = poison()
    p.sends[0]?.done.reject(err)
    await until(() => a.state() === 'rejected', 'a failed')
    assert.equal(a.reason(), err, 'the caller gets Kafka’s reason')
    assert.match(p.producer.lastError ?? '', /larger than the max message size/)
    assert.equal(bt.state(), 'pending', 'b was not in the refused batch')
    await until(() => p.sends.length === 2, 'next batch sent')
    assert.deepEqual(p.sends[1]?.keys, ['b', 'c'])
    p.sends[1]?.done.resolve()
    await Promise.all([b, c])
    assert.equal(p.producer.state, 'connected', 'a refused batch is no reason to reconnect')
    assert.equal(p.connects.length, 1)
    assert.equal(p.producer.lastError, undefined, 'a later successful send clears the error health shows')
    assert.equal(p.producer.stats().sent, 2)
    assert.equal(await metricValue(p.metrics, 'uns_kafka_produce_errors_total', { retriable: 'false' }), 1)
    await p.producer.close(100)
  })

  test('a retriable failure keeps the batch at the head and sends it again, in order, after a reconnect', async () => {
    const p = await setUp({ maxBatchRecords: 2 })
    const order: string[] = []
    const acks = ['a', 'b'].map((k) => p.produce(k).then(() => void order.push(k)))
    p.sends[0]?.done.reject(retriable())
    await until(() => p.producer.state === 'disconnected', 'disconnected')
    const c = p.produce('c').then(() => void order.push('c'))
    assert.equal(p.sends.length, 1, 'nothing is sent while disconnected')
    await until(() => p.connects.length === 2, 'reconnect attempted after the backoff')
    p.connects[1]?.resolve()
    await until(() => p.sends.length === 2, 'batch sent again')
    assert.deepEqual(p.sends[1]?.keys, ['a', 'b'], 'the failed batch first, whole')
    p.sends[1]?.done.resolve()
    await until(() => p.sends.length === 3, 'then the rest')
    assert.deepEqual(p.sends[2]?.keys, ['c'])
    p.sends[2]?.done.resolve()
    await Promise.all([...acks, c])
    assert.deepEqual(order, ['a', 'b', 'c'])
    assert.deepEqual(p.states, ['connected', 'disconnected', 'connected'])
    assert.equal(p.producer.lastError, undefined, 'a reconnect clears the last error')
    assert.equal(await metricValue(p.metrics, 'uns_kafka_produce_errors_total', { retriable: 'true' }), 1)
    await p.producer.close(100)
  })

  test('a partition without a leader yet: the batch is sent again without a reconnect or an outage', async () => {
    const p = await setUp({ maxBatchRecords: 2 })
    const acks = ['a', 'b'].map((k) => p.produce(k))
    p.sends[0]?.done.reject(noLeader())
    await until(() => p.sends.length === 2, 'batch sent again')
    assert.deepEqual(p.sends[1]?.keys, ['a', 'b'])
    p.sends[1]?.done.resolve()
    await Promise.all(acks)
    assert.equal(p.connects.length, 1, 'no reconnect')
    assert.deepEqual(p.states, ['connected'], 'never reported disconnected')
    await p.producer.close(100)
  })

  test('a full buffer drops best-effort records and holds must-deliver ones until room frees, then sends them in order', async () => {
    const p = await setUp({ bufferMaxRecords: 2 }, false)
    const first = [p.produce('q0-a', false), p.produce('q0-b', false)]
    assert.deepEqual(p.producer.produce(rec('q0-c'), false), { status: 'dropped' })
    const held = [p.produce('q1-a'), p.produce('q1-b')]
    // Once must-deliver records wait, a best-effort record may not overtake them.
    assert.deepEqual(p.producer.produce(rec('q0-d'), false), { status: 'dropped' })
    const held2 = p.produce('q1-c')
    assert.deepEqual(p.producer.stats(), {
      bufferedRecords: 2,
      bufferedBytes: 2 * (4 + 1),
      waiting: 3,
      sent: 0,
      dropped: 2,
    })
    p.connects[0]?.resolve()
    await until(() => p.sends.length === 1, 'first batch sent')
    assert.deepEqual(p.sends[0]?.keys, ['q0-a', 'q0-b'])
    p.sends[0]?.done.resolve()
    await Promise.all(first)
    await until(() => p.sends.length === 2, 'held records sent')
    assert.deepEqual(p.sends[1]?.keys, ['q1-a', 'q1-b'], 'as many as the buffer holds')
    p.sends[1]?.done.resolve()
    await until(() => p.sends.length === 3, 'the last held record sent')
    assert.deepEqual(p.sends[2]?.keys, ['q1-c'])
    p.sends[2]?.done.resolve()
    await Promise.all([...held, held2])
    assert.deepEqual(p.producer.stats(), {
      bufferedRecords: 0,
      bufferedBytes: 0,
      waiting: 0,
      sent: 5,
      dropped: 2,
    })
    await p.producer.close(100)
  })

  test('records held for room are sent after a refused batch empties the buffer, ahead of later records', async () => {
    const p = await setUp({ bufferMaxRecords: 2 }, false)
    const refused = [track(p.produce('a')), track(p.produce('b'))]
    const held = p.produce('c')
    p.connects[0]?.resolve()
    await until(() => p.sends.length === 1, 'first batch sent')
    p.sends[0]?.done.reject(poison())
    await until(() => refused.every((r) => r.state() === 'rejected'), 'refused batch failed')
    // Room has freed: the held record goes first, a record arriving now after it.
    const later = p.produce('d')
    await until(() => p.sends.length === 2, 'the held record is sent')
    assert.deepEqual(p.sends[1]?.keys, ['c'])
    p.sends[1]?.done.resolve()
    await until(() => p.sends.length === 3, 'the later record is sent')
    assert.deepEqual(p.sends[2]?.keys, ['d'])
    p.sends[2]?.done.resolve()
    await Promise.all([held, later])
    await p.producer.close(100)
  })

  test('records produced together settle once, when the last of them did, and say how many failed', async () => {
    const p = await setUp({ maxBatchRecords: 2 }, false)
    // One message's three values: the first two in a batch Kafka refuses, the third in the next batch.
    const group = p.producer.produceAll([rec('a'), rec('b'), rec('c')], true)
    assert.equal(group.dropped, 0)
    const acked = track(group.acked as Promise<void>)
    p.connects[0]?.resolve()
    await until(() => p.sends.length === 1, 'first batch sent')
    p.sends[0]?.done.reject(poison())
    await until(() => p.sends.length === 2, 'the rest of the group is sent')
    await settle()
    assert.equal(acked.state(), 'pending', 'c is still in flight')
    p.sends[1]?.done.resolve()
    await assert.rejects(group.acked as Promise<void>, { code: 'UNS_ERR_KAFKA_RECORD_REFUSED' })
    assert.equal(group.failed, 2)
    // A group of best-effort records beyond the buffer: the ones without room are dropped and counted.
    const full = await setUp({ bufferMaxRecords: 1 }, false)
    const partly = full.producer.produceAll([rec('x'), rec('y')], false)
    assert.equal(partly.dropped, 1)
    assert.equal(full.producer.stats().dropped, 1)
    await full.producer.close(100)
    await assert.rejects(partly.acked as Promise<void>, { code: 'UNS_ERR_BRIDGE_CLOSED' })
    await p.producer.close(100)
  })

  test('a buffer full by bytes drops best-effort records too', async () => {
    const p = await setUp({ bufferMaxBytes: 10 }, false)
    const a = p.producer.produce(rec('a', '0123456789'), false)
    assert.equal(a.status, 'queued')
    assert.equal(p.producer.produce(rec('b', '0'), false).status, 'dropped')
    assert.equal(p.producer.stats().dropped, 1)
    await p.producer.close(100)
    if (a.status === 'queued') await assert.rejects(a.acked, { code: 'UNS_ERR_BRIDGE_CLOSED' })
  })

  test('close while a batch is in flight waits for it and for the rest of the buffer', async () => {
    const p = await setUp({ maxBatchRecords: 1 })
    const acks = [p.produce('a'), p.produce('b')]
    const closing = track(p.producer.close(5000))
    await settle()
    assert.equal(closing.state(), 'pending', 'close waits for the batch in flight')
    p.sends[0]?.done.resolve()
    await until(() => p.sends.length === 2, 'the buffered record is still sent')
    assert.equal(closing.state(), 'pending')
    p.sends[1]?.done.resolve()
    await until(() => closing.state() === 'fulfilled', 'closed once drained')
    await Promise.all(acks)
    assert.equal(p.producer.state, 'closed')
  })

  test('close gives up after its timeout and fails what is left with UNS_ERR_BRIDGE_CLOSED', async () => {
    const p = await setUp({ maxBatchRecords: 1 })
    const a = track(p.produce('a'))
    const b = track(p.produce('b'))
    const started = performance.now()
    await p.producer.close(30)
    assert.ok(performance.now() - started >= 29, 'waited for the timeout')
    await settle()
    for (const [name, t] of [
      ['a (in flight)', a],
      ['b (buffered)', b],
    ] as const) {
      assert.equal(t.state(), 'rejected', name)
      assert.equal((t.reason() as { code?: string }).code, 'UNS_ERR_BRIDGE_CLOSED', name)
    }
    // After close: must-deliver records fail at once, best-effort ones are dropped.
    const late = p.producer.produce(rec('c'), true)
    assert.equal(late.status, 'queued')
    await assert.rejects(late.status === 'queued' ? late.acked : Promise.resolve(), {
      code: 'UNS_ERR_BRIDGE_CLOSED',
    })
    assert.deepEqual(p.producer.produce(rec('d'), false), { status: 'dropped' })
  })

  test('a producer closed during a connect attempt stays closed', async () => {
    for (const outcome of ['connects', 'fails'] as const) {
      const p = await setUp({}, false)
      const ack = track(p.produce('a'))
      await p.producer.close(1000)
      await settle()
      assert.equal(ack.state(), 'rejected', 'what was buffered fails at once')
      if (outcome === 'connects') p.connects[0]?.resolve()
      else p.connects[0]?.reject(retriable())
      // Proving an absence takes time: ten backoff intervals (5 ms) pass without a reconnect, a send
      // or a state change.
      await new Promise((r) => setTimeout(r, 50))
      assert.equal(p.producer.state, 'closed', outcome)
      assert.equal(p.connects.length, 1, `${outcome}: no further attempt`)
      assert.equal(p.sends.length, 0, outcome)
      assert.deepEqual(p.states, [], `${outcome}: no state reported after close`)
    }
  })

  test('reports each state change once, however many attempts fail in a row', async () => {
    const p = await setUp({}, false)
    for (let i = 0; i < 3; i++) {
      p.connects[i]?.reject(new Error(`refused ${i}`))
      await until(() => p.connects.length === i + 2, `attempt ${i + 2}`)
    }
    assert.equal(p.producer.state, 'disconnected')
    assert.equal(p.producer.lastError, 'refused 2', 'the last reason is kept for /health')
    p.connects[3]?.resolve()
    await until(() => p.producer.state === 'connected', 'connected')
    const ack = p.produce('a')
    p.sends[0]?.done.reject(retriable())
    await until(() => p.connects.length === 5, 'reconnect')
    p.connects[4]?.reject(new Error('still down'))
    await until(() => p.connects.length === 6, 'another attempt')
    p.connects[5]?.resolve()
    await until(() => p.sends.length === 2, 'resent')
    p.sends[1]?.done.resolve()
    await ack
    assert.deepEqual(p.states, ['disconnected', 'connected', 'disconnected', 'connected'])
    await p.producer.close(100)
  })
})
