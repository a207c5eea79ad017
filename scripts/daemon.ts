// Starting and stopping the real servers that tests and scripts run (Kafka, redis-server, mosquitto):
// output goes to a file (shown when a start fails), readiness is a polled condition with a bound,
// and every process still running when this process ends is killed, so a failed or interrupted
// test leaves no server behind. Temporary folders registered here are removed the same way.
import { spawn, type ChildProcess } from 'node:child_process'
import { closeSync, existsSync, openSync, readFileSync, rmSync, statSync } from 'node:fs'

export interface DaemonOptions {
  /** Used in error messages ("redis-server did not start ..."). */
  readonly name: string
  readonly command: string
  readonly args: readonly string[]
  /** stdout and stderr are appended here. */
  readonly logFile: string
  readonly cwd?: string
  readonly env?: NodeJS.ProcessEnv
  /** Polled until it returns true; the daemon counts as started then. */
  readonly ready: () => boolean | Promise<boolean>
  /** Bound on the start, ms; default 30000. On expiry the process is killed. */
  readonly startTimeoutMs?: number
  /** Poll interval of `ready`, ms; default 100. */
  readonly pollMs?: number
  /**
   * Whether the running process keeps this one alive (default true, for `npm run kafka`). Tests pass
   * false: a test file that forgot to stop a server still ends, and the exit hook kills the server.
   */
  readonly keepAlive?: boolean
}

export interface Daemon {
  readonly pid: number
  readonly logFile: string
  /** False once the process has exited. */
  readonly running: boolean
  /** Resolves with the exit code, or the signal name, once the process has exited. */
  readonly exited: Promise<number | string>
  /** Everything the process wrote so far (from `fromByte` on). */
  output(fromByte?: number): string
  /** SIGTERM, then SIGKILL after `graceMs` (default 10000); resolves once the process is gone. */
  stop(graceMs?: number): Promise<void>
  /** SIGKILL; resolves once the process is gone. */
  kill(): Promise<void>
}

const children = new Set<ChildProcess>()
const cleanups = new Set<() => void>()
let hooked = false

function reapAll(): void {
  for (const child of children) child.kill('SIGKILL')
  children.clear()
  for (const fn of cleanups) {
    try {
      fn()
    } catch {
      // best effort at exit
    }
  }
  cleanups.clear()
}

// On a signal nobody else handles, clean up and die of the same signal. When the program has its
// own handler (scripts/kafka.ts stops Kafka gracefully), it owns shutdown and 'exit' reaps leftovers.
function onSignal(signal: NodeJS.Signals): void {
  const handler = (): void => {
    if (process.listenerCount(signal) > 1) return
    process.removeListener(signal, handler)
    reapAll()
    process.kill(process.pid, signal)
  }
  process.on(signal, handler)
}

function hookExit(): void {
  if (hooked) return
  hooked = true
  process.on('exit', reapAll)
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) onSignal(signal)
}

/** Runs `fn` (synchronous) when this process exits, unless the returned function is called first. */
export function onProcessExit(fn: () => void): () => void {
  hookExit()
  cleanups.add(fn)
  return () => void cleanups.delete(fn)
}

/** Removes `dir` when this process exits; the returned function removes it now (idempotent). */
export function removeOnExit(dir: string): () => void {
  const remove = (): void => rmSync(dir, { recursive: true, force: true })
  const cancel = onProcessExit(remove)
  return () => {
    cancel()
    remove()
  }
}

/** The last `lines` lines of a log file, for error messages. */
export function tail(file: string, lines = 40, fromByte = 0): string {
  if (!existsSync(file)) return '(no output)'
  const text = readFileSync(file).subarray(fromByte).toString('utf8').trimEnd()
  return text === '' ? '(no output)' : text.split('\n').slice(-lines).join('\n')
}

/** Starts the process and resolves once `ready()` holds; rejects with its output when it exits or times out first. */
export async function startDaemon(opts: DaemonOptions): Promise<Daemon> {
  hookExit()
  const fromByte = existsSync(opts.logFile) ? statSync(opts.logFile).size : 0
  const fd = openSync(opts.logFile, 'a')
  let child: ChildProcess
  try {
    child = spawn(opts.command, [...opts.args], {
      stdio: ['ignore', fd, fd],
      ...(opts.cwd === undefined ? {} : { cwd: opts.cwd }),
      ...(opts.env === undefined ? {} : { env: opts.env }),
    })
  } finally {
    closeSync(fd)
  }
  children.add(child)
  if (opts.keepAlive === false) child.unref()
  let spawnError: Error | undefined
  const exited = new Promise<number | string>((resolve) => {
    child.once('error', (err) => {
      spawnError = err
      children.delete(child)
      resolve('spawn-error')
    })
    child.once('exit', (code, signal) => {
      children.delete(child)
      resolve(code ?? signal ?? 'unknown')
    })
  })
  let done = false
  void exited.then(() => (done = true))

  const waitGone = async (signal: NodeJS.Signals, graceMs: number): Promise<void> => {
    if (done) return
    child.ref() // waiting for the exit must keep this process alive (keepAlive false unrefs the child)
    child.kill(signal)
    if (signal === 'SIGKILL') return void (await exited)
    const force = setTimeout(() => child.kill('SIGKILL'), graceMs)
    await exited
    clearTimeout(force)
  }
  const daemon: Daemon = {
    get pid() {
      return child.pid ?? -1
    },
    logFile: opts.logFile,
    get running() {
      return !done
    },
    exited,
    output: (from = 0) =>
      existsSync(opts.logFile) ? readFileSync(opts.logFile).subarray(from).toString() : '',
    stop: (graceMs = 10_000) => waitGone('SIGTERM', graceMs),
    kill: () => waitGone('SIGKILL', 0),
  }

  const timeoutMs = opts.startTimeoutMs ?? 30_000
  const deadline = Date.now() + timeoutMs
  for (;;) {
    if (done) {
      const how = spawnError ? `could not be run (${spawnError.message})` : `exited (${await exited})`
      throw new Error(
        `${opts.name} ${how} while starting: ${opts.command} ${opts.args.join(' ')}\n` +
          `--- ${opts.logFile}\n${tail(opts.logFile, 40, fromByte)}`,
      )
    }
    if (await Promise.resolve(opts.ready()).catch(() => false)) return daemon
    if (Date.now() > deadline) {
      await daemon.kill()
      throw new Error(
        `${opts.name} was not ready within ${timeoutMs} ms; killed it\n` +
          `--- ${opts.logFile}\n${tail(opts.logFile, 40, fromByte)}`,
      )
    }
    await new Promise((r) => setTimeout(r, opts.pollMs ?? 100))
  }
}
