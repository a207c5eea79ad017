// Runs the real CLI (src/main.ts) as a child process, as an operator would.
import { spawn, type ChildProcess } from 'node:child_process'
import { fileURLToPath } from 'node:url'

const main = fileURLToPath(new URL('../../src/main.ts', import.meta.url))

export interface CliRun {
  code: number | null
  stdout: string
  stderr: string
}

export function spawnCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', main, ...args], {
    env: { ...process.env, UNS_LOG_LEVEL: 'warn', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
}

/** Runs the CLI to its end. */
export function runCli(args: string[], env: Record<string, string> = {}, timeoutMs = 90000): Promise<CliRun> {
  const child = spawnCli(args, env)
  let stdout = ''
  let stderr = ''
  child.stdout?.on('data', (c: Buffer) => (stdout += c.toString()))
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()))
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), timeoutMs)
    child.on('exit', (code) => {
      clearTimeout(timer)
      resolve({ code, stdout, stderr })
    })
  })
}

/** Starts the CLI at info level and collects its JSON log lines as they come. */
export function spawnLoggingCli(
  args: string[],
  env: Record<string, string> = {},
): { child: ChildProcess; lines: Record<string, unknown>[] } {
  const child = spawnCli(args, { UNS_LOG_LEVEL: 'info', ...env })
  const lines: Record<string, unknown>[] = []
  let rest = ''
  child.stdout?.on('data', (chunk: Buffer) => {
    const parts = (rest + chunk.toString()).split('\n')
    rest = parts.pop() ?? ''
    for (const p of parts) if (p.startsWith('{')) lines.push(JSON.parse(p) as Record<string, unknown>)
  })
  child.stderr?.resume()
  return { child, lines }
}

export interface ListeningCli {
  readonly child: ChildProcess
  readonly mqttPort: number
  readonly httpPort: number
  /** The child's JSON log lines so far (info level). */
  readonly lines: readonly Record<string, unknown>[]
}

/**
 * Starts the CLI on ports the system picks (0) and resolves once its log names both listeners' ports.
 * A port chosen in advance (free, then closed) may be taken by another process on a shared machine
 * before the service binds it; a health probe would then reach that process instead.
 */
export async function startListeningCli(
  env: Record<string, string> = {},
  args: string[] = [],
  timeoutMs = 90000,
): Promise<ListeningCli> {
  const { child, lines } = spawnLoggingCli(args, {
    UNS_MQTT_PORT: '0',
    UNS_HTTP_PORT: '0',
    ...env,
  })
  const port = (msg: RegExp) => lines.find((l) => msg.test(String(l.msg)))?.port
  const deadline = Date.now() + timeoutMs
  while (port(/^MQTT listening$/) === undefined || port(/^HTTPS? listening$/) === undefined) {
    if (child.exitCode !== null) throw new Error(`the service exited with ${child.exitCode} before listening`)
    if (Date.now() > deadline) {
      child.kill('SIGKILL')
      throw new Error('the service did not log its listening ports in time')
    }
    await new Promise((r) => setTimeout(r, 50))
  }
  return {
    child,
    mqttPort: Number(port(/^MQTT listening$/)),
    httpPort: Number(port(/^HTTPS? listening$/)),
    lines,
  }
}
