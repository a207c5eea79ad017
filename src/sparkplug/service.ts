// The Sparkplug stage of the service: the pure host state machine, its MQTT client on the broker, the
// ingest into UNS values and the write path, wired together once. `ingest` answers one client publish
// with what it produced; the pipeline acts on it. The stage publishes only as the host application
// (STATE, Rebirth requests, NCMD/DCMD through its own client) and, for plain writes, through `publish`.
import type { Duplex } from 'node:stream'
import { SpbNodeNotFound, type UnsError } from '../errors.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import { createSparkplugMapper, type NamespaceTree, type SparkplugSection } from '../namespace/index.js'
import type { InboundMessage, OutgoingMessage, UnsValue } from '../uns/index.js'
import { createHostClient, hostClientId, type HostClient } from './host-client.js'
import type { HostOutcome, NodeInfo } from './host-types.js'
import { createSparkplugIngest, type SparkplugResult } from './ingest.js'
import { createSparkplugHost, type SparkplugHost } from './session.js'
import { NAMESPACE } from './topic.js'
import {
  createWriter,
  type CommandOutcome,
  type PathDeclaration,
  type WriteResult,
  type WriteSource,
} from './writes.js'

export interface SparkplugServiceConfig {
  readonly hostId: string
  readonly reorderTimeoutMs: number
  readonly rebirthMinIntervalMs: number
  readonly instanceId: string
  /** Decode limits (sparkplug.maxNestingDepth, maxMetricsPerBirth, maxInflatedBytes). */
  readonly maxNestingDepth: number
  readonly maxMetricsPerBirth: number
  readonly maxInflatedBytes: number
}

export interface SparkplugServiceDeps {
  readonly logger: Logger
  readonly metrics: Metrics
  /** The namespace: which paths are declared and writable (writes). */
  readonly tree: NamespaceTree
  readonly mapping: SparkplugSection
  /** The broker's own publish, for writes to plain (non-Sparkplug) UNS paths. */
  readonly publish: (message: OutgoingMessage) => Promise<void>
  /** The broker's `handleInternalStream`, serving the host's own MQTT connection (embedded mode). */
  readonly serveStream: (stream: Duplex, actsOn: (topic: string) => boolean) => void
  /** External mode: opens a connection to the external broker for the host's own session instead. */
  readonly openStream?: (() => Duplex) | undefined
  /** External mode: the host's login on the external broker. */
  readonly credentials?: { readonly username?: string | undefined; readonly password?: string | undefined }
  readonly now?: () => number
  /**
   * Nodes another instance hosts (decision 0050): a Rebirth request for them is published into the shared
   * fabric, which carries it to the instance the edge node is connected to.
   */
  readonly knownElsewhere?: (group: string, edge: string) => boolean
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
  /** One client publish on `spBv1.0/...`: what it produced for the UNS. */
  ingest(message: InboundMessage, receivedAt: number): SparkplugResult
  /**
   * Results that arise outside a publish (reorder timeout, host session lost): values going stale.
   * The pipeline subscribes once.
   */
  onDeferred(listener: (result: SparkplugResult) => void): void
  /** For the Kafka bridge: one `uns.commands` record. */
  fromCommand(path: string, payload: Buffer): Promise<CommandOutcome>
  /** Connects the host application to the broker (STATE birth). */
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
  const ownClientId = hostClientId(config.hostId)
  let client: HostClient | undefined
  const deferredListeners: ((result: SparkplugResult) => void)[] = []

  const ingest = createSparkplugIngest(
    {
      mapper: createSparkplugMapper(deps.mapping),
      countProblem: (code) => deps.metrics.sparkplugProblems.inc({ code }),
      countMessage: (type, updates) => {
        deps.metrics.sparkplugMessages.inc({ type })
        if (updates > 0) deps.metrics.stageEvents.inc({ stage: 'sparkplug_metric' }, updates)
      },
      logger,
    },
    { instanceId: config.instanceId },
  )
  const send = async (a: { topic: string; payload: Uint8Array; qos: 0 | 1; retain: boolean }) => {
    if (client === undefined) throw new Error('sparkplug host is not started')
    await client.publish(a)
  }
  const sendActions = (o: HostOutcome): void => {
    for (const a of o.actions) {
      send(a).catch((err: unknown) => logger.warn({ err, topic: a.topic }, 'sparkplug host publish failed'))
    }
  }
  const deferred = (o: HostOutcome): void => {
    sendActions(o)
    const result = ingest.toResult(o, undefined)
    for (const listener of deferredListeners) listener(result)
  }
  const host = createSparkplugHost(
    {
      clock: {
        now,
        setTimeout: (fn, ms) => setTimeout(fn, ms),
        clearTimeout: (h) => clearTimeout(h as NodeJS.Timeout),
      },
      hostId: config.hostId,
      logger,
      onDeferred: deferred,
    },
    {
      reorderTimeoutMs: config.reorderTimeoutMs,
      rebirthMinIntervalMs: config.rebirthMinIntervalMs,
      maxNestingDepth: config.maxNestingDepth,
      maxMetricsPerBirth: config.maxMetricsPerBirth,
      maxInflatedBytes: config.maxInflatedBytes,
    },
  )
  const declaration = (path: string): PathDeclaration => {
    try {
      const n = deps.tree.node(path)
      const d = n.definition
      // A tag (a model field) carries its constraints; a structural node has no field to check against.
      const field =
        d.field === undefined
          ? undefined
          : {
              model: d.model,
              ...(d.type === undefined ? {} : { type: d.type }),
              ...(d.range === undefined ? {} : { range: d.range }),
              ...(d.enum === undefined ? {} : { enum: d.enum }),
            }
      return {
        exists: true,
        declared: n.declared,
        writable: d.writable === true,
        ...(field === undefined ? {} : { field }),
      }
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
    publishPlain: deps.publish,
    hostConnected: () => client?.connected === true,
    count: (source, result) => deps.metrics.writes.inc({ source, result }),
    logger: logger.child({ component: 'writes' }),
    now,
  })

  let closing: Promise<void> | undefined
  return {
    host,
    ingest(message, receivedAt) {
      // The host's own STATE and commands are recorded best effort: its birth must not wait for Kafka.
      const raw = message.clientId === ownClientId ? { ...message, qos: 0 as const } : message
      // STATE is read by the host client's own subscription; commands are for edge nodes.
      if (message.topic.startsWith(`${NAMESPACE}/STATE/`)) return { topic: message.topic, values: [], raw }
      const o = host.handle(message.topic, message.payload, receivedAt)
      sendActions(o)
      return { ...ingest.toResult(o, message), raw }
    },
    onDeferred: (listener) => void deferredListeners.push(listener),
    fromCommand: (path, payload) => writer.fromCommand(path, payload),
    write: (path, value, source) => writer.write(path, value, source),
    nodes: () => host.nodes(),
    async rebirth(group, edge) {
      const known = host.nodes().some((n) => n.group === group && n.edge === edge)
      if (!known && deps.knownElsewhere?.(group, edge) !== true)
        throw new SpbNodeNotFound([group, edge], { group, edge })
      const action = host.requestRebirth(group, edge)
      await send(action)
      return { topic: action.topic }
    },
    async start() {
      client = await createHostClient(
        {
          serveStream: deps.serveStream,
          ...(deps.openStream ? { openStream: deps.openStream } : {}),
          host,
          logger,
          onOutcome: deferred,
          now,
        },
        { hostId: config.hostId, reconnectPeriodMs: 1000, ...deps.credentials },
      )
    },
    close: () =>
      (closing ??= (async () => {
        host.close()
        await client?.close()
      })()),
  }
}
