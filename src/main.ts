#!/usr/bin/env node
// Process entry: parse the command line, load config, create the service, handle signals.
import { parseArgs } from 'node:util'
import { helpText, loadConfig, redactConfig } from './config/index.js'
import { UnsError } from './errors.js'
import { createLogger } from './logger.js'
import { createService, type Service } from './index.js'

const EXIT_CONFIG = 2
const EXIT_START = 1

function fail(err: unknown, code: number): never {
  const message =
    err instanceof UnsError ? `${err.message} (${err.code})` : String((err as Error)?.stack ?? err)
  process.stderr.write(`uns-bridge: ${message}\n`)
  process.exit(code)
}

// `uns-bridge hash-password`: a tool command, not the service (src/security hash-password.ts).
if (process.argv[2] === 'hash-password') {
  const { runHashPassword } = await import('./security/index.js')
  process.exit(
    await runHashPassword({ stdin: process.stdin, stdout: process.stdout, stderr: process.stderr }),
  )
}

let args
try {
  args = parseArgs({
    options: {
      config: { type: 'string', short: 'c' },
      'print-config': { type: 'boolean', default: false },
      help: { type: 'boolean', short: 'h', default: false },
    },
  }).values
} catch (err) {
  fail(new Error(`${(err as Error).message}\n\n${helpText()}`), EXIT_CONFIG)
}

if (args.help) {
  process.stdout.write(helpText())
  process.exit(0)
}

let config
try {
  config = loadConfig(args.config === undefined ? {} : { file: args.config })
} catch (err) {
  fail(err, EXIT_CONFIG)
}

if (args['print-config']) {
  process.stdout.write(`${JSON.stringify(redactConfig(config), null, 2)}\n`)
  process.exit(0)
}

const logger = createLogger(config.log.level)
// Signals are handled from the start: the HTTP port answers before createService returns, and a
// SIGTERM in that window must still shut down cleanly instead of killing the process.
let service: Service | undefined
let stopSignal: string | undefined
const stop = (signal: string): void => {
  if (stopSignal !== undefined && service === undefined) return
  stopSignal = signal
  if (service === undefined) return // shut down as soon as the service exists
  const running = service
  service = undefined
  logger.info({ signal }, 'shutting down')
  // A hard deadline: the process exits even if a client or Kafka hangs.
  setTimeout(() => {
    logger.error('shutdown took too long; exiting')
    process.exit(1)
  }, config.shutdownTimeoutMs + 1500).unref()
  running.close().then(
    () => process.exit(0),
    (err: unknown) => {
      logger.error({ err }, 'shutdown failed')
      process.exit(1)
    },
  )
}
process.on('SIGINT', () => stop('SIGINT'))
process.on('SIGTERM', () => stop('SIGTERM'))
// SIGHUP reloads the TLS certificate files (renewed certificates) without dropping connections.
process.on('SIGHUP', () => {
  logger.info({ signal: 'SIGHUP' }, 'reloading TLS certificates')
  service?.reloadTls()
})
try {
  service = await createService({ logger }, config)
  if (stopSignal !== undefined) stop(stopSignal)
} catch (err) {
  logger.fatal({ err }, 'uns-bridge could not start')
  fail(err, EXIT_START)
}
