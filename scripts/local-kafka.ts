// Local Apache Kafka (KRaft, single node) for the demo, the tests and developers.
// The jars come from Maven Central through `mvn dependency:copy-dependencies` and are cached, so a
// machine needs Java 17+ and Maven once, and nothing else (no Docker, no tarball download).
import { spawnSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'
import { createKafkaNode, newClusterId } from './kafka-node.js'

export const KAFKA_VERSION = '4.4.0'
const LOG4J_VERSION = '2.24.3'

/** Where jars and broker data live; `UNS_KAFKA_CACHE` overrides it. */
export const defaultCacheDir = resolve(process.env.UNS_KAFKA_CACHE ?? join(process.cwd(), '.cache', 'kafka'))

export interface LocalKafka {
  /** `host:port` to give clients. */
  readonly bootstrap: string
  readonly port: number
  readonly dataDir: string
  readonly libDir: string
  /** The broker's process id while it runs. */
  readonly pid: number | undefined
  stop(): Promise<void>
}

export interface StartOptions {
  /** Broker port; 0 picks a free one. */
  port?: number
  /** Storage folder; a fresh one under the cache when unset. */
  dataDir?: string
  cacheDir?: string
  /** Forwarded progress lines. */
  log?: (line: string) => void
  startTimeoutMs?: number
}

function requireTool(cmd: string, args: string[], what: string): void {
  const r = spawnSync(cmd, args, { encoding: 'utf8' })
  if (r.error || r.status !== 0) {
    throw new Error(
      `${cmd} was not found or does not run (${r.error?.message ?? r.stderr.trim()}). ` +
        `The local Kafka needs ${what}; on Debian/Ubuntu: apt-get install openjdk-17-jre-headless maven`,
    )
  }
}

function pom(): string {
  const dep = (g: string, a: string, v: string): string =>
    `<dependency><groupId>${g}</groupId><artifactId>${a}</artifactId><version>${v}</version></dependency>`
  return `<project xmlns="http://maven.apache.org/POM/4.0.0"><modelVersion>4.0.0</modelVersion>
<groupId>uns-bridge</groupId><artifactId>local-kafka</artifactId><version>1</version><packaging>pom</packaging>
<dependencies>
${dep('org.apache.kafka', 'kafka_2.13', KAFKA_VERSION)}
${dep('org.apache.kafka', 'kafka-tools', KAFKA_VERSION)}
${dep('org.slf4j', 'slf4j-api', '2.0.16')}
${dep('org.apache.logging.log4j', 'log4j-slf4j2-impl', LOG4J_VERSION)}
${dep('org.apache.logging.log4j', 'log4j-core', LOG4J_VERSION)}
</dependencies></project>\n`
}

/** Resolves the Kafka jars into `<cache>/lib-<version>` once; later calls return at once. */
export function installKafka(cacheDir = defaultCacheDir, log: (l: string) => void = () => {}): string {
  // The folder name carries a hash of the pom, so a changed dependency list resolves anew.
  const recipe = pom()
  const libDir = join(
    cacheDir,
    `lib-${KAFKA_VERSION}-${createHash('sha256').update(recipe).digest('hex').slice(0, 8)}`,
  )
  const marker = join(libDir, '.complete')
  if (existsSync(marker)) return libDir
  requireTool('java', ['-version'], 'Java 17 or newer')
  requireTool('mvn', ['-v'], 'Apache Maven')
  mkdirSync(cacheDir, { recursive: true })
  const pomPath = join(cacheDir, 'pom.xml')
  writeFileSync(pomPath, recipe)
  log(`resolving Apache Kafka ${KAFKA_VERSION} jars with Maven into ${libDir} ...`)
  const r = spawnSync(
    'mvn',
    [
      '-B',
      '-q',
      '-f',
      pomPath,
      'dependency:copy-dependencies',
      `-DoutputDirectory=${libDir}`,
      '-DincludeScope=runtime',
    ],
    { stdio: ['ignore', 'inherit', 'inherit'] },
  )
  if (r.status !== 0) throw new Error(`mvn could not resolve the Kafka jars (exit ${r.status})`)
  writeFileSync(marker, new Date().toISOString())
  log(`resolved ${readdirSync(libDir).length - 1} jars`)
  return libDir
}

export async function freePort(): Promise<number> {
  return new Promise((res, rej) => {
    const srv = createServer()
    srv.once('error', rej)
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address()
      srv.close(() => (addr && typeof addr === 'object' ? res(addr.port) : rej(new Error('no port'))))
    })
  })
}

/** Listener and quorum settings of a KRaft node on loopback (broker+controller in one JVM). */
export function kraftProperties(node: {
  nodeId: number
  port: number
  controllerPort: number
  /** Every voter of the quorum: node id and controller port. */
  voters: readonly { nodeId: number; controllerPort: number }[]
}): Record<string, string | number | boolean> {
  const replicas = Math.min(3, node.voters.length)
  return {
    'process.roles': 'broker,controller',
    'node.id': node.nodeId,
    'controller.quorum.voters': node.voters.map((v) => `${v.nodeId}@127.0.0.1:${v.controllerPort}`).join(','),
    listeners: `PLAINTEXT://127.0.0.1:${node.port},CONTROLLER://127.0.0.1:${node.controllerPort}`,
    'advertised.listeners': `PLAINTEXT://127.0.0.1:${node.port}`,
    'controller.listener.names': 'CONTROLLER',
    'inter.broker.listener.name': 'PLAINTEXT',
    'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    'num.partitions': 1,
    'offsets.topic.replication.factor': replicas,
    'offsets.topic.num.partitions': 4,
    'transaction.state.log.replication.factor': replicas,
    'transaction.state.log.min.isr': Math.min(2, replicas),
    'share.coordinator.state.topic.replication.factor': replicas,
    'share.coordinator.state.topic.min.isr': Math.min(2, replicas),
    'group.initial.rebalance.delay.ms': 0,
    'auto.create.topics.enable': true,
  }
}

/** Formats storage (first start of a data dir only) and starts a single-node KRaft broker on loopback. */
export async function startKafka(opts: StartOptions = {}): Promise<LocalKafka> {
  const log = opts.log ?? (() => {})
  const cacheDir = opts.cacheDir ?? defaultCacheDir
  const libDir = installKafka(cacheDir, log)
  requireTool('java', ['-version'], 'Java 17 or newer')
  const port = opts.port || (await freePort())
  const controllerPort = await freePort()
  // A data dir of our own is removed at stop; one given by the caller (the demo's) is kept.
  const dataDir = resolve(opts.dataDir ?? join(cacheDir, 'data', `${port}-${Date.now()}`))
  const node = createKafkaNode({
    name: 'Kafka',
    libDir,
    dir: dataDir,
    properties: kraftProperties({ nodeId: 1, port, controllerPort, voters: [{ nodeId: 1, controllerPort }] }),
    clusterId: newClusterId(),
    startTimeoutMs: opts.startTimeoutMs ?? 60_000,
  })
  await node.start()
  log(`Kafka ${KAFKA_VERSION} is up on 127.0.0.1:${port} (data: ${dataDir})`)

  let stopping: Promise<void> | undefined
  return {
    bootstrap: `127.0.0.1:${port}`,
    port,
    dataDir,
    libDir,
    get pid() {
      return node.pid
    },
    stop: () =>
      (stopping ??= node.stop().then(() => {
        if (opts.dataDir === undefined) rmSync(dataDir, { recursive: true, force: true })
      })),
  }
}

/** The argv to run one of Kafka's own tools (console consumer etc.) from the cached jars. */
export function kafkaToolCommand(libDir: string, mainClass: string, args: string[]): string {
  return ['java', '-cp', `'${libDir}/*'`, mainClass, ...args].join(' ')
}
