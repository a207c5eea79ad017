// `GET /api/v1/dlq` (issue 14): the latest refused messages with error code, reason and schema errors.
// A ring in memory holds what this process refused (also with Kafka off, and before Kafka acked it);
// with Kafka on, the tail of each partition of the dead-letter topic adds what other instances and
// earlier runs refused. Both are merged newest first, each refusal once.
import type { KafkaClient } from '../kafka/index.js'
import type { InboundMessage, Rejection } from '../uns/index.js'
import type { Logger } from '../logger.js'

export interface DeadLetter {
  /** Epoch ms. */
  readonly receivedAt: number
  /** The MQTT topic it was published on. */
  readonly topic: string
  readonly clientId: string
  readonly code: string
  readonly reason: string
  readonly subject?: string
  readonly version?: number
  readonly errors?: readonly { readonly instancePath: string; readonly message: string }[]
  /** The payload, as text when it is UTF-8, else base64; cut at `payloadMaxBytes`. */
  readonly payload: string
  readonly payloadEncoding: 'utf8' | 'base64'
  readonly payloadBytes: number
  /** Instance that refused it (Kafka records). */
  readonly origin?: string
  readonly from: 'memory' | 'kafka'
}

export interface DeadLetterPage {
  readonly items: DeadLetter[]
  /** Set when the dead-letter topic could not be read: the items are this process's memory only. */
  readonly kafkaError?: string
}

export interface DeadLettersConfig {
  /** Refusals kept in memory. */
  readonly ringSize: number
  /** The dead-letter topic (kafka.topics.dlq). */
  readonly topic: string
  /** Longest time to read the topic's tails, ms. */
  readonly scanMaxMs: number
  /** Payload bytes kept per refusal (a view, not a replay: the topic keeps them all). */
  readonly payloadMaxBytes?: number
}

export interface DeadLetters {
  /** The pipeline's refuse() calls this for every refusal; O(1). */
  record(message: InboundMessage, rejection: Rejection, receivedAt: number): void
  /** The latest `limit` refusals, newest first. */
  latest(limit: number): Promise<DeadLetterPage>
}

const utf8 = new TextDecoder('utf-8', { fatal: true })

function showPayload(
  bytes: Buffer,
  max: number,
): Pick<DeadLetter, 'payload' | 'payloadEncoding' | 'payloadBytes'> {
  const cut = bytes.subarray(0, max)
  try {
    const text = utf8.decode(cut)
    // Control characters other than whitespace mean binary (Sparkplug protobuf, for one).
    if (!hasControlBytes(cut)) return { payload: text, payloadEncoding: 'utf8', payloadBytes: bytes.length }
  } catch {
    // not UTF-8 (or cut inside a character): base64 below
  }
  return { payload: cut.toString('base64'), payloadEncoding: 'base64', payloadBytes: bytes.length }
}

const hasControlBytes = (bytes: Buffer): boolean => {
  for (const b of bytes) if (b < 0x09 || (b > 0x0d && b < 0x20)) return true
  return false
}

const identity = (d: DeadLetter): string => `${d.receivedAt}|${d.topic}|${d.clientId}|${d.code}`

export function createDeadLetters(
  deps: { readonly logger: Logger; readonly kafka?: Pick<KafkaClient, 'partitions' | 'readPartition'> },
  config: DeadLettersConfig,
): DeadLetters {
  const max = config.payloadMaxBytes ?? 4096
  const ring: DeadLetter[] = []
  let next = 0

  async function fromKafka(kafka: NonNullable<typeof deps.kafka>, limit: number): Promise<DeadLetter[]> {
    const out: DeadLetter[] = []
    const partitions = await kafka.partitions(config.topic)
    await Promise.all(
      partitions.map((partition) =>
        kafka.readPartition({
          topic: config.topic,
          partition,
          from: { fromEnd: limit },
          maxRecords: limit,
          maxMs: config.scanMaxMs,
          onRecord: (r) => {
            const h = r.headers
            let errors: DeadLetter['errors']
            try {
              errors = h['validation-errors'] === undefined ? undefined : JSON.parse(h['validation-errors'])
            } catch {
              errors = undefined
            }
            out.push({
              receivedAt: Number(h['received-at'] ?? r.timestamp),
              topic: h['mqtt-topic'] ?? r.key ?? '',
              clientId: h.source ?? '',
              code: h['error-code'] ?? '',
              reason: h['error-reason'] ?? '',
              ...(h.schema === undefined ? {} : { subject: h.schema }),
              ...(h['schema-version'] === undefined ? {} : { version: Number(h['schema-version']) }),
              ...(errors === undefined ? {} : { errors }),
              ...showPayload(r.value ?? Buffer.alloc(0), max),
              ...(h.origin === undefined ? {} : { origin: h.origin }),
              from: 'kafka',
            })
          },
        }),
      ),
    )
    return out
  }

  return {
    record(message, rejection, receivedAt) {
      if (config.ringSize === 0) return
      const entry: DeadLetter = {
        receivedAt,
        topic: message.topic,
        clientId: message.clientId,
        code: rejection.code,
        reason: rejection.reason,
        ...(rejection.subject === undefined ? {} : { subject: rejection.subject }),
        ...(rejection.version === undefined ? {} : { version: rejection.version }),
        ...(rejection.errors === undefined ? {} : { errors: rejection.errors }),
        ...showPayload(message.payload, max),
        from: 'memory',
      }
      if (ring.length < config.ringSize) ring.push(entry)
      else ring[next] = entry
      next = (next + 1) % config.ringSize
    },

    async latest(limit) {
      const merged = new Map<string, DeadLetter>()
      let kafkaError: string | undefined
      if (deps.kafka !== undefined) {
        try {
          for (const d of await fromKafka(deps.kafka, limit)) merged.set(identity(d), d)
        } catch (err) {
          kafkaError = (err as Error).message
          deps.logger.warn({ err, topic: config.topic }, 'dead-letter topic not readable; memory only')
        }
      }
      // Memory last: a refusal Kafka has not acknowledged yet still shows.
      for (const d of ring) if (!merged.has(identity(d))) merged.set(identity(d), d)
      const items = [...merged.values()].sort((a, b) => b.receivedAt - a.receivedAt).slice(0, limit)
      return kafkaError === undefined ? { items } : { items, kafkaError }
    },
  }
}
