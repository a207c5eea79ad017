// A local Apache Kafka cluster on loopback: N KRaft nodes (each broker+controller, all of them
// quorum voters), started in parallel with small heaps, for high-availability tests (issue 15): kill
// one broker under load, restart it, see replication hold.
import { mkdtempSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka, logLevel } from 'kafkajs'
import { removeOnExit } from './daemon.js'
import { createKafkaNode, newClusterId } from './kafka-node.js'
import { freePort, installKafka, kraftProperties } from './local-kafka.js'

export interface KafkaClusterOptions {
  /** Number of nodes; default 3. */
  readonly size?: number
  /** Heap per JVM, MB; default 128 initial, 384 max. */
  readonly heap?: { readonly initialMb: number; readonly maxMb: number }
  /** Bound on starting (and on each restart), ms; default 120000. */
  readonly startTimeoutMs?: number
  readonly cacheDir?: string
  readonly log?: (line: string) => void
  /** See DaemonOptions.keepAlive; default false (tests). */
  readonly keepAlive?: boolean
}

export interface KafkaClusterNode {
  readonly nodeId: number
  /** `127.0.0.1:<port>` of its broker listener. */
  readonly address: string
  readonly port: number
  readonly controllerPort: number
  readonly running: boolean
  readonly pid: number | undefined
  /** Resident memory of its JVM, MB. */
  rssMb(): number | undefined
}

export interface LocalKafkaCluster {
  /** Every broker, comma-separated (UNS_KAFKA_BROKERS). */
  readonly bootstrap: string
  readonly brokers: readonly string[]
  readonly nodes: readonly KafkaClusterNode[]
  readonly libDir: string
  readonly dir: string
  /** Resolves once `count` brokers (default all) are registered and unfenced, as clients see them. */
  waitForBrokers(count?: number, timeoutMs?: number): Promise<void>
  /** SIGKILL of one node (broker and controller). */
  kill(nodeId: number): Promise<void>
  /** Controlled shutdown of one node (SIGTERM). */
  stopNode(nodeId: number): Promise<void>
  /** Starts a stopped or killed node again (same ports, same data) and waits until it is registered. */
  restart(nodeId: number): Promise<void>
  /** Stops every node and removes the folder; idempotent. */
  stop(): Promise<void>
}

/** Node ids of the brokers that clients see in the cluster metadata now. */
export async function registeredBrokers(bootstrap: readonly string[]): Promise<number[]> {
  const admin = new Kafka({
    brokers: [...bootstrap],
    logLevel: logLevel.NOTHING,
    retry: { retries: 2, initialRetryTime: 100 },
  }).admin()
  try {
    await admin.connect()
    return (await admin.describeCluster()).brokers.map((b) => b.nodeId).sort()
  } finally {
    await admin.disconnect().catch(() => {})
  }
}

export async function startKafkaCluster(opts: KafkaClusterOptions = {}): Promise<LocalKafkaCluster> {
  const size = opts.size ?? 3
  const log = opts.log ?? (() => {})
  const startTimeoutMs = opts.startTimeoutMs ?? 120_000
  const libDir = installKafka(opts.cacheDir, log)
  const dir = mkdtempSync(join(tmpdir(), 'uns-kafka-cluster-'))
  const removeDir = removeOnExit(dir)
  const ports = await Promise.all(
    Array.from({ length: size }, async (_, i) => ({
      nodeId: i + 1,
      port: await freePort(),
      controllerPort: await freePort(),
    })),
  )
  const clusterId = newClusterId()
  const nodes = ports.map((p) => ({
    ...p,
    address: `127.0.0.1:${p.port}`,
    process: createKafkaNode({
      name: `kafka-${p.nodeId}`,
      libDir,
      dir: join(dir, `node-${p.nodeId}`),
      clusterId,
      heap: opts.heap ?? { initialMb: 128, maxMb: 384 },
      // C1 only: a JVM on a busy 2-core machine starts and warms up faster; peak speed is not needed.
      jvmOptions: ['-XX:TieredStopAtLevel=1'],
      startTimeoutMs,
      keepAlive: opts.keepAlive ?? false,
      properties: {
        ...kraftProperties({ ...p, voters: ports }),
        // A killed broker is fenced, and its partitions get new leaders, after 6 s instead of 9.
        'broker.heartbeat.interval.ms': 1000,
        'broker.session.timeout.ms': 6000,
        // Fewer threads per JVM: three of them share two cores here.
        'num.network.threads': 2,
        'num.io.threads': 2,
        'background.threads': 4,
        'num.recovery.threads.per.data.dir': 1,
      },
    }),
  }))
  const brokers = nodes.map((n) => n.address)
  const byId = (nodeId: number): (typeof nodes)[number] => {
    const node = nodes.find((n) => n.nodeId === nodeId)
    if (!node) throw new Error(`no Kafka node ${nodeId} in this cluster (1..${size})`)
    return node
  }

  const waitForBrokers = async (count = size, timeoutMs = startTimeoutMs): Promise<void> => {
    const deadline = Date.now() + timeoutMs
    let seen: number[] = []
    for (;;) {
      const live = nodes.filter((n) => n.process.running).map((n) => n.address)
      seen = await registeredBrokers(live.length > 0 ? live : brokers).catch(() => seen)
      if (seen.length >= count) return
      if (Date.now() > deadline) {
        throw new Error(
          `only brokers [${seen.join(', ')}] of ${count} registered within ${timeoutMs} ms (${dir})`,
        )
      }
      await new Promise((r) => setTimeout(r, 250))
    }
  }

  let stopped: Promise<void> | undefined
  const stop = (): Promise<void> =>
    (stopped ??= Promise.all(nodes.map((n) => n.process.stop(10_000))).then(() => removeDir()))

  try {
    // In parallel: a voter waits for a quorum of the others anyway, and sequential starts triple the time.
    await Promise.all(nodes.map((n) => n.process.start()))
    await waitForBrokers(size)
  } catch (err) {
    await Promise.all(nodes.map((n) => n.process.kill()))
    // The folder stays for a post-mortem when the start failed; it goes at process exit.
    throw err
  }
  log(`Kafka cluster of ${size} is up: ${brokers.join(',')} (${dir})`)

  return {
    bootstrap: brokers.join(','),
    brokers,
    nodes: nodes.map((n) => ({
      nodeId: n.nodeId,
      address: n.address,
      port: n.port,
      controllerPort: n.controllerPort,
      get running() {
        return n.process.running
      },
      get pid() {
        return n.process.pid
      },
      rssMb: () => n.process.rssMb(),
    })),
    libDir,
    dir,
    waitForBrokers,
    kill: (nodeId) => byId(nodeId).process.kill(),
    stopNode: (nodeId) => byId(nodeId).process.stop(),
    async restart(nodeId) {
      const node = byId(nodeId)
      await node.process.start()
      const deadline = Date.now() + startTimeoutMs
      while (!(await registeredBrokers([node.address]).catch((): number[] => [])).includes(nodeId)) {
        if (Date.now() > deadline)
          throw new Error(`kafka-${nodeId} did not register within ${startTimeoutMs} ms`)
        await new Promise((r) => setTimeout(r, 250))
      }
    },
    stop,
  }
}
