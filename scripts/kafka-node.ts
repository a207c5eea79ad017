// One Apache Kafka KRaft node (broker+controller in one JVM) as a child process: storage formatted
// on its first start, started and stopped, killed, restarted on the same ports and data. The single
// local Kafka (local-kafka.ts), the 3-broker cluster (local-kafka-cluster.ts) and the SASL_SSL test
// broker are all built from it.
import { spawnSync } from 'node:child_process'
import { randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { startDaemon, tail, type Daemon } from './daemon.js'

export interface KafkaNodeOptions {
  /** For messages, e.g. `kafka-2`. */
  readonly name: string
  /** The jars (installKafka). */
  readonly libDir: string
  /** The node's folder: config, logs and (under `log/`) its data. */
  readonly dir: string
  /** server.properties entries; `log.dirs` is set to `<dir>/log`. */
  readonly properties: Readonly<Record<string, string | number | boolean>>
  /** Same for every node of a cluster. */
  readonly clusterId: string
  /** More `kafka-storage format` arguments (e.g. `--add-scram ...`), used on the first start only. */
  readonly formatArgs?: readonly string[]
  /** JVM heap, MB. */
  readonly heap?: { readonly initialMb: number; readonly maxMb: number }
  /** More JVM options (e.g. `-XX:TieredStopAtLevel=1`). */
  readonly jvmOptions?: readonly string[]
  /** Bound on one start, ms; default 60000. */
  readonly startTimeoutMs?: number
  /** See DaemonOptions.keepAlive; default true. */
  readonly keepAlive?: boolean
}

export interface KafkaNode {
  readonly name: string
  readonly dir: string
  readonly running: boolean
  readonly pid: number | undefined
  /** Formats storage on the first start, then starts and waits for "Kafka Server started". */
  start(): Promise<void>
  /** SIGTERM (controlled shutdown), SIGKILL after `graceMs` (default 20000). */
  stop(graceMs?: number): Promise<void>
  /** SIGKILL: a crashed broker. */
  kill(): Promise<void>
  /** Resident memory of the JVM now, MB (Linux /proc); undefined when not running. */
  rssMb(): number | undefined
}

const LOG4J = `status = error
appender.file.type = File
appender.file.name = file
appender.file.fileName = \${sys:kafka.logs.dir}/server.log
appender.file.layout.type = PatternLayout
appender.file.layout.pattern = [%d] %p %m (%c)%n
appender.out.type = Console
appender.out.name = out
appender.out.layout.type = PatternLayout
appender.out.layout.pattern = %m%n
appender.out.filter.marker.type = RegexFilter
appender.out.filter.marker.regex = .*(Kafka Server started|shut down completed).*
appender.out.filter.marker.onMatch = ACCEPT
appender.out.filter.marker.onMismatch = DENY
rootLogger.level = info
rootLogger.appenderRef.file.ref = file
rootLogger.appenderRef.out.ref = out
`

/** A new KRaft cluster id (16 random bytes, base64url). */
export function newClusterId(): string {
  // One id in 64 starts with '-', which kafka-storage reads as an option (as Kafka's Uuid does, draw again).
  let id = randomBytes(16).toString('base64url')
  while (id.startsWith('-')) id = randomBytes(16).toString('base64url')
  return id
}

/** The default heap of the single local Kafka; tests with several JVMs pass smaller ones. */
export const DEFAULT_HEAP = { initialMb: 256, maxMb: 768 } as const

export function createKafkaNode(opts: KafkaNodeOptions): KafkaNode {
  const propsPath = join(opts.dir, 'server.properties')
  const stdoutPath = join(opts.dir, 'stdout.log')
  const heap = opts.heap ?? DEFAULT_HEAP
  const jvm = [
    `-Xms${heap.initialMb}m`,
    `-Xmx${heap.maxMb}m`,
    '-XX:+UseG1GC',
    ...(opts.jvmOptions ?? []),
    `-Dlog4j2.configurationFile=${join(opts.dir, 'log4j2.properties')}`,
    `-Dkafka.logs.dir=${opts.dir}`,
    '-cp',
    `${opts.libDir}/*`,
  ]
  let daemon: Daemon | undefined

  const writeConfig = (): void => {
    mkdirSync(opts.dir, { recursive: true })
    const props = { ...opts.properties, 'log.dirs': join(opts.dir, 'log') }
    writeFileSync(
      propsPath,
      `${Object.entries(props)
        .map(([k, v]) => `${k}=${v}`)
        .join('\n')}\n`,
    )
    writeFileSync(join(opts.dir, 'log4j2.properties'), LOG4J)
  }

  const format = (): void => {
    if (existsSync(join(opts.dir, 'log', 'meta.properties'))) return
    const args = ['format', '-t', opts.clusterId, '-c', propsPath, ...(opts.formatArgs ?? [])]
    const r = spawnSync('java', [...jvm, 'kafka.tools.StorageTool', ...args], { encoding: 'utf8' })
    if (r.error || r.status !== 0) {
      throw new Error(
        `formatting Kafka storage of ${opts.name} failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr || r.stdout}`,
      )
    }
  }

  return {
    name: opts.name,
    dir: opts.dir,
    get running() {
      return daemon?.running ?? false
    },
    get pid() {
      return daemon?.running ? daemon.pid : undefined
    },
    async start() {
      if (daemon?.running) return
      // Ports are written anew on each start, so a kept data dir may move to other ports.
      writeConfig()
      format()
      const from = existsSync(stdoutPath) ? readFileSync(stdoutPath).length : 0
      const serverLog = join(opts.dir, 'server.log')
      const serverLogFrom = existsSync(serverLog) ? readFileSync(serverLog).length : 0
      daemon = await startDaemon({
        name: opts.name,
        command: 'java',
        args: [...jvm, 'kafka.Kafka', propsPath],
        logFile: stdoutPath,
        ready: () => readFileSync(stdoutPath).subarray(from).includes('Kafka Server started'),
        startTimeoutMs: opts.startTimeoutMs ?? 60_000,
        pollMs: 200,
        keepAlive: opts.keepAlive ?? true,
      }).catch((err: Error) => {
        // The JVM's stdout carries only the start marker; the reason is in server.log.
        throw new Error(`${err.message}\n--- ${serverLog}\n${tail(serverLog, 30, serverLogFrom)}`)
      })
    },
    stop: async (graceMs = 20_000) => void (await daemon?.stop(graceMs)),
    kill: async () => void (await daemon?.kill()),
    rssMb() {
      if (!daemon?.running) return undefined
      try {
        const kb = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${daemon.pid}/status`, 'utf8'))?.[1]
        return kb === undefined ? undefined : Math.round(Number(kb) / 1024)
      } catch {
        return undefined
      }
    },
  }
}
