// Records as one transferable buffer, for the producer thread (decision 0063): postMessage would clone
// every Buffer with the whole 8 KiB pool slab under it, so the main thread writes each record's strings
// and bytes once into one ArrayBuffer it hands over (no copy), and the worker reads them back as views.
//
// Layout, little endian: u32 count, then per record: topic (u16 length + UTF-8), key (i32 length, -1 for
// null, + UTF-8), value (i32 length, -1 for null, + bytes), u16 header count, per header name (u16 +
// UTF-8) and value (u32 + UTF-8).
import type { KafkaRecord } from './kafka-client.js'

const NULL = -1

function packedSize(records: readonly KafkaRecord[]): number {
  let n = 4
  for (const r of records) {
    n += 2 + Buffer.byteLength(r.topic) + 4 + (r.key === null ? 0 : Buffer.byteLength(r.key))
    n += 4 + (r.value?.length ?? 0) + 2
    for (const name in r.headers)
      n += 2 + Buffer.byteLength(name) + 4 + Buffer.byteLength(r.headers[name] ?? '')
  }
  return n
}

/** The records in a buffer that owns its ArrayBuffer whole (so it can be transferred). */
export function packRecords(records: readonly KafkaRecord[]): Buffer {
  const buf = Buffer.from(new ArrayBuffer(packedSize(records)))
  let at = buf.writeUInt32LE(records.length, 0)
  const text = (s: string, lengthBytes: 2 | 4): void => {
    const len = buf.write(s, at + lengthBytes)
    if (lengthBytes === 2) buf.writeUInt16LE(len, at)
    else buf.writeInt32LE(len, at)
    at += lengthBytes + len
  }
  for (const r of records) {
    text(r.topic, 2)
    if (r.key === null) at = buf.writeInt32LE(NULL, at)
    else text(r.key, 4)
    if (r.value === null) at = buf.writeInt32LE(NULL, at)
    else {
      at = buf.writeInt32LE(r.value.length, at)
      at += r.value.copy(buf, at)
    }
    const countAt = at
    let headers = 0
    at += 2
    for (const name in r.headers) {
      text(name, 2)
      text(r.headers[name] ?? '', 4)
      headers++
    }
    buf.writeUInt16LE(headers, countAt)
  }
  return buf
}

/** The records of `packRecords`; values are views of `buf`, not copies. */
export function unpackRecords(buf: Buffer): KafkaRecord[] {
  const count = buf.readUInt32LE(0)
  let at = 4
  const text = (lengthBytes: 2 | 4): string => {
    const len = lengthBytes === 2 ? buf.readUInt16LE(at) : buf.readInt32LE(at)
    at += lengthBytes
    const s = buf.toString('utf8', at, at + len)
    at += len
    return s
  }
  const records: KafkaRecord[] = new Array<KafkaRecord>(count)
  for (let i = 0; i < count; i++) {
    const topic = text(2)
    let key: string | null = null
    if (buf.readInt32LE(at) === NULL) at += 4
    else key = text(4)
    let value: Buffer | null = null
    const valueLength = buf.readInt32LE(at)
    at += 4
    if (valueLength !== NULL) {
      value = buf.subarray(at, at + valueLength)
      at += valueLength
    }
    const headerCount = buf.readUInt16LE(at)
    at += 2
    const headers: Record<string, string> = {}
    for (let h = 0; h < headerCount; h++) {
      const name = text(2)
      headers[name] = text(4)
    }
    records[i] = { topic, key, value, headers }
  }
  return records
}
