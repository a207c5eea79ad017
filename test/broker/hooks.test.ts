import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { AedesPublishPacket, Client, PublishPacket } from 'aedes'
import {
  authorizeForwardHook,
  authorizePublishHook,
  createWillTurns,
  publishedHook,
  type PublishHook,
} from '../../src/broker/hooks.js'
import { createMetrics } from '../../src/metrics.js'
import type { InboundMessage, OutgoingMessage } from '../../src/uns/index.js'
import { deferred, settle, type Deferred } from '../helpers/deferred.js'
import { captureLogs } from '../helpers/logs.js'
import { metricValue } from '../helpers/metrics.js'

// aedes hands the hooks its client and packet objects; these carry the fields the hooks read.
const client = (id: string, filters: string[] = []): Client =>
  ({ id, subscriptions: Object.fromEntries(filters.map((f) => [f, { qos: 1 }])) }) as unknown as Client

const packet = (
  topic: string,
  payload: string | Buffer = '1',
  qos: 0 | 1 = 1,
  retain = false,
): PublishPacket => ({
  cmd: 'publish',
  topic,
  payload,
  qos,
  retain,
  dup: false,
})

const delivery = (topic: string, retain = false): AedesPublishPacket => ({
  ...packet(topic, 'x', 1, retain),
  brokerId: 'b',
  brokerCounter: 7,
})

const out = (topic: string): OutgoingMessage => ({ topic, payload: Buffer.from(topic), qos: 1, retain: true })

/** The publish and published hooks as createBroker wires them, with a recording publish hook. */
function setUp(config = { maxPayloadBytes: 10 }) {
  const metrics = createMetrics()
  const { logger, logs } = captureLogs()
  const after = new WeakMap<PublishPacket, readonly OutgoingMessage[]>()
  const seen: InboundMessage[] = []
  let outcome: ReturnType<PublishHook> = { republish: [] }
  let hook: PublishHook | undefined = (m) => {
    seen.push(m)
    return outcome
  }
  const published: { message: OutgoingMessage; done: Deferred<void> }[] = []
  const authorize = authorizePublishHook({ logger, metrics, onPublish: () => hook, after }, config)
  const onPublished = publishedHook({
    logger,
    after,
    publish: (message) => {
      const done = deferred()
      published.push({ message, done })
      return done.promise
    },
  })
  /** Calls authorizePublish; resolves with what it passed to done (null: allowed). */
  const authorizeNow = (c: Client | null, p: PublishPacket) => {
    const result = deferred<Error | null>()
    authorize(c, p, (err) => result.resolve(err ?? null))
    return result.promise
  }
  /** Calls published; resolves once it called its done. */
  const publishedNow = (p: PublishPacket) => {
    const result = deferred()
    onPublished(p, null, () => result.resolve())
    return result.promise
  }
  return {
    metrics,
    logs,
    seen,
    published,
    authorizeNow,
    publishedNow,
    authorize,
    setOutcome: (o: ReturnType<PublishHook>) => (outcome = o),
    removeHook: () => (hook = undefined),
  }
}

describe('authorizePublish', () => {
  test('refuses client publishes to $SYS/ and $sparkplug/, counts them and never hands them on', async () => {
    const h = setUp()
    for (const topic of ['$SYS/broker/uptime', '$sparkplug/certificates/spBv1.0/G/NBIRTH/E']) {
      const err = await h.authorizeNow(client('intruder'), packet(topic))
      assert.ok(err instanceof Error, topic)
      assert.match(err.message, /reserved to the server/)
    }
    assert.equal(h.seen.length, 0)
    assert.equal(await metricValue(h.metrics, 'uns_mqtt_rejected_total', { reason: 'invalid_topic' }), 2)
    assert.equal(h.logs.filter((l) => l.reason === 'invalid_topic' && l.clientId === 'intruder').length, 2)
  })

  test('refuses a payload larger than maxPayloadBytes, counting bytes rather than characters', async () => {
    const h = setUp({ maxPayloadBytes: 10 })
    assert.equal(await h.authorizeNow(client('c'), packet('a/b', '0123456789')), null, '10 bytes pass')
    const err = await h.authorizeNow(client('c'), packet('a/b', 'ääääää'))
    assert.match(String(err?.message), /payload of 12 bytes exceeds mqtt.maxPayloadBytes/)
    assert.equal((await h.authorizeNow(client('c'), packet('a/b', Buffer.alloc(11)))) instanceof Error, true)
    assert.equal(await metricValue(h.metrics, 'uns_mqtt_rejected_total', { reason: 'payload_too_large' }), 2)
    assert.equal(h.seen.length, 1, 'only the publish that fits is handed on')
  })

  test('hands the hook one inbound message with the payload as bytes and the sender’s client id', async () => {
    const h = setUp()
    await h.authorizeNow(client('plc-7'), packet('acme/line/temp', '21.5', 0, true))
    await h.authorizeNow(null, packet('acme/line/will', ''))
    assert.deepEqual(h.seen, [
      { topic: 'acme/line/temp', payload: Buffer.from('21.5'), qos: 0, retain: true, clientId: 'plc-7' },
      { topic: 'acme/line/will', payload: Buffer.alloc(0), qos: 1, retain: false, clientId: '' },
    ])
    assert.equal(await metricValue(h.metrics, 'uns_mqtt_publishes_total', { qos: 0 }), 1)
    assert.equal(await metricValue(h.metrics, 'uns_mqtt_publishes_total', { qos: 1 }), 1)
  })

  test('accepts every publish that passes the checks while no publish hook is added', async () => {
    const h = setUp()
    h.removeHook()
    assert.equal(await h.authorizeNow(client('c'), packet('a/b')), null)
    assert.equal(await metricValue(h.metrics, 'uns_mqtt_publishes_total', { qos: 1 }), 0)
  })

  test('holds done until the hook’s ack resolves', async () => {
    const h = setUp()
    const ack = deferred()
    h.setOutcome({ ack: ack.promise, republish: [] })
    let result: Error | null | undefined
    h.authorize(client('c'), packet('a/b'), (err) => (result = err ?? null))
    await settle()
    assert.equal(result, undefined, 'no PUBACK before Kafka acknowledged')
    ack.resolve()
    await settle()
    assert.equal(result, null)
    assert.equal(await metricValue(h.metrics, 'uns_mqtt_puback_delay_seconds_count'), 1)
  })

  test('passes a rejected ack’s error to done', async () => {
    const h = setUp()
    const ack = deferred()
    h.setOutcome({ ack: ack.promise, republish: [out('derived/1')] })
    const p = packet('a/b')
    const result = h.authorizeNow(client('c'), p)
    const err = new Error('Kafka unreachable')
    ack.reject(err)
    assert.equal(await result, err)
    // The original was refused: what it would have produced is never published.
    await h.publishedNow(p)
    await settle()
    assert.equal(h.published.length, 0)
  })
})

describe('published', () => {
  test('publishes the republishes only for the same packet object, one after the other, in order', async () => {
    const h = setUp()
    h.setOutcome({ republish: [out('derived/1'), out('derived/2')] })
    const p = packet('a/b')
    assert.equal(await h.authorizeNow(client('c'), p), null)
    await h.publishedNow({ ...p })
    await settle()
    assert.equal(h.published.length, 0, 'an equal packet is not the original')
    await h.publishedNow(p)
    assert.deepEqual(
      h.published.map((x) => x.message.topic),
      ['derived/1'],
    )
    await settle()
    assert.equal(h.published.length, 1, 'the second waits for the first')
    h.published[0]?.done.resolve()
    await settle()
    assert.deepEqual(
      h.published.map((x) => x.message.topic),
      ['derived/1', 'derived/2'],
    )
    h.published[1]?.done.resolve()
    // Only once per original.
    await h.publishedNow(p)
    await settle()
    assert.equal(h.published.length, 2)
  })

  test('never republishes for a packet that was refused', async () => {
    const h = setUp()
    h.setOutcome({ republish: [out('derived/1')] })
    const p = packet('$SYS/x')
    assert.ok((await h.authorizeNow(client('c'), p)) instanceof Error)
    await h.publishedNow(p)
    await settle()
    assert.equal(h.published.length, 0)
  })

  test('a failed republish is logged and the next one still goes out', async () => {
    const h = setUp()
    h.setOutcome({ republish: [out('derived/1'), out('derived/2')] })
    const p = packet('a/b')
    await h.authorizeNow(client('c'), p)
    await h.publishedNow(p)
    h.published[0]?.done.reject(new Error('broker closing'))
    await settle()
    assert.equal(h.published[1]?.message.topic, 'derived/2')
    h.published[1]?.done.resolve()
    const warned = h.logs.find((l) => l.msg === 'republish failed')
    assert.equal(warned?.topic, 'derived/1')
  })
})

describe('authorizeForward', () => {
  const forward = authorizeForwardHook()

  test('hands on a topic outside $ as it is', () => {
    const d = delivery('acme/line/temp')
    assert.equal(forward(client('c', ['#']), d), d)
  })

  test('drops a $ topic for a client whose only filter is #, and keeps it for $sparkplug/#', () => {
    const d = delivery('$sparkplug/certificates/spBv1.0/G/NBIRTH/E', true)
    assert.equal(forward(client('all', ['#']), d), null, '[MQTT-4.7.2-1] # does not match $ topics')
    assert.equal(forward(client('plus', ['+/certificates/#']), d), null, 'nor does a leading +')
    assert.equal(forward(client('sys', ['$SYS/#']), d), null, 'another $ filter does not match')
    assert.equal(forward(client('spb', ['#', '$sparkplug/#']), d), d)
  })

  test('turns a live birth certificate delivery into a retained one', () => {
    const live = delivery('$sparkplug/certificates/spBv1.0/G/DBIRTH/E/D', false)
    const got = forward(client('spb', ['$sparkplug/certificates/#']), live)
    assert.deepEqual(got, { ...live, retain: true })
    assert.equal(live.retain, false, 'the packet shared with other subscribers is not changed')
    // Other $sparkplug topics keep their flag.
    const other = delivery('$sparkplug/other/x', false)
    assert.equal(forward(client('spb', ['$sparkplug/#']), other), other)
  })
})

describe('stored Wills (another instance’s, from Redis)', () => {
  // aedes would publish them at once; one that overtakes a retained one is dropped for its subscribers.
  test('are authorized one at a time: the next after the previous was handed to subscribers or refused', async () => {
    const turns = createWillTurns(60_000)
    const started: string[] = []
    const state = { topic: 'spBv1.0/STATE/host-a' }
    const plc = { topic: 'acme/berlin/wills/plc-1' }
    const forged = { topic: 'acme/munich/wills/plc-2' }
    turns.take(state, () => started.push('state'))
    turns.take(plc, (release) => {
      started.push('plc')
      release() // refused: its turn ends at once
    })
    turns.take(forged, () => started.push('forged'))
    await settle()
    assert.deepEqual(started, ['state'], 'the second waits for the first')
    turns.published(state)
    await settle()
    assert.deepEqual(started, ['state', 'plc', 'forged'])
  })

  test('a Will that never reaches `published` holds the next one no longer than the bound', async () => {
    const turns = createWillTurns(20)
    const started: string[] = []
    turns.take({}, () => started.push('lost'))
    turns.take({}, () => started.push('next'))
    await settle()
    assert.deepEqual(started, ['lost'])
    await new Promise((r) => setTimeout(r, 60))
    assert.deepEqual(started, ['lost', 'next'])
  })
})
