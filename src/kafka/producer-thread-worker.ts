// The producer thread's side (decision 0063): one Kafka client of its own, used for connectProducer and
// send only. Records arrive packed (record-pack.ts); results and log lines go back to the main thread.
import { parentPort, workerData } from 'node:worker_threads'
import type { LevelWithSilent } from 'pino'
import { UnsError } from '../errors.js'
import { createLogger } from '../logger.js'
import { createKafkaClient } from './kafka-client.js'
import { unpackRecords } from './record-pack.js'
import type { ThreadReply, ThreadRequest, WorkerSetup } from './producer-thread.js'

const port = parentPort
if (port === null) throw new Error('producer-thread-worker runs as a worker thread only')
const setup = workerData as WorkerSetup
const logger = createLogger(setup.level as LevelWithSilent, {
  write: (line: string) => port.postMessage({ log: line }),
})
const client = createKafkaClient(setup.config, logger)

const reply = (r: ThreadReply): void => port.postMessage(r)
const failure = (id: number, err: unknown): ThreadReply => {
  const e = err instanceof Error ? err : new Error(String(err))
  return {
    id,
    error: {
      message: e.message,
      ...(e instanceof UnsError
        ? { code: e.code, retriable: e.retriable, statusCode: e.statusCode, details: e.details }
        : {}),
    },
  }
}

port.on('message', (req: ThreadRequest) => {
  const run =
    req.kind === 'send'
      ? client.send(unpackRecords(Buffer.from(req.records)))
      : req.kind === 'connect'
        ? client.connectProducer()
        : client.close()
  run.then(
    () => reply({ id: req.id }),
    (err: unknown) => reply(failure(req.id, err)),
  )
})
