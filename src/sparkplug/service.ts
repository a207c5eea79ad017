// The Sparkplug stage of the service: the pure host state machine, its MQTT client on the embedded broker,
// the ingest into the UNS and the write path, wired together once. The service creates it before the
// broker (the pipeline feeds it) and calls `start()` once the broker can serve the host's connection.
import type { Duplex } from 'node:stream'
import { SpbNodeNotFound, type UnsError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import { createSparkplugMapper, type NamespaceTree, type SparkplugSection } from '../namespace/index.js'
import type { UnsEvent, UnsValue } from '../uns/index.js'
import { createHostClient, hostClientId, type HostClient } from './host-client.js'
import type { NodeInfo, PublishAction } from './host-types.js'
import { createSparkplugIngest, type IngestMessage, type SparkplugIngest } from './ingest.js'
import { createSparkplugHost, type SparkplugHost } from './session.js'
import { createWriter, type PathDeclaration, type WriteResult, type WriteSource } from './writes.js'

export interface SparkplugServiceConfig {
  readonly hostId: string
  readonly reorderTimeoutMs: number
  readonly rebirthMinIntervalMs: number
  readonly instanceId: string
}

export interface SparkplugServiceDeps {
  readonly logger: Logger
  readonly metrics: Metrics
  readonly tree: NamespaceTree
  readonly mapping: SparkplugSection
  /** The pipeline's stages after parsing (registry -> tree -> Kafka) and its dead-letter path. */
  readonly accept: (
    message: IngestMessage,
    event: UnsEvent,
    receivedAt: number,
    headers: Readonly<Record<string, string>>,
  ) => { accepted: boolean; pending: Promise<void> | undefined }
  readonly deadLetter: (
    message: IngestMessage,
    rejection: { code: string; reason: string },
    receivedAt: number,
  ) => Promise<void> | undefined
  /** Raw Sparkplug record to Kafka; undefined without Kafka. */
  readonly raw: (message: IngestMessage, receivedAt: number) => Promise<void> | undefined
  /** The broker's internal publish (never re-ingested). */
  readonly publishInternal: (m: {
    topic: string
    payload: Buffer
    qos: 0 | 1
    retain: boolean
  }) => Promise<void>
  /** The broker's `handleStream`, serving the host's own MQTT connection. */
  readonly serveStream: (stream: Duplex) => void
  readonly now?: () => number
}

/** What the API routes need: node list, rebirth, writes. */
export interface SparkplugApi {
  nodes(): NodeInfo[]
  /** Sends an operator's Rebirth request; throws UNS_ERR_SPB_NODE_NOT_FOUND (404) for an unknown node. */
  rebirth(group: string, edge: string): Promise<{ topic: string }>
  write(path: string, value: UnsValue, source: WriteSource): Promise<WriteResult>
}

export interface SparkplugService extends SparkplugApi {
  readonly host: SparkplugHost
  /** For the pipeline: client publishes on `spBv1.0/...`. */
  onPublish(message: IngestMessage, receivedAt: number): Promise<void> | undefined
  /** For the Kafka bridge: one `uns.commands` record. */
  fromCommand(path: string, payload: Buffer): Promise<'publish' | 'written' | 'refused'>
  /** Connects the host application to the broker (STATE birth); call once the broker exists. */
  start(): Promise<void>
  /** STATE offline, disconnect, timers off; idempotent. */
  close(): Promise<void>
}

export function createSparkplugService(
  deps: SparkplugServiceDeps,
  config: SparkplugServiceConfig,
): SparkplugService {
  const logger = deps.logger.child({ stage: 'sparkplug' })
  const now = deps.now ?? Date.now
  const mapper = createSparkplugMapper(deps.mapping)
  let client: HostClient | undefined

  const host = createSparkplugHost(
    {
      clock: {
        now,
        setTimeout: (fn, ms) => setTimeout(fn, ms),
        clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
      },
      hostId: config.hostId,
      logger,
      onDeferred: (o) => ingest.onOutcome(o, now()),
    },
    { reorderTimeoutMs: config.reorderTimeoutMs, rebirthMinIntervalMs: config.rebirthMinIntervalMs },
  )
  const send = async (a: { topic: string; payload: Uint8Array; qos: 0 | 1; retain: boolean }) => {
    if (client === undefined) throw new Error('sparkplug host is not started')
    await client.publish(a)
  }
  const ingest: SparkplugIngest = createSparkplugIngest(
    {
      host,
      toUnsPath: (id) => mapper.toUnsPath(id),
      accept: deps.accept,
      deadLetter: deps.deadLetter,
      raw: deps.raw,
      publishInternal: deps.publishInternal,
      sendAction: (a: PublishAction) => send(a),
      countProblem: (code) => deps.metrics.sparkplugProblems.inc({ code }),
      countMessage: (type, updates) => {
        deps.metrics.sparkplugMessages.inc({ type })
        if (updates > 0) deps.metrics.stageEvents.inc({ stage: 'sparkplug_metric' }, updates)
      },
      logger,
    },
    { instanceId: config.instanceId, hostClientId: hostClientId(config.hostId) },
  )
  const declaration = (path: string): PathDeclaration => {
    try {
      const n = deps.tree.node(path)
      return { exists: true, declared: n.declared, writable: n.definition.writable === true }
    } catch (err) {
      if ((err as UnsError).code === 'UNS_ERR_NAMESPACE_NODE_NOT_FOUND') return { exists: false }
      throw err
    }
  }
  const owners = deps.mapping.mappings.map((m) => ({
    prefix: m.path,
    owner: `${m.group}/${m.edge}${m.device === undefined ? '' : `/${m.device}`}`,
  }))
  const sparkplugOwner = (path: string): string | undefined =>
    owners.find((o) => path === o.prefix || path.startsWith(`${o.prefix}/`))?.owner
  const writer = createWriter({
    host,
    resolve: (path) => ingest.resolve(path),
    declaration,
    sparkplugOwner,
    sendCommand: send,
    publishPlain: deps.publishInternal,
    hostConnected: () => client?.connected === true,
    count: (source, result) => deps.metrics.writes.inc({ source, result }),
    logger: logger.child({ component: 'writes' }),
    now,
  })

  let closing: Promise<void> | undefined
  return {
    host,
    onPublish: (message, receivedAt) => ingest.onPublish(message, receivedAt),
    fromCommand: (path, payload) => writer.fromCommand(path, payload),
    write: (path, value, source) => writer.write(path, value, source),
    nodes: () => host.nodes(),
    async rebirth(group, edge) {
      if (!host.nodes().some((n) => n.group === group && n.edge === edge))
        throw new SpbNodeNotFound([group, edge], { group, edge })
      const action = host.requestRebirth(group, edge)
      await send(action)
      return { topic: action.topic }
    },
    async start() {
      client = await createHostClient(
        {
          serveStream: deps.serveStream,
          host,
          logger,
          onOutcome: (o) => ingest.onOutcome(o, now()),
          now,
        },
        { hostId: config.hostId, reconnectPeriodMs: 1000 },
      )
    },
    close: () =>
      (closing ??= (async () => {
        host.close()
        await client?.close()
      })()),
  }
}
