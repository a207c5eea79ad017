// A bounded, ordered buffer in front of Kafka. Records are sent in arrival order, one batch in
// flight at a time, so per-key order survives retries; a failed batch stays at the head of the
// buffer and is sent again after a reconnect. Callers that need the ack (QoS 1) await it; the
// PUBACK is built on that promise (see docs/decisions/0001-puback-after-kafka-ack.md).
import { BridgeClosed, KafkaPartitionNotReady, UnsError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import { createBackoff } from './backoff.js'
import type { KafkaClient, KafkaRecord } from './kafka-client.js'

export type LinkState = 'connecting' | 'connected' | 'disconnected' | 'closed'

export interface BufferedProducerConfig {
  readonly lingerMs: number
  readonly maxBatchRecords: number
  readonly bufferMaxRecords: number
  readonly bufferMaxBytes: number
  readonly reconnectInitialMs: number
  readonly reconnectMaxMs: number
}

/** What happened to a record handed to `produce`. */
export type ProduceResult =
  { readonly status: 'queued'; readonly acked: Promise<void> } | { readonly status: 'dropped' }

/** What happened to records handed to `produceAll` together. */
export interface ProduceAllResult {
  /** Records dropped for want of room (never `mustDeliver` ones). */
  readonly dropped: number
  /**
   * Settles when every queued record is: resolves when all were acked, else rejects with the first failure
   * (then `failed` says how many failed). Undefined when none was queued.
   */
  readonly acked: Promise<void> | undefined
  readonly failed: number
}

export interface BufferedProducer {
  /** `mustDeliver` records wait for room when the buffer is full; others are dropped then. */
  produce(record: KafkaRecord, mustDeliver: boolean): ProduceResult
  /** `produce` for several records with one promise for all (issue 13: one per message, not per record). */
  produceAll(records: readonly KafkaRecord[], mustDeliver: boolean): ProduceAllResult
  readonly state: LinkState
  readonly lastError: string | undefined
  stats(): { bufferedRecords: number; bufferedBytes: number; waiting: number; sent: number; dropped: number }
  /** Sends what it can within `timeoutMs`, then fails the rest. */
  close(timeoutMs: number): Promise<void>
}

/** The records of one produceAll call: its promise settles when the last of them does. */
interface Group {
  pending: number
  failed: number
  error: Error | undefined
  resolve(): void
  reject(err: Error): void
}

interface Entry {
  readonly record: KafkaRecord
  readonly bytes: number
  readonly group: Group
}

function settle(e: Entry, err?: Error): void {
  const g = e.group
  if (err !== undefined) {
    g.failed++
    g.error ??= err
  }
  if (--g.pending > 0) return
  if (g.error === undefined) g.resolve()
  else g.reject(g.error)
}

function sizeOf(r: KafkaRecord): number {
  let n = (r.value?.length ?? 0) + (r.key?.length ?? 0)
  for (const k in r.headers) n += k.length + (r.headers[k]?.length ?? 0)
  return n
}

export function createBufferedProducer(
  deps: {
    client: Pick<KafkaClient, 'connectProducer' | 'send'>
    logger: Logger
    onStateChange?: (state: LinkState) => void
    metrics?: Pick<Metrics, 'kafkaRequestDuration' | 'kafkaBatchRecords' | 'kafkaProduceErrors'>
  },
  config: BufferedProducerConfig,
): BufferedProducer {
  const { client, logger } = deps
  const queue: Entry[] = []
  const waiting: Entry[] = [] // must-deliver records that arrived while the buffer was full
  let bytes = 0
  let sent = 0
  let dropped = 0
  let state: LinkState = 'connecting'
  let lastError: string | undefined
  let inFlight = false
  let lingerTimer: NodeJS.Timeout | undefined
  let reconnectTimer: NodeJS.Timeout | undefined
  let resendTimer: NodeJS.Timeout | undefined
  let partitionWaitLogged = false
  const backoff = createBackoff({ initialMs: config.reconnectInitialMs, maxMs: config.reconnectMaxMs })
  let drained: (() => void) | undefined

  const setState = (next: LinkState, err?: Error): void => {
    if (next === state) return
    state = next
    if (next === 'connected') logger.info({ bufferedRecords: queue.length }, 'Kafka producer connected')
    if (next === 'disconnected')
      logger.warn({ err, bufferedRecords: queue.length }, 'Kafka unreachable; buffering')
    deps.onStateChange?.(next)
  }

  const hasRoom = (): boolean => queue.length < config.bufferMaxRecords && bytes < config.bufferMaxBytes

  async function connect(): Promise<void> {
    reconnectTimer = undefined
    try {
      await client.connectProducer()
      if (state === 'closed') return
      backoff.reset()
      lastError = undefined
      setState('connected')
      schedule()
    } catch (err) {
      // close() may have run while this attempt was in flight: a closed producer stays closed.
      if (state === 'closed') return
      lastError = (err as Error).message
      setState('disconnected', err as Error)
      retryLater()
    }
  }

  function retryLater(): void {
    if (state === 'closed' || reconnectTimer) return
    reconnectTimer = setTimeout(() => void connect(), backoff.nextDelayMs())
  }

  function schedule(): void {
    if (inFlight || resendTimer || state !== 'connected' || queue.length === 0) return
    if (queue.length >= config.maxBatchRecords || config.lingerMs === 0) return void flush()
    lingerTimer ??= setTimeout(() => void flush(), config.lingerMs)
  }

  async function flush(): Promise<void> {
    if (lingerTimer) clearTimeout(lingerTimer)
    lingerTimer = undefined
    if (inFlight || state !== 'connected' || queue.length === 0) return
    inFlight = true
    const batch = queue.slice(0, config.maxBatchRecords)
    const startedAt = performance.now()
    try {
      await client.send(batch.map((e) => e.record))
      deps.metrics?.kafkaRequestDuration.observe((performance.now() - startedAt) / 1000)
      deps.metrics?.kafkaBatchRecords.observe(batch.length)
      queue.splice(0, batch.length)
      for (const e of batch) {
        bytes -= e.bytes
        settle(e)
      }
      sent += batch.length
      backoff.reset()
      partitionWaitLogged = false
      lastError = undefined
      admitWaiting()
    } catch (err) {
      lastError = (err as Error).message
      deps.metrics?.kafkaProduceErrors.inc({
        retriable: String((err as { retriable?: boolean }).retriable === true),
      })
      if (isPoison(err)) {
        // Kafka refused these records for good (too large, not authorised): retrying would block
        // every record behind them, so they fail and the buffer moves on.
        queue.splice(0, batch.length)
        for (const e of batch) {
          bytes -= e.bytes
          settle(e, err as Error)
        }
        // Their room goes to the records held for it, else those (and every record after) wait forever.
        admitWaiting()
        logger.error({ err, records: batch.length }, 'Kafka rejected a batch; records failed')
      } else if (state === 'connected' && isPartitionNotReady(err)) {
        // Kafka answered, but a partition has no leader yet (a topic auto-created a moment ago on a
        // broker that has just started): the link is up, so the batch is sent again after a pause,
        // without a reconnect and without reporting Kafka unreachable.
        if (!partitionWaitLogged)
          logger.warn({ err, records: batch.length }, 'Kafka partition not ready; resending')
        partitionWaitLogged = true
        resendTimer = setTimeout(() => {
          resendTimer = undefined
          void flush()
        }, backoff.nextDelayMs())
      } else if (state === 'connected') {
        setState('disconnected', err as Error)
        retryLater()
      }
    } finally {
      inFlight = false
    }
    if (queue.length === 0) drained?.()
    schedule()
  }

  function admitWaiting(): void {
    while (waiting.length > 0 && hasRoom()) {
      const e = waiting.shift() as Entry
      queue.push(e)
      bytes += e.bytes
    }
  }

  function produceAll(records: readonly KafkaRecord[], mustDeliver: boolean): ProduceAllResult {
    if (state === 'closed') {
      if (!mustDeliver) return { dropped: records.length, acked: undefined, failed: 0 }
      return { dropped: 0, acked: Promise.reject(new BridgeClosed(['record'])), failed: records.length }
    }
    let group: Group | undefined
    let acks: Promise<void> | undefined
    let lost = 0
    for (const record of records) {
      const room = hasRoom() && waiting.length === 0
      if (!room && !mustDeliver) {
        lost++
        continue
      }
      if (group === undefined) {
        const g: Group = { pending: 0, failed: 0, error: undefined, resolve: () => {}, reject: () => {} }
        acks = new Promise<void>((res, rej) => {
          g.resolve = res
          g.reject = rej
        })
        group = g
      }
      group.pending++
      const entry: Entry = { record, bytes: sizeOf(record), group }
      if (room) {
        queue.push(entry)
        bytes += entry.bytes
      } else {
        waiting.push(entry)
      }
    }
    dropped += lost
    if (group !== undefined) schedule()
    const settled = group
    return {
      dropped: lost,
      acked: acks,
      get failed() {
        return settled?.failed ?? 0
      },
    }
  }

  void connect()

  return {
    produce(record, mustDeliver) {
      const r = produceAll([record], mustDeliver)
      return r.acked === undefined ? { status: 'dropped' } : { status: 'queued', acked: r.acked }
    },
    produceAll,
    get state() {
      return state
    },
    get lastError() {
      return lastError
    },
    stats: () => ({
      bufferedRecords: queue.length,
      bufferedBytes: bytes,
      waiting: waiting.length,
      sent,
      dropped,
    }),
    async close(timeoutMs) {
      if (state === 'connected' && (queue.length > 0 || inFlight)) {
        await new Promise<void>((res) => {
          const timer = setTimeout(res, timeoutMs)
          drained = () => {
            clearTimeout(timer)
            res()
          }
          void flush()
        })
      }
      state = 'closed'
      clearTimeout(lingerTimer)
      clearTimeout(reconnectTimer)
      clearTimeout(resendTimer)
      const left = [...queue.splice(0), ...waiting.splice(0)]
      for (const e of left) settle(e, new BridgeClosed(['record']))
      if (left.length > 0) logger.warn({ records: left.length }, 'shutdown left records unsent')
    },
  }
}

// The client adapters reject with UNS_ERR_KAFKA_RECORD_REFUSED (retriable false) for records Kafka
// refused for good, and with UNS_ERR_KAFKA_PARTITION_NOT_READY when Kafka answered that a partition
// has no leader yet (kafka-client-shared.ts toProduceError): no library's error names are read here.
const isPoison = (err: unknown): boolean => err instanceof UnsError && !err.retriable

/** Kafka answered with a retriable error about the partition (no leader yet, unknown yet), not a lost link. */
const isPartitionNotReady = (err: unknown): boolean =>
  err instanceof UnsError && err.code === KafkaPartitionNotReady.code
