// Child processes of the e2e bench: TypeScript entry points run with tsx, their JSON result line, and
// the uns-bridge CLI itself configured through UNS_* variables like an operator would.
import { spawn, type ChildProcess } from 'node:child_process'

export interface Child {
  readonly proc: ChildProcess
  readonly pid: number
  /** Resolves with the child's last stdout line parsed as JSON, when it exits 0. */
  result<T>(): Promise<T>
  /** Resolves once a stdout line contains `text`. */
  waitForLine(text: string, timeoutMs: number): Promise<void>
  /** The last of what the child wrote to stdout and stderr, for an error message. */
  tail(): string
  stop(): Promise<void>
}

// A bench that fails half-way must not leave a service or broker running.
const alive = new Set<ChildProcess>()
process.on('exit', () => {
  for (const p of alive) p.kill('SIGKILL')
})

export function startChild(
  file: string,
  args: string[],
  opts: { env?: NodeJS.ProcessEnv; nodeArgs?: string[] } = {},
): Child {
  // Compiled JavaScript (dist/, as the Docker image runs it) needs no tsx.
  const loader = file.endsWith('.ts') ? ['--import', 'tsx'] : []
  const proc = spawn(process.execPath, [...(opts.nodeArgs ?? []), ...loader, file, ...args], {
    env: { ...process.env, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  let out = ''
  let err = ''
  proc.stdout?.on('data', (d: Buffer) => (out += d.toString()))
  proc.stderr?.on('data', (d: Buffer) => (err += d.toString()))
  alive.add(proc)
  const exited = new Promise<number | null>((r) =>
    proc.on('exit', (code) => {
      alive.delete(proc)
      r(code)
    }),
  )
  return {
    proc,
    pid: proc.pid ?? 0,
    async result<T>() {
      const code = await exited
      if (code !== 0) throw new Error(`${file} exited with ${code}: ${err.slice(-2000)}`)
      const line = out.trim().split('\n').pop() ?? ''
      return JSON.parse(line) as T
    },
    async waitForLine(text, timeoutMs) {
      const deadline = Date.now() + timeoutMs
      while (!out.includes(text)) {
        if (proc.exitCode !== null) throw new Error(`${file} exited early: ${err.slice(-2000)}`)
        if (Date.now() > deadline) throw new Error(`${file}: no "${text}" within ${timeoutMs} ms`)
        await new Promise((r) => setTimeout(r, 50))
      }
    },
    tail: () => `${out.slice(-1500)}${err.slice(-1500)}`,
    async stop() {
      if (proc.exitCode !== null) return
      proc.kill('SIGTERM')
      const timer = setTimeout(() => proc.kill('SIGKILL'), 15000)
      await exited
      clearTimeout(timer)
    },
  }
}

export interface ServiceChild extends Child {
  readonly mqttUrl: string
  readonly httpUrl: string
}

/** The real service (src/main.ts) as a child, ready when /health/ready answers 200. */
export async function startServiceChild(o: {
  mqttPort: number
  httpPort: number
  brokers: string
  topicPrefix: string
  cpuProfileDir?: string
  /** More UNS_* settings (kafka.client, kafka.telemetryHeaders, ...). */
  env?: Readonly<Record<string, string>>
  /** Run dist/src/main.js (`npm run build` first) instead of src/main.ts under tsx. */
  built?: boolean
}): Promise<ServiceChild> {
  const env = {
    ...o.env,
    UNS_MQTT_PORT: String(o.mqttPort),
    UNS_HTTP_PORT: String(o.httpPort),
    UNS_HOST: '127.0.0.1',
    UNS_KAFKA_BROKERS: o.brokers,
    UNS_LOG_LEVEL: 'warn',
    UNS_INSTANCE_ID: `bench-${o.topicPrefix}`,
    UNS_KAFKA_TOPICS_TELEMETRY: `${o.topicPrefix}.telemetry`,
    UNS_KAFKA_TOPICS_STATE: `${o.topicPrefix}.state`,
    UNS_KAFKA_TOPICS_COMMANDS: `${o.topicPrefix}.commands`,
    UNS_KAFKA_TOPICS_DLQ: `${o.topicPrefix}.dlq`,
    UNS_KAFKA_TOPICS_SCHEMAS: `${o.topicPrefix}.schemas`,
    UNS_KAFKA_TOPICS_SPARKPLUG: `${o.topicPrefix}.sparkplug`,
  }
  const nodeArgs = o.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${o.cpuProfileDir}`] : []
  const child = startChild(o.built === true ? 'dist/src/main.js' : 'src/main.ts', [], { env, nodeArgs })
  const httpUrl = `http://127.0.0.1:${o.httpPort}`
  const deadline = Date.now() + 60000
  for (;;) {
    const res = await fetch(`${httpUrl}/health/ready`).catch(() => undefined)
    if (res?.ok) break
    if (child.proc.exitCode !== null || Date.now() > deadline) {
      await child.stop()
      throw new Error(
        `uns-bridge did not become ready (exit code ${child.proc.exitCode}); it wrote:\n${child.tail()}`,
      )
    }
    await new Promise((r) => setTimeout(r, 250))
  }
  return { ...child, mqttUrl: `mqtt://127.0.0.1:${o.mqttPort}`, httpUrl }
}
