// The host application's MQTT session against a bare aedes broker over in-memory streams: the will it
// registers, what the broker publishes when the session dies without DISCONNECT, and the reconnect.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import type { Duplex } from 'node:stream'
import { Aedes, type PublishPacket } from 'aedes'
import { createSparkplugHost } from '../../src/sparkplug/index.js'
import { duplexPair } from '../../src/sparkplug/host-client.js'
import { createHostClient, type HostClient } from '../../src/sparkplug/host-client.js'
import type { HostOutcome } from '../../src/sparkplug/host-types.js'

const quiet = { info() {}, warn() {} }
const wait = async <T>(f: () => T | undefined, ms = 3000): Promise<T> => {
  const end = Date.now() + ms
  for (;;) {
    const v = f()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 10))
  }
}

describe('host application MQTT session', () => {
  let broker: Aedes
  const published: PublishPacket[] = []
  /** 'subscribe <filters>' and 'publish <topic>' of the host's session, in the broker's order. */
  const order: string[] = []
  const streams: Duplex[] = []
  const outcomes: HostOutcome[] = []
  let client: HostClient
  let clock = 1_700_000_000_000

  before(async () => {
    broker = await Aedes.createBroker()
    broker.on('publish', (packet, c) => {
      if (packet.topic.startsWith('spBv1.0/')) published.push(packet)
      if (c?.id === 'h1-host') order.push(`publish ${packet.topic}`)
    })
    broker.on('subscribe', (subs, c) => {
      if (c.id === 'h1-host') order.push(`subscribe ${subs.map((x) => x.topic).join(' ')}`)
    })
    const host = createSparkplugHost(
      { clock: { now: () => clock, setTimeout, clearTimeout }, hostId: 'h1' },
      { reorderTimeoutMs: 100, rebirthMinIntervalMs: 1000 },
    )
    client = await createHostClient(
      {
        serveStream: (s) => {
          streams.push(s)
          broker.handle(s)
        },
        host,
        logger: quiet,
        onOutcome: (o) => outcomes.push(o),
        now: () => clock,
      },
      { hostId: 'h1', reconnectPeriodMs: 50 },
    )
  })
  after(async () => {
    await client.close()
    await new Promise<void>((r) => broker.close(() => r()))
  })

  it('publishes the STATE birth retained with QoS 1 and the timestamp of its will', async () => {
    const birth = await wait(() => published.find((p) => p.topic === 'spBv1.0/STATE/h1'))
    assert.equal(birth.qos, 1)
    assert.equal(birth.retain, true)
    assert.deepEqual(JSON.parse(birth.payload.toString()), { online: true, timestamp: clock })
  })

  it('subscribes to its STATE topic and spBv1.0/# before publishing its STATE birth', async () => {
    // [tck-id-host-topic-phid-birth-sub-required, tck-id-message-flow-phid-sparkplug-subscription,
    // tck-id-payloads-state-subscribe]
    await wait(() => (order.length >= 2 ? true : undefined))
    assert.deepEqual(order.slice(0, 2), ['subscribe spBv1.0/STATE/h1 spBv1.0/#', 'publish spBv1.0/STATE/h1'])
  })

  it('has the broker publish its will (offline, retained, same timestamp) when the stream dies, then reconnects with a new birth', async () => {
    const firstTs = clock
    clock += 5000
    published.length = 0
    // No DISCONNECT: the connection just breaks [tck-id-operational-behavior-host-application-connect-will,
    // -connect-will-payload, -connect-will-qos, -connect-will-retained].
    streams[0]?.destroy()
    const will = await wait(() =>
      published.find((p) => p.topic === 'spBv1.0/STATE/h1' && p.payload.toString().includes('false')),
    )
    assert.equal(will.retain, true)
    assert.equal(will.qos, 1)
    assert.deepEqual(JSON.parse(will.payload.toString()), { online: false, timestamp: firstTs })
    // Losing the server is reported, so the wiring marks everything stale.
    await wait(() => outcomes[0])
    // A fresh CONNECT carries a fresh will; the birth repeats its timestamp
    // [tck-id-host-topic-phid-birth-payload-timestamp].
    const rebirth = await wait(() =>
      published.find((p) => p.topic === 'spBv1.0/STATE/h1' && p.payload.toString().includes('true')),
    )
    assert.deepEqual(JSON.parse(rebirth.payload.toString()), { online: true, timestamp: clock })
    assert.equal(streams.length, 2)
  })

  it('connects two in-memory stream ends both ways', async () => {
    const [a, b] = duplexPair()
    const got: string[] = []
    b.on('data', (c: Buffer) => got.push(c.toString()))
    a.write('ping')
    await wait(() => (got.length > 0 ? true : undefined))
    assert.deepEqual(got, ['ping'])
    a.destroy()
    await wait(() => (b.destroyed ? true : undefined))
  })
})
