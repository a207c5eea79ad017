// MQTT 3.1.1 packets as bytes, for tests that open thousands of connections or flood one: a raw socket
// costs a fraction of an mqtt.js client, so the test measures the service, not its own clients.
import { connect, type Socket } from 'node:net'

/** A two-byte big-endian integer. */
export const u16 = (n: number): Buffer => Buffer.from([n >> 8, n & 0xff])

/** [MQTT-1.5.3] a length-prefixed string; bytes are sent as given (ill-formed UTF-8 included). */
export const str = (s: string | Buffer): Buffer => {
  const b = typeof s === 'string' ? Buffer.from(s, 'utf8') : s
  return Buffer.concat([u16(b.length), b])
}

/** [MQTT-2.2.3] the remaining length as a variable byte integer. */
const remainingLength = (n: number): Buffer => {
  const out: number[] = []
  do {
    let byte = n % 128
    n = Math.floor(n / 128)
    if (n > 0) byte |= 0x80
    out.push(byte)
  } while (n > 0)
  return Buffer.from(out)
}

export const packet = (header: number, body: Buffer): Buffer =>
  Buffer.concat([Buffer.from([header]), remainingLength(body.length), body])

/** CONNECT, clean session, no keepalive (the test holds the connection as long as it likes). */
export function connectPacket(clientId: string, username?: string, password?: string): Buffer {
  const flags = 0x02 | (username === undefined ? 0 : 0x80) | (password === undefined ? 0 : 0x40)
  const variable = Buffer.concat([str('MQTT'), Buffer.from([4, flags, 0, 0])])
  const payload = [str(clientId)]
  if (username !== undefined) payload.push(str(username))
  if (password !== undefined) payload.push(str(password))
  return packet(0x10, Buffer.concat([variable, ...payload]))
}

/** PUBLISH QoS 0. */
export function publishPacket(topic: string, payload: string): Buffer {
  return packet(0x30, Buffer.concat([str(topic), Buffer.from(payload)]))
}

/** PUBLISH QoS 1 with packet id `id`. */
export function qos1Packet(topic: string, payload: string, id: number): Buffer {
  const pid = Buffer.alloc(2)
  pid.writeUInt16BE(id)
  return packet(0x32, Buffer.concat([str(topic), pid, Buffer.from(payload)]))
}

/** SUBSCRIBE with packet id `id` for one filter at QoS 0. */
export function subscribePacket(id: number, filter: string): Buffer {
  const pid = Buffer.alloc(2)
  pid.writeUInt16BE(id)
  return packet(0x82, Buffer.concat([pid, str(filter), Buffer.from([0])]))
}

export interface RawClient {
  readonly socket: Socket
  /** The CONNACK return code, or 'closed' when the connection ended before one arrived. */
  readonly connack: Promise<number | 'closed'>
  /** Resolves when the connection is closed (by either side). */
  readonly closed: Promise<void>
}

/** Opens a TCP connection and writes `first` (a CONNECT, maybe followed by more packets). */
export function rawClient(port: number, first: Buffer): RawClient {
  const socket = connect({ host: '127.0.0.1', port })
  socket.on('error', () => {})
  socket.write(first)
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()))
  const connack = new Promise<number | 'closed'>((resolve) => {
    let seen = Buffer.alloc(0)
    const onData = (chunk: Buffer) => {
      seen = Buffer.concat([seen, chunk])
      // CONNACK: 0x20 0x02 <session present> <return code> [MQTT-3.2]
      if (seen.length >= 4) {
        socket.off('data', onData)
        resolve(seen[0] === 0x20 ? (seen[3] as number) : -1)
      }
    }
    socket.on('data', onData)
    void closed.then(() => resolve('closed'))
  })
  return { socket, connack, closed }
}
