// `kafka.producerThread` (decision 0063): the Kafka producer runs in a worker thread, so the record
// encoding, compression and socket work of every send leave the main thread, which runs the broker and
// the pipeline. Sends keep their order: the worker's client queues them in arrival order as it would
// on the main thread, and refusals come back as UnsErrors with their code and `retriable`.
import { Worker } from 'node:worker_threads'
import { UnsError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { KafkaClient, KafkaClientConfig, KafkaRecord } from './kafka-client.js'
import { packRecords } from './record-pack.js'

export type ProducerLink = Pick<KafkaClient, 'connectProducer' | 'send' | 'close'>

/** What the worker is started with. */
export interface WorkerSetup {
  readonly config: KafkaClientConfig
  readonly level: string
}

export type ThreadRequest =
  | { readonly id: number; readonly kind: 'connect' | 'close' }
  | { readonly id: number; readonly kind: 'send'; readonly records: ArrayBuffer }

export interface ThreadReply {
  readonly id: number
  readonly error?: {
    readonly message: string
    readonly code?: string
    readonly retriable?: boolean
    readonly statusCode?: number
    readonly details?: Readonly<Record<string, unknown>>
  }
}

// Under tsx (npm start, tests) this module is TypeScript, and tsx's hooks do not reach a worker's entry
// by themselves: the worker then starts from a line that loads it through tsx's API. Built, it is dist/
// JavaScript and needs nothing.
const TYPESCRIPT = import.meta.url.endsWith('.ts')
const WORKER = new URL(
  TYPESCRIPT ? './producer-thread-worker.ts' : './producer-thread-worker.js',
  import.meta.url,
)
const startWorker = (workerData: WorkerSetup): Worker =>
  TYPESCRIPT
    ? new Worker(
        `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => tsx.tsImport(${JSON.stringify(WORKER.href)}, ${JSON.stringify(import.meta.url)}))`,
        { eval: true, workerData },
      )
    : new Worker(WORKER, { workerData })

/** Starts the producer thread; its sends and connects behave like `createKafkaClient(config)`'s. */
export function createProducerThread(config: KafkaClientConfig, logger: Logger): ProducerLink {
  const setup: WorkerSetup = { config, level: logger.level }
  const worker = startWorker(setup)
  const pending = new Map<number, { resolve(): void; reject(err: Error): void }>()
  let nextId = 0
  let gone: Error | undefined

  worker.on('message', (m: ThreadReply | { log: string }) => {
    if ('log' in m) return relayLog(logger, m.log)
    const p = pending.get(m.id)
    if (p === undefined) return
    pending.delete(m.id)
    if (m.error === undefined) return p.resolve()
    const e = m.error
    p.reject(
      e.code === undefined
        ? new Error(e.message)
        : new UnsError(
            e.code,
            e.message,
            { retriable: e.retriable ?? false, statusCode: e.statusCode ?? 500 },
            {
              ...e.details,
            },
          ),
    )
  })
  // The thread ending early fails what it was doing; a later call fails at once (the producer reconnects,
  // which reports it).
  const fail = (err: Error): void => {
    gone ??= err
    for (const p of pending.values()) p.reject(err)
    pending.clear()
  }
  worker.on('error', (err) => {
    logger.error({ err }, 'Kafka producer thread failed')
    fail(err)
  })
  worker.on('exit', (code) => fail(new Error(`Kafka producer thread exited (${code})`)))

  const call = (req: ThreadRequest, transfer: ArrayBuffer[] = []): Promise<void> => {
    if (gone !== undefined) return Promise.reject(gone)
    return new Promise<void>((resolve, reject) => {
      pending.set(req.id, { resolve, reject })
      worker.postMessage(req, transfer)
    })
  }

  let closed: Promise<void> | undefined
  return {
    connectProducer: () => call({ id: nextId++, kind: 'connect' }),
    send(records: readonly KafkaRecord[]) {
      const packed = packRecords(records).buffer as ArrayBuffer
      return call({ id: nextId++, kind: 'send', records: packed }, [packed])
    },
    close: () =>
      (closed ??= (async () => {
        if (gone === undefined) await call({ id: nextId++, kind: 'close' }).catch(() => {})
        await worker.terminate()
      })()),
  }
}

const LEVELS: Record<number, 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal'> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
}

/** A log line of the worker's logger, logged again by ours (so it carries our bindings and destination). */
function relayLog(logger: Logger, line: string): void {
  try {
    const {
      level,
      msg,
      time: _time,
      pid: _pid,
      hostname: _host,
      service: _service,
      ...rest
    } = JSON.parse(line) as Record<string, unknown>
    logger[LEVELS[Number(level)] ?? 'info'](rest, typeof msg === 'string' ? msg : '')
  } catch {
    logger.warn({ line }, 'unreadable log line from the Kafka producer thread')
  }
}
