// External-broker mode against an independent broker (Debian's mosquitto): the PUBACK waits for the
// hook's ack (Kafka in the service), a failed ack gets the message redelivered, and what the service
// republishes is not ingested again.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import mqtt from 'mqtt'
import pino from 'pino'
import { connectExternalBroker, type ExternalBroker } from '../../src/broker/external.js'
import { createMetrics } from '../../src/metrics.js'
import type { PublishOutcome } from '../../src/broker/index.js'
import type { InboundMessage } from '../../src/uns/index.js'
import { startMosquitto, type TestMosquitto } from '../helpers/mosquitto.js'

const wait = async <T>(f: () => T | undefined, ms = 10000): Promise<T> => {
  const end = Date.now() + ms
  for (;;) {
    const v = f()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('external broker session', () => {
  let broker: TestMosquitto
  let ext: ExternalBroker
  const seen: InboundMessage[] = []
  let next: (m: InboundMessage) => PublishOutcome = () => ({ republish: [] })

  before(async () => {
    broker = await startMosquitto()
    ext = await connectExternalBroker(
      {
        logger: pino({ level: 'silent' }),
        metrics: createMetrics(),
        onPublish: () => (m) => {
          seen.push(m)
          return next(m)
        },
      },
      {
        url: broker.url,
        clientId: 'uns-ingest',
        subscriptions: ['acme/#'],
        sessionExpirySeconds: 600,
        receiveMaximum: 10,
        republish: true,
        sparkplug: true,
        instanceId: 'i1',
        reconnectPeriodMs: 100,
      },
    )
    await wait(() =>
      broker.packets().some((p) => p.clientId === 'uns-ingest' && p.type === 'SUBACK') ? true : undefined,
    )
  })
  after(async () => {
    await ext?.close()
    await broker?.close()
  })

  const pubacksTo = () =>
    broker
      .packets()
      .filter((p) => p.clientId === 'uns-ingest' && p.type === 'PUBACK' && p.direction === 'received')

  it('sends the PUBACK only once the ack settled', async () => {
    let settle!: () => void
    next = () => ({ ack: new Promise<void>((r) => (settle = r)), republish: [] })
    const before = pubacksTo().length
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'dev-1' })
    await pub.publishAsync('acme/line1/temp', '{"value":1}', { qos: 1 })
    await wait(() => seen.find((m) => m.topic === 'acme/line1/temp'))
    await new Promise((r) => setTimeout(r, 300))
    assert.equal(pubacksTo().length, before, 'PUBACK sent before the ack settled')
    settle()
    await wait(() => (pubacksTo().length > before ? true : undefined))
    await pub.endAsync()
  })

  it('keeps several messages in flight and sends their PUBACKs in the order they came [MQTT-4.6.0-2]', async () => {
    const settle = new Map<string, () => void>()
    next = (m) =>
      m.topic.startsWith('acme/order/')
        ? { ack: new Promise<void>((r) => settle.set(m.topic, r)), republish: [] }
        : { republish: [] }
    const before = pubacksTo().length
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'dev-order' })
    await pub.publishAsync('acme/order/1', 'a', { qos: 1 })
    await pub.publishAsync('acme/order/2', 'b', { qos: 1 })
    // Both reach the hook while the first is still waiting for its ack: two in flight on one session.
    await wait(() => (settle.size === 2 ? true : undefined))
    settle.get('acme/order/2')?.()
    await new Promise((r) => setTimeout(r, 300))
    assert.equal(pubacksTo().length, before, 'no PUBACK for the 2nd before the 1st')
    settle.get('acme/order/1')?.()
    await wait(() => (pubacksTo().length >= before + 2 ? true : undefined))
    const sent = broker
      .packets()
      .filter((p) => p.clientId === 'uns-ingest' && p.type === 'PUBLISH' && p.direction === 'sent')
      .filter((p) => p.topics[0]?.startsWith('acme/order/'))
    assert.deepEqual(
      sent.map((p) => p.topics[0]),
      ['acme/order/1', 'acme/order/2'],
    )
    await pub.endAsync()
  })

  it('has at most receiveMaximum (10) messages waiting for their ack; the rest come as acks settle', async () => {
    const settle: (() => void)[] = []
    next = (m) =>
      m.topic.startsWith('acme/bound/')
        ? { ack: new Promise<void>((r) => settle.push(r)), republish: [] }
        : { republish: [] }
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'dev-bound' })
    await Promise.all(
      Array.from({ length: 15 }, (_, i) => pub.publishAsync(`acme/bound/${i}`, String(i), { qos: 1 })),
    )
    const bound = () => seen.filter((m) => m.topic.startsWith('acme/bound/')).length
    await wait(() => (bound() >= 10 ? true : undefined))
    await new Promise((r) => setTimeout(r, 500))
    assert.equal(bound(), 10, 'the 11th is held back while 10 wait for Kafka')
    for (const s of settle.splice(0)) s()
    await wait(() => (bound() === 15 ? true : undefined))
    for (const s of settle.splice(0)) s()
    await pub.endAsync()
  })

  it('ingests QoS 0 messages (Sparkplug edges publish DATA at QoS 0 [tck-id-payloads-ndata-qos])', async () => {
    next = () => ({ republish: [] })
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'dev-qos0' })
    await pub.publishAsync('acme/line1/qos0', 'q0', { qos: 0 })
    const m = await wait(() => seen.find((x) => x.topic === 'acme/line1/qos0'))
    assert.equal(m.qos, 0)
    await pub.endAsync()
  })

  it('gets the message again when the ack fails', async () => {
    let calls = 0
    next = (m) => {
      if (m.topic !== 'acme/line1/fail') return { republish: [] }
      calls++
      return { ack: calls === 1 ? Promise.reject(new Error('kafka down')) : Promise.resolve(), republish: [] }
    }
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'dev-2' })
    await pub.publishAsync('acme/line1/fail', 'x', { qos: 1 })
    await wait(() => (calls >= 2 ? true : undefined))
    assert.equal(seen.filter((m) => m.topic === 'acme/line1/fail').length, 2)
    await pub.endAsync()
  })

  it('publishes derived values retained and does not ingest them again', async () => {
    next = (m) =>
      m.topic === 'acme/line1/src'
        ? {
            republish: [
              { topic: 'acme/line1/derived', payload: Buffer.from('{"v":2}'), qos: 1, retain: true },
            ],
          }
        : { republish: [] }
    const pub = await mqtt.connectAsync(broker.url, { clientId: 'dev-3' })
    await pub.publishAsync('acme/line1/src', 'x', { qos: 1 })
    // An outside subscriber gets it, retained.
    const sub = await mqtt.connectAsync(broker.url, { clientId: 'reader' })
    const got = new Promise<mqtt.IPublishPacket>((r) => sub.on('message', (_t, _p, packet) => r(packet)))
    await sub.subscribeAsync('acme/line1/derived', { qos: 1 })
    assert.equal((await got).retain, true)
    await new Promise((r) => setTimeout(r, 300))
    assert.deepEqual(
      seen.filter((m) => m.topic === 'acme/line1/derived'),
      [],
    )
    await pub.endAsync()
    await sub.endAsync()
  })
})
