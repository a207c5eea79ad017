// A logger whose JSON lines a test can read back, as an operator would read the service's log.
import { Writable } from 'node:stream'
import type { LevelWithSilent } from 'pino'
import { createLogger, type Logger } from '../../src/logger.js'

export function captureLogs(level: LevelWithSilent = 'debug'): {
  logger: Logger
  /** Parsed log lines, oldest first. */
  logs: Record<string, unknown>[]
} {
  const logs: Record<string, unknown>[] = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n'))
        if (line) logs.push(JSON.parse(line) as Record<string, unknown>)
      done()
    },
  })
  return { logger: createLogger(level, sink), logs }
}
