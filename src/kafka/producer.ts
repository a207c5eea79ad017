// A bounded, ordered buffer in front of Kafka. Records are sent in arrival order, one batch in
// flight at a time, so per-key order survives retries; a failed batch stays at the head of the
// buffer and is sent again after a reconnect. Callers that need the ack (QoS 1) await it; the
// PUBACK is built on that promise (see docs/decisions/0001-puback-after-kafka-ack.md).
import { BridgeClosed } from '../errors.js'
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

export interface BufferedProducer {
  /** `mustDeliver` records wait for room when the buffer is full; others are dropped then. */
  produce(record: KafkaRecord, mustDeliver: boolean): ProduceResult
  readonly state: LinkState
  readonly lastError: string | undefined
  stats(): { bufferedRecords: number; bufferedBytes: number; waiting: number; sent: number; dropped: number }
  /** Sends what it can within `timeoutMs`, then fails the rest. */
  close(timeoutMs: number): Promise<void>
}

interface Entry {
  readonly record: KafkaRecord
  readonly bytes: number
  resolve(): void
  reject(err: Error): void
}

const sizeOf = (r: KafkaRecord): number =>
  (r.value?.length ?? 0) +
  (r.key?.length ?? 0) +
  Object.entries(r.headers).reduce((n, [k, v]) => n + k.length + v.length, 0)

export function createBufferedProducer(
  deps: {
    client: KafkaClient
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
        e.resolve()
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
          e.reject(err as Error)
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

  void connect()

  return {
    produce(record, mustDeliver) {
      if (state === 'closed') {
        if (!mustDeliver) return { status: 'dropped' }
        return { status: 'queued', acked: Promise.reject(new BridgeClosed(['record'])) }
      }
      const room = hasRoom() && waiting.length === 0
      if (!room && !mustDeliver) {
        dropped++
        return { status: 'dropped' }
      }
      let resolve!: () => void
      let reject!: (err: Error) => void
      const acked = new Promise<void>((res, rej) => {
        resolve = res
        reject = rej
      })
      const entry: Entry = { record, bytes: sizeOf(record), resolve, reject }
      if (room) {
        queue.push(entry)
        bytes += entry.bytes
        schedule()
      } else {
        waiting.push(entry)
      }
      return { status: 'queued', acked }
    },
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
      for (const e of left) e.reject(new BridgeClosed(['record']))
      if (left.length > 0) logger.warn({ records: left.length }, 'shutdown left records unsent')
    },
  }
}

function isPoison(err: unknown): boolean {
  const e = err as { name?: string; retriable?: boolean; type?: string }
  return e.name === 'KafkaJSProtocolError' && e.retriable === false
}

/** Kafka answered with a retriable error about the partition (no leader yet, unknown yet), not a lost link. */
function isPartitionNotReady(err: unknown): boolean {
  let e = err as { name?: string; retriable?: boolean; cause?: unknown } | undefined
  // kafkajs wraps the last error of its own retries as the cause of KafkaJSNumberOfRetriesExceeded.
  while (e?.cause !== undefined && e.cause !== e) e = e.cause as typeof e
  return (
    (e?.name === 'KafkaJSProtocolError' && e.retriable === true) || e?.name === 'KafkaJSMetadataNotLoaded'
  )
}
