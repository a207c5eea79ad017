// Local Apache Kafka (KRaft, single node) for the demo, the tests and developers.
// The jars come from Maven Central through `mvn dependency:copy-dependencies` and are cached, so a
// machine needs Java 17+ and Maven once, and nothing else (no Docker, no tarball download).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { existsSync, mkdirSync, readdirSync, writeFileSync, createWriteStream } from 'node:fs'
import { createServer } from 'node:net'
import { join, resolve } from 'node:path'

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

function java(libDir: string, mainClass: string, args: string[], extra: string[] = []): string[] {
  return ['-Xms256m', '-Xmx768m', '-XX:+UseG1GC', ...extra, '-cp', `${libDir}/*`, mainClass, ...args]
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

function serverProperties(port: number, controllerPort: number, dataDir: string): string {
  return [
    'process.roles=broker,controller',
    'node.id=1',
    `controller.quorum.voters=1@127.0.0.1:${controllerPort}`,
    `listeners=PLAINTEXT://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
    `advertised.listeners=PLAINTEXT://127.0.0.1:${port}`,
    'controller.listener.names=CONTROLLER',
    'inter.broker.listener.name=PLAINTEXT',
    'listener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT',
    `log.dirs=${join(dataDir, 'log')}`,
    'num.partitions=1',
    'offsets.topic.replication.factor=1',
    'offsets.topic.num.partitions=4',
    'transaction.state.log.replication.factor=1',
    'transaction.state.log.min.isr=1',
    'share.coordinator.state.topic.replication.factor=1',
    'share.coordinator.state.topic.min.isr=1',
    'group.initial.rebalance.delay.ms=0',
    'auto.create.topics.enable=true',
    '',
  ].join('\n')
}

/** Formats storage (first start of a data dir only) and starts a single-node KRaft broker on loopback. */
export async function startKafka(opts: StartOptions = {}): Promise<LocalKafka> {
  const log = opts.log ?? (() => {})
  const cacheDir = opts.cacheDir ?? defaultCacheDir
  const libDir = installKafka(cacheDir, log)
  const port = opts.port || (await freePort())
  const controllerPort = await freePort()
  const dataDir = resolve(opts.dataDir ?? join(cacheDir, 'data', `${port}-${Date.now()}`))
  mkdirSync(dataDir, { recursive: true })
  const propsPath = join(dataDir, 'server.properties')
  // Ports are written anew on each start, so a kept data dir may move to other ports.
  writeFileSync(propsPath, serverProperties(port, controllerPort, dataDir))
  writeFileSync(join(dataDir, 'log4j2.properties'), LOG4J)
  const sysProps = [
    `-Dlog4j2.configurationFile=${join(dataDir, 'log4j2.properties')}`,
    `-Dkafka.logs.dir=${dataDir}`,
  ]

  if (!existsSync(join(dataDir, 'log', 'meta.properties'))) {
    // One id in 64 starts with '-', which kafka-storage reads as an option (as Kafka's Uuid does, draw again).
    let clusterId = randomBytes(16).toString('base64url')
    while (clusterId.startsWith('-')) clusterId = randomBytes(16).toString('base64url')
    const fmt = spawnSync(
      'java',
      java(libDir, 'kafka.tools.StorageTool', ['format', '-t', clusterId, '-c', propsPath], sysProps),
      { encoding: 'utf8' },
    )
    if (fmt.status !== 0) throw new Error(`formatting Kafka storage failed: ${fmt.stderr || fmt.stdout}`)
  }

  const child = spawn('java', java(libDir, 'kafka.Kafka', [propsPath], sysProps), {
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const errLog = createWriteStream(join(dataDir, 'stderr.log'))
  child.stderr.pipe(errLog)
  await waitForStart(child, opts.startTimeoutMs ?? 60_000, dataDir)
  log(`Kafka ${KAFKA_VERSION} is up on 127.0.0.1:${port} (data: ${dataDir})`)

  let stopping: Promise<void> | undefined
  return {
    bootstrap: `127.0.0.1:${port}`,
    port,
    dataDir,
    libDir,
    stop: () => (stopping ??= stopChild(child)),
  }
}

function waitForStart(child: ChildProcess, timeoutMs: number, dataDir: string): Promise<void> {
  return new Promise((res, rej) => {
    let out = ''
    const timer = setTimeout(() => {
      child.kill('SIGKILL')
      rej(new Error(`Kafka did not start within ${timeoutMs} ms; see ${dataDir}/server.log`))
    }, timeoutMs)
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString()
      if (out.includes('Kafka Server started')) {
        clearTimeout(timer)
        res()
      }
    })
    child.once('exit', (code) => {
      clearTimeout(timer)
      rej(new Error(`Kafka exited during start (code ${code}); see ${dataDir}/server.log and stderr.log`))
    })
  })
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve()
  return new Promise((res) => {
    const force = setTimeout(() => child.kill('SIGKILL'), 20_000)
    child.once('exit', () => {
      clearTimeout(force)
      res()
    })
    child.kill('SIGTERM')
  })
}

/** The argv to run one of Kafka's own tools (console consumer etc.) from the cached jars. */
export function kafkaToolCommand(libDir: string, mainClass: string, args: string[]): string {
  return ['java', '-cp', `'${libDir}/*'`, mainClass, ...args].join(' ')
}
