// KafkaRecord -> @platformatic/kafka message: bytes for key and headers, and the partition of a key
// computed as the Java client (and kafkajs's DefaultPartitioner) does, so that a key stays on its
// partition whichever client wrote it. That matters for compacted topics: a key that moved partition
// would leave its old value behind, and a restore could read it after the new one.
import type { MessageToProduce } from '@platformatic/kafka'
import type { KafkaRecord } from './kafka-client.js'
import { murmur2 } from './murmur2.js'

/** Kafka's murmur2 made positive (toPositive), as the Java DefaultPartitioner hashes a key. */
export const javaPartitionHash = (data: Buffer): number => murmur2(data) & 0x7fffffff

/**
 * Bytes of strings that repeat from record to record (header names and values, keys: a UNS path is
 * written again with every value), made once and kept in slabs of this cache's own, so that a kept
 * entry never pins a slab of Node's shared Buffer pool. When full, the cache starts afresh.
 * Saves one Buffer per key and per header of each record (bench/README.md "Kafka clients").
 */
export function createBytesCache(maxEntries: number, slabBytes = 64 * 1024): (s: string) => Buffer {
  let entries = new Map<string, Buffer>()
  let slab = Buffer.allocUnsafeSlow(slabBytes)
  let used = 0
  return (s) => {
    const hit = entries.get(s)
    if (hit !== undefined) return hit
    // Long strings are not worth a slab's room; UTF-8 takes at most 3 bytes per UTF-16 unit here.
    if (s.length * 3 > slabBytes / 16) return Buffer.from(s)
    if (entries.size >= maxEntries) entries = new Map()
    if (used + s.length * 3 > slab.length) {
      slab = Buffer.allocUnsafeSlow(slabBytes)
      used = 0
    }
    const n = slab.write(s, used)
    const bytes = slab.subarray(used, used + n)
    used += n
    entries.set(s, bytes)
    return bytes
  }
}

/** `maxCached`: distinct keys and header values whose bytes are kept (about 100 bytes each). */
export function createRecordEncoder(
  maxCached = 50_000,
): (r: KafkaRecord) => MessageToProduce<Buffer, Buffer, Buffer, Buffer> {
  const bytes = createBytesCache(maxCached)
  return (r) => {
    const headers = new Map<Buffer, Buffer>()
    for (const name in r.headers) headers.set(bytes(name), bytes(r.headers[name] as string))
    const message: MessageToProduce<Buffer, Buffer, Buffer, Buffer> = { topic: r.topic, headers }
    if (r.value !== null) message.value = r.value
    if (r.key !== null) {
      const key = bytes(r.key)
      message.key = key
      // The library takes this modulo the partition count, as the Java client does with the hash.
      message.partition = javaPartitionHash(key)
    }
    return message
  }
}
