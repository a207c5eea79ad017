// One uns-bridge as its own process (the real CLI), for tests that SIGKILL an instance (issue 15):
// fixed free ports picked here so that clients can list it in a failover list before it starts.
import type { ChildProcess } from 'node:child_process'
import { createWriteStream, mkdtempSync, readFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../scripts/local-kafka.js'
import { spawnCli } from './process.js'

export interface ChildInstance {
  readonly name: string
  readonly mqttPort: number
  readonly httpPort: number
  readonly mqttUrl: string
  readonly httpUrl: string
  /** stdout and stderr of the process. */
  readonly logFile: string
  readonly running: boolean
  /** Resolves once GET /health/ready answers 200; fails early if the process exits. */
  ready(timeoutMs?: number): Promise<void>
  /** SIGKILL (a crash: no STATE death, no Kafka flush, no DISCONNECT); resolves on exit. */
  kill(): Promise<void>
  /** SIGTERM (graceful shutdown), SIGKILL after `timeoutMs`; resolves on exit. Idempotent. */
  stop(timeoutMs?: number): Promise<void>
}

const children = new Set<ChildProcess>()
process.once('exit', () => {
  for (const c of children) c.kill('SIGKILL')
})

/** `args`: CLI arguments, e.g. `['--config', file]` for settings only a file carries (users, roles). */
export async function startInstance(
  name: string,
  env: Record<string, string>,
  args: string[] = [],
): Promise<ChildInstance> {
  const mqttPort = await freePort()
  const httpPort = await freePort()
  const logFile = join(mkdtempSync(join(tmpdir(), `uns-${name}-`)), 'uns-bridge.log')
  const log = createWriteStream(logFile)
  const child = spawnCli(args, {
    UNS_HOST: '127.0.0.1',
    UNS_MQTT_PORT: String(mqttPort),
    UNS_HTTP_PORT: String(httpPort),
    UNS_LOG_LEVEL: 'warn',
    ...env,
  })
  children.add(child)
  child.stdout?.pipe(log, { end: false })
  child.stderr?.pipe(log, { end: false })
  let running = true
  const exited = new Promise<void>((resolve) =>
    child.once('exit', () => {
      running = false
      children.delete(child)
      resolve()
    }),
  )
  const tail = (): string => {
    try {
      return readFileSync(logFile, 'utf8').split('\n').slice(-30).join('\n')
    } catch {
      return ''
    }
  }
  const httpUrl = `http://127.0.0.1:${httpPort}`
  return {
    name,
    mqttPort,
    httpPort,
    mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
    httpUrl,
    logFile,
    get running() {
      return running
    },
    async ready(timeoutMs = 120_000) {
      const deadline = Date.now() + timeoutMs
      for (;;) {
        if (!running) throw new Error(`${name} exited before it was ready; its log (${logFile}):\n${tail()}`)
        const ok = await fetch(`${httpUrl}/health/ready`).then(
          (r) => r.status === 200,
          () => false,
        )
        if (ok) return
        if (Date.now() > deadline)
          throw new Error(`${name} not ready within ${timeoutMs} ms; its log (${logFile}):\n${tail()}`)
        await new Promise((r) => setTimeout(r, 250))
      }
    },
    async kill() {
      if (running) child.kill('SIGKILL')
      await exited
    },
    async stop(timeoutMs = 20_000) {
      if (running) child.kill('SIGTERM')
      const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
      await exited
      clearTimeout(timer)
    },
  }
}
