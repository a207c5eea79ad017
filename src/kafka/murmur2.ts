// The key hash of Kafka's Java client DefaultPartitioner (Utils.murmur2), which kafkajs 2.x's default
// partitioner reproduces: a keyed record goes to toPositive(murmur2(key)) % partitions. Computing it
// lets a history read fetch the one partition that holds a key instead of scanning them all.

const SEED = 0x9747b28c
const M = 0x5bd1e995

/** Java's `Utils.murmur2(byte[])`, in 32-bit two's complement like the JVM. */
export function murmur2(data: Uint8Array): number {
  const length = data.length
  let h = SEED ^ length
  const length4 = length >>> 2
  for (let i = 0; i < length4; i++) {
    const i4 = i * 4
    let k =
      (data[i4] as number) |
      ((data[i4 + 1] as number) << 8) |
      ((data[i4 + 2] as number) << 16) |
      ((data[i4 + 3] as number) << 24)
    k = Math.imul(k, M)
    k ^= k >>> 24
    k = Math.imul(k, M)
    h = Math.imul(h, M) ^ k
  }
  // Java's switch on length % 4 falls through from 3 to 1.
  const tail = length & ~3
  const rest = length & 3
  if (rest === 3) h ^= (data[tail + 2] as number) << 16
  if (rest >= 2) h ^= (data[tail + 1] as number) << 8
  if (rest >= 1) h = Math.imul(h ^ (data[tail] as number), M)
  h ^= h >>> 13
  h = Math.imul(h, M)
  h ^= h >>> 15
  return h | 0
}

/** The partition the Java DefaultPartitioner (and kafkajs's) picks for a non-null key. */
export function keyPartition(key: string, partitions: number): number {
  return (murmur2(Buffer.from(key, 'utf8')) & 0x7fffffff) % partitions
}
