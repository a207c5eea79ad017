// Malformed MQTT over raw TCP sockets against a running service (issue 11): the broker closes THAT
// connection (MQTT 3.1.1 has no other way to refuse a PUBLISH) and keeps serving a well-behaved client
// connected at the same time, which still publishes and receives. The UTF-8, U+0000 and `$` cases rely on
// src/broker/topic-check.ts in the broker hooks (authorizePublish, authorizeSubscribe, preConnect):
// mqtt-packet decodes topics with toString('utf8') and aedes does not look at them (mqttjs/mqtt-packet#59).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { connect, type Socket } from 'node:net'
import type { MqttClient } from 'mqtt'
import { eventually, startService, type TestService } from '../helpers/service.js'
import { packet, str, u16 } from './mqtt-wire.js'

/** CONNECT, MQTT 3.1.1, clean session, keepalive 30 s; optionally with a will. */
function connectPacket(clientId: string | Buffer, will?: { topic: Buffer; payload: Buffer }): Buffer {
  const flags = 0x02 | (will === undefined ? 0 : 0x04)
  const body = [str('MQTT'), Buffer.from([4, flags]), u16(30), str(clientId)]
  if (will !== undefined) body.push(str(will.topic), str(will.payload))
  return packet(0x10, Buffer.concat(body))
}
const publishPacket = (topic: Buffer, payload = Buffer.from('x'), first = 0x30) =>
  packet(first, Buffer.concat([str(topic), payload]))
const subscribePacket = (filter: Buffer, first = 0x82) =>
  packet(first, Buffer.concat([u16(1), str(filter), Buffer.from([0])]))

/** A raw TCP connection to the broker that records what it receives and when it is closed. */
class RawClient {
  readonly received: Buffer[] = []
  private readonly socket: Socket
  private readonly closedAt: Promise<void>
  isClosed = false

  constructor(port: number) {
    this.socket = connect(port, '127.0.0.1')
    this.socket.on('data', (d) => this.received.push(d))
    this.socket.on('error', () => {}) // a reset by the broker is an expected outcome
    this.closedAt = new Promise((resolve) =>
      this.socket.on('close', () => {
        this.isClosed = true
        resolve()
      }),
    )
  }

  async ready(): Promise<void> {
    if (this.socket.connecting) await new Promise((r) => this.socket.once('connect', r))
  }

  send(bytes: Buffer): void {
    this.socket.write(bytes)
  }

  /** CONNECT and wait for CONNACK (accepted). */
  async handshake(clientId = `raw-${Math.random()}`): Promise<void> {
    await this.ready()
    this.send(connectPacket(clientId))
    await eventually(() =>
      Buffer.concat(this.received).subarray(0, 4).equals(CONNACK_OK) ? true : undefined,
    )
  }

  /** True when the broker closed the connection within `ms`. */
  async closedWithin(ms = 3000): Promise<boolean> {
    let timer: NodeJS.Timeout | undefined
    const timeout = new Promise<boolean>((r) => (timer = setTimeout(() => r(false), ms)))
    const closed = await Promise.race([this.closedAt.then(() => true), timeout])
    clearTimeout(timer)
    return closed
  }

  destroy(): void {
    this.socket.destroy()
  }
}
const CONNACK_OK = Buffer.from([0x20, 0x02, 0x00, 0x00])
const SUBACK = 0x90

describe('malformed MQTT over raw sockets', () => {
  let svc: TestService
  let good: MqttClient
  const seen: { topic: string; payload: string }[] = []
  const raws: RawClient[] = []
  let round = 0

  const raw = async (): Promise<RawClient> => {
    const r = new RawClient(svc.service.mqttPort)
    raws.push(r)
    await r.ready()
    return r
  }
  const rejected = async (): Promise<number> =>
    (await svc.service.metrics.mqttRejected.get()).values.reduce((n, v) => n + v.value, 0)

  /** The well-behaved client is still connected, and still publishes and receives. */
  async function goodClientStillServed(): Promise<void> {
    assert.equal(good.connected, true, 'the well-behaved client stays connected')
    const topic = `probe/alive/${++round}`
    await good.publishAsync(topic, 'ok', { qos: 1 })
    await eventually(() => (seen.some((m) => m.topic === topic) ? true : undefined))
  }
  const delivered = (pred: (topic: string) => boolean) => seen.filter((m) => pred(m.topic))

  before(async () => {
    svc = await startService({ UNS_NAMESPACE_DIR: 'test/fixtures/sparkplug/namespace' })
    good = await svc.connect('well-behaved')
    good.on('message', (topic, payload) => seen.push({ topic, payload: payload.toString() }))
    await good.subscribeAsync(['probe/#', '$foo/#'], { qos: 1 })
    await goodClientStillServed()
  })
  after(async () => {
    for (const r of raws) r.destroy()
    await svc.close()
  })

  it('closes a connection whose remaining length has a fifth byte (malformed variable byte integer)', async () => {
    const r = await raw()
    await r.handshake()
    r.send(Buffer.from([0x30, 0xff, 0xff, 0xff, 0xff, 0x7f]))
    assert.equal(await r.closedWithin(), true)
    await goodClientStillServed()
  })

  it('closes a connection whose remaining length is shorter than the topic it announces', async () => {
    const r = await raw()
    await r.handshake()
    r.send(Buffer.from([0x30, 0x04, 0x00, 0x09, 0x70, 0x72])) // topic length 9, 2 bytes left
    assert.equal(await r.closedWithin(), true)
    await goodClientStillServed()
    assert.deepEqual(
      delivered((t) => !t.startsWith('probe/alive/')),
      [],
    )
  })

  it('closes a connection that sends reserved header flag bits [MQTT-2.2.2-2]', async () => {
    // SUBSCRIBE must carry flags 0010; PUBLISH must not have both QoS bits set; CONNECT's reserved bit is 0.
    const cases = [
      subscribePacket(Buffer.from('probe/#'), 0x80),
      publishPacket(Buffer.from('probe/qos3'), Buffer.from('x'), 0x36),
    ]
    for (const bytes of cases) {
      const r = await raw()
      await r.handshake()
      r.send(bytes)
      assert.equal(await r.closedWithin(), true, bytes.toString('hex'))
    }
    const r = await raw()
    r.send(packet(0x10, Buffer.concat([str('MQTT'), Buffer.from([4, 0x03]), u16(30), str('reserved-bit')])))
    assert.equal(await r.closedWithin(), true, 'CONNECT with the reserved flag set [MQTT-3.1.2-3]')
    assert.equal(
      r.received.length === 0 || !Buffer.concat(r.received).subarray(0, 4).equals(CONNACK_OK),
      true,
    )
    await goodClientStillServed()
    assert.deepEqual(
      delivered((t) => t === 'probe/qos3'),
      [],
    )
  })

  it('closes a connection that sends PUBLISH before CONNECT, without delivering it [MQTT-3.1.0-1]', async () => {
    const r = await raw()
    r.send(publishPacket(Buffer.from('probe/early')))
    assert.equal(await r.closedWithin(), true)
    await goodClientStillServed()
    assert.deepEqual(
      delivered((t) => t === 'probe/early'),
      [],
    )
  })

  it('closes a connection that sends a second CONNECT [MQTT-3.1.0-2]', async () => {
    const r = await raw()
    await r.handshake()
    r.send(connectPacket('again'))
    assert.equal(await r.closedWithin(), true)
    await goodClientStillServed()
  })

  it('closes a connection that publishes to a topic with ill-formed UTF-8 and delivers nothing [MQTT-1.5.3-1]', async () => {
    const before = await rejected()
    const r = await raw()
    await r.handshake()
    r.send(publishPacket(Buffer.concat([Buffer.from('probe/bad-utf8/'), Buffer.from([0xff, 0xfe])])))
    assert.equal(await r.closedWithin(), true, 'the connection is closed')
    await goodClientStillServed()
    assert.deepEqual(
      delivered((t) => t.startsWith('probe/bad-utf8')),
      [],
      'not delivered (today: with U+FFFD)',
    )
    assert.equal(await rejected(), before + 1, 'counted once')
  })

  it('closes a connection that publishes to a topic containing U+0000 and delivers nothing [MQTT-1.5.3-2]', async () => {
    const before = await rejected()
    const r = await raw()
    await r.handshake()
    r.send(publishPacket(Buffer.from('probe/nul\u0000here')))
    assert.equal(await r.closedWithin(), true, 'the connection is closed')
    await goodClientStillServed()
    assert.deepEqual(
      delivered((t) => t.startsWith('probe/nul')),
      [],
      'not delivered (today: delivered raw)',
    )
    assert.equal(await rejected(), before + 1, 'counted once')
  })

  it('refuses a client publish to a $ topic other than $SYS/ and $sparkplug/ [MQTT-4.7.2-1]', async () => {
    const before = await rejected()
    const r = await raw()
    await r.handshake()
    r.send(publishPacket(Buffer.from('$foo/bar')))
    assert.equal(await r.closedWithin(), true, 'the connection is closed (3.1.1 cannot refuse otherwise)')
    await goodClientStillServed()
    assert.deepEqual(
      delivered((t) => t.startsWith('$foo')),
      [],
      'not delivered to an explicit $foo/# subscriber',
    )
    assert.equal(await rejected(), before + 1, 'counted once')
  })

  it('refuses client publishes to $SYS/ and $sparkplug/ as before', async () => {
    for (const topic of ['$SYS/fake', '$sparkplug/certificates/spBv1.0/G/NBIRTH/E']) {
      const r = await raw()
      await r.handshake()
      r.send(publishPacket(Buffer.from(topic)))
      assert.equal(await r.closedWithin(), true, topic)
    }
    await goodClientStillServed()
  })

  it('closes a connection that subscribes to a filter containing U+0000, without a SUBACK [MQTT-4.7.3-2]', async () => {
    const r = await raw()
    await r.handshake()
    const before = Buffer.concat(r.received).length
    r.send(subscribePacket(Buffer.from('probe/\u0000/#')))
    assert.equal(await r.closedWithin(), true, 'the connection is closed')
    assert.equal(Buffer.concat(r.received).subarray(before).includes(SUBACK), false, 'no SUBACK')
    await goodClientStillServed()
  })

  it('refuses a CONNECT whose will topic contains U+0000 or ill-formed UTF-8 [MQTT-1.5.3-1, MQTT-1.5.3-2]', async () => {
    for (const topic of [Buffer.from('probe/will\u0000'), Buffer.from([0x70, 0x2f, 0xc0, 0xaf])]) {
      const r = await raw()
      r.send(connectPacket(`will-${Math.random()}`, { topic, payload: Buffer.from('gone') }))
      assert.equal(await r.closedWithin(), true, topic.toString('hex'))
      assert.equal(Buffer.concat(r.received).subarray(0, 4).equals(CONNACK_OK), false, 'not accepted')
    }
    await goodClientStillServed()
  })
})
