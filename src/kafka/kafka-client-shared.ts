// What the Kafka client adapters share, so that they fail, order and split the same way whatever the
// library: which broker errors refuse records for good, the error wrapping, the send queue that keeps
// call order, the split of sends too large for one request, and compression (decision record 0025).
import zlib from 'node:zlib'
import { compressionsAlgorithms } from '@platformatic/kafka'
import {
  KafkaCompressionUnavailable,
  KafkaPartitionNotReady,
  KafkaProduceFailed,
  KafkaRecordRefused,
  type UnsError,
} from '../errors.js'
import type { KafkaRecord } from './kafka-client.js'

export type KafkaCompression = 'none' | 'gzip' | 'lz4' | 'zstd'

/**
 * Kafka protocol errors that refuse the records themselves (spelled as in the protocol, which is how
 * kafkajs `type` and @platformatic/kafka `apiId` name them): sending them again cannot succeed, so
 * they fail instead of blocking every record behind them. Everything else is retried.
 */
const REFUSED_FOR_GOOD = new Set([
  'MESSAGE_TOO_LARGE',
  'RECORD_LIST_TOO_LARGE',
  'INVALID_RECORD',
  'INVALID_TIMESTAMP',
  'INVALID_TOPIC_EXCEPTION',
  'TOPIC_AUTHORIZATION_FAILED',
  'CLUSTER_AUTHORIZATION_FAILED',
  'POLICY_VIOLATION',
  'UNSUPPORTED_COMPRESSION_TYPE',
])
// A bug of ours in encoding records is not fixed by sending them again (STYLE.md: never retried).
const PROGRAMMING_ERRORS = new Set(['TypeError', 'RangeError'])

/**
 * Kafka answered that a partition has no leader yet, or is not known yet (a topic auto-created a
 * moment ago on a broker that has just started), or kafkajs has not loaded its metadata yet: the link
 * is up, so the records are sent again after a pause, without a reconnect.
 */
const PARTITION_NOT_READY = new Set([
  'UNKNOWN_TOPIC_OR_PARTITION',
  'LEADER_NOT_AVAILABLE',
  'NOT_LEADER_OR_FOLLOWER',
  'NOT_LEADER_FOR_PARTITION',
  'KafkaJSMetadataNotLoaded',
])
// Names of errors that say the link itself failed (a socket, a request that timed out).
const LINK_FAILED = '(link failed)'
const LINK_ERRORS = new Set([
  'KafkaJSConnectionError',
  'KafkaJSRequestTimeoutError',
  'KafkaJSConnectionClosedError',
])

/** Kafka error names and programming-error names in an error, its causes and aggregated errors. */
function errorNames(err: unknown, out: Set<string>, depth: number): Set<string> {
  if (depth > 8 || typeof err !== 'object' || err === null) return out
  const e = err as {
    name?: unknown
    code?: unknown
    type?: unknown
    apiId?: unknown
    cause?: unknown
    errors?: unknown
  }
  if (typeof e.type === 'string') out.add(e.type)
  if (typeof e.apiId === 'string') out.add(e.apiId)
  if (typeof e.name === 'string' && PROGRAMMING_ERRORS.has(e.name)) out.add(e.name)
  if (e.name === 'KafkaJSMetadataNotLoaded') out.add(e.name)
  if ((typeof e.name === 'string' && LINK_ERRORS.has(e.name)) || e.code === 'PLT_KFK_NETWORK')
    out.add(LINK_FAILED)
  if (Array.isArray(e.errors)) for (const x of e.errors as unknown[]) errorNames(x, out, depth + 1)
  if (e.cause !== err) errorNames(e.cause, out, depth + 1)
  return out
}

/**
 * The one error a failed `send` rejects with: UNS_ERR_KAFKA_RECORD_REFUSED (`retriable: false`) when
 * Kafka refused the records for good, else UNS_ERR_KAFKA_PRODUCE_FAILED (`retriable: true`). The
 * library's error is the `cause`.
 */
export function toProduceError(err: unknown, records: number): UnsError {
  const found = errorNames(err, new Set(), 0)
  const linkFailed = found.delete(LINK_FAILED)
  const names = [...found]
  const message = err instanceof Error ? err.message : String(err)
  const refused = names.filter((n) => REFUSED_FOR_GOOD.has(n) || PROGRAMMING_ERRORS.has(n))
  if (refused.length > 0) {
    return new KafkaRecordRefused(
      [records, refused.join(', '), message],
      { kafkaErrors: names },
      { cause: err },
    )
  }
  // The buffered producer sends these again after a pause instead of reconnecting (producer.ts).
  if (!linkFailed && names.some((n) => PARTITION_NOT_READY.has(n))) {
    return new KafkaPartitionNotReady(
      [records, names.length > 0 ? `${names.join(', ')}: ${message}` : message],
      { kafkaErrors: names },
      { cause: err },
    )
  }
  return new KafkaProduceFailed(
    [records, names.length > 0 ? `${names.join(', ')}: ${message}` : message],
    { kafkaErrors: names },
    { cause: err },
  )
}

/**
 * Runs sends one after the other, in call order. A send that fails with a retriable error fails every
 * send queued behind it without attempting them, so a caller that sends them again in order keeps
 * per-key order; a send refused for good (`retriable: false`) does not hold the ones behind it.
 * Why one at a time: neither client can keep several produce requests in flight and keep order under
 * retries (kafkajs serialises idempotent requests per broker; @platformatic/kafka 1.34 reuses
 * sequence numbers for overlapping idempotent sends, platformatic/kafka#326). See decision 0025.
 */
export function createSendQueue(): <T>(records: number, job: () => Promise<T>) => Promise<T> {
  let tail: Promise<unknown> = Promise.resolve()
  let failures = 0
  return (records, job) => {
    const seenFailures = failures
    const run = tail.then(async () => {
      if (failures !== seenFailures) {
        throw new KafkaProduceFailed([records, 'an earlier send failed; sent again in order after it'])
      }
      try {
        return await job()
      } catch (err) {
        if ((err as UnsError).retriable !== false) failures++
        throw err
      }
    })
    tail = run.catch(() => {})
    return run
  }
}

// Per-record bytes beyond key, value and headers in a v2 record batch (length, attributes, deltas, counts).
const RECORD_OVERHEAD = 24

const utf8Upper = (s: string): number => s.length * 3
const headersBytes = (h: Readonly<Record<string, string>>, len: (s: string) => number): number => {
  let n = 0
  for (const k in h) n += len(k) + len(h[k] as string) + 2
  return n
}

/**
 * Splits records, in order, into runs whose encoded size stays below `maxBytes`, so that no produce
 * request carries a record batch the broker refuses as a whole for its size (max.message.bytes
 * applies to the batch, not the record). A record larger than `maxBytes` goes alone. The common case,
 * a send well below the limit, is returned as is without measuring every string.
 */
export function splitBySize(records: readonly KafkaRecord[], maxBytes: number): (readonly KafkaRecord[])[] {
  let upper = 0
  for (const r of records) {
    upper += RECORD_OVERHEAD + (r.value?.length ?? 0) + (r.key === null ? 0 : utf8Upper(r.key))
    upper += headersBytes(r.headers, utf8Upper)
    if (upper > maxBytes) break
  }
  if (upper <= maxBytes) return [records]
  const runs: KafkaRecord[][] = []
  let run: KafkaRecord[] = []
  let bytes = 0
  for (const r of records) {
    const size =
      RECORD_OVERHEAD +
      (r.value?.length ?? 0) +
      (r.key === null ? 0 : Buffer.byteLength(r.key)) +
      headersBytes(r.headers, (s) => Buffer.byteLength(s))
    if (run.length > 0 && bytes + size > maxBytes) {
      runs.push(run)
      run = []
      bytes = 0
    }
    run.push(r)
    bytes += size
  }
  if (run.length > 0) runs.push(run)
  return runs
}

/** zstd is in node:zlib from Node 22.15 / 23.8; neither client ships its own (no native code here). */
export const zstdAvailable = (): boolean =>
  typeof (zlib as { zstdCompressSync?: unknown }).zstdCompressSync === 'function'

/** Throws UNS_ERR_KAFKA_COMPRESSION_UNAVAILABLE when `compression` cannot run on this Node. */
export function checkCompression(compression: KafkaCompression): void {
  if (compression === 'zstd' && !zstdAvailable()) {
    throw new KafkaCompressionUnavailable([
      'zstd',
      `node:zlib has no zstd in Node ${process.versions.node}; it needs Node 22.15+`,
      'none, gzip, lz4',
    ])
  }
}

interface KafkajsCodec {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>
  decompress(buffer: Buffer): Promise<Buffer>
}

/**
 * Codecs kafkajs lacks (it ships gzip only), without native code: LZ4 frames from
 * @platformatic/kafka's WebAssembly build, and zstd from node:zlib where Node has it. Registering
 * them also lets the kafkajs consumer read batches other producers compressed so.
 */
export function kafkajsCodecs(): { lz4: () => KafkajsCodec; zstd?: () => KafkajsCodec } {
  const lz4 = compressionsAlgorithms.lz4
  const z = zlib as { zstdCompressSync?: (b: Buffer) => Buffer; zstdDecompressSync?: (b: Buffer) => Buffer }
  const { zstdCompressSync, zstdDecompressSync } = z
  return {
    lz4: () => ({
      compress: async (encoder) => lz4.compressSync(encoder.buffer),
      decompress: async (buffer) => lz4.decompressSync(buffer),
    }),
    ...(zstdCompressSync && zstdDecompressSync
      ? {
          zstd: () => ({
            compress: async (encoder) => zstdCompressSync(encoder.buffer),
            decompress: async (buffer) => zstdDecompressSync(buffer),
          }),
        }
      : {}),
  }
}
