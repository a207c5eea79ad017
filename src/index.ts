// createService wires the pipeline stages of PRODUCT.md §2 and owns their lifecycle.
import type { FastifyInstance } from 'fastify'
import { buildApi, type HealthReport } from './api/index.js'
import { createBridge, type Bridge, type StateRecord } from './bridge/index.js'
import { createBroker, topicNameProblem, type Broker } from './broker/index.js'
import type { Config } from './config/index.js'
import { ListenFailed, ListenPortInUse } from './errors.js'
import type { Logger } from './logger.js'
import { createMetrics, type Metrics } from './metrics.js'
import { createNamespaceTree, loadNamespace, parseUnsPayload, type NamespaceTree } from './namespace/index.js'
import { createPipeline } from './pipeline.js'
import { createMemoryStore, createRegistry, type Registry } from './registry/index.js'
import { randomUUID } from 'node:crypto'

export interface Service {
  readonly mqttPort: number
  readonly httpPort: number
  readonly metrics: Metrics
  readonly tree: NamespaceTree
  readonly registry: Registry
  health(): HealthReport
  /** Stops accepting, flushes Kafka, closes clients; idempotent. */
  close(): Promise<void>
}

export async function createService(deps: { logger: Logger }, config: Config): Promise<Service> {
  const { logger } = deps
  const metrics = createMetrics()
  const definition = await loadNamespace(config.namespace.dir)
  const tree = createNamespaceTree(definition, { mode: config.namespace.mode })
  logger.info(
    {
      dir: config.namespace.dir,
      files: definition.files.length,
      nodes: tree.stats().nodes,
      mode: config.namespace.mode,
    },
    'namespace loaded',
  )
  const registry = await createRegistry({ store: createMemoryStore(), logger }, {})
  let bridge: Bridge | undefined
  const pipeline = createPipeline(
    {
      logger,
      metrics,
      tree,
      registry,
      get bridge() {
        return bridge
      },
    },
    config,
  )

  const broker: Broker = await createBroker(
    { logger, metrics, onPublish: (message) => pipeline.onPublish(message) },
    { host: config.host, port: config.mqtt.port, maxPayloadBytes: config.mqtt.maxPayloadBytes },
  )
  if (config.kafka.brokers.length > 0) {
    bridge = createBridge(
      {
        logger,
        metrics,
        publish: (m) => broker.publish(m),
        topicProblem: topicNameProblem,
        onStateRecord: (record) => applyStateRecord(tree, record, logger),
      },
      { ...config.kafka, instanceId: config.instanceId, session: randomUUID() },
    )
  } else {
    logger.warn('kafka.brokers is empty: running without Kafka (UNS_KAFKA_BROKERS)')
  }

  const health = (): HealthReport => {
    const kafka = bridge ? bridge.health() : { state: 'disabled' as const }
    return {
      ready:
        broker.listening && (kafka.state === 'disabled' || (kafka.state === 'connected' && kafka.restored)),
      mqtt: { listening: broker.listening, clients: broker.clients },
      kafka,
    }
  }

  let app: FastifyInstance
  let httpPort: number
  try {
    app = await buildApi({
      logger,
      health,
      metricsRegistry: metrics.registry,
      handleMqttStream: (stream) => broker.handleStream(stream),
      tree,
      stream: { throttleMs: config.api.streamThrottleMs },
      schemaRegistry: registry,
    })
    httpPort = await listenHttp(app, config.host, config.http.port)
  } catch (err) {
    await bridge?.close(0)
    await broker.close()
    throw err
  }
  logger.info({ host: config.host, port: httpPort }, 'HTTP listening')

  let closing: Promise<void> | undefined
  return {
    mqttPort: broker.port,
    httpPort,
    metrics,
    tree,
    registry,
    health,
    close: () =>
      (closing ??= (async () => {
        broker.stopAccepting()
        await app.close()
        // Flush before disconnecting clients, so that PUBACKs waiting for Kafka still go out.
        await bridge?.close(Math.max(0, config.shutdownTimeoutMs - 2000))
        await broker.close()
        await registry.close()
        logger.info('uns-bridge stopped')
      })()),
  }
}

async function listenHttp(app: FastifyInstance, host: string, port: number): Promise<number> {
  try {
    await app.listen({ host, port })
  } catch (err) {
    const e = err as NodeJS.ErrnoException
    await app.close()
    if (e.code === 'EADDRINUSE')
      throw new ListenPortInUse(['HTTP', port, host, 'UNS_HTTP_PORT'], { port, host })
    throw new ListenFailed(['HTTP', host, port, e.message], { port, host }, { cause: err })
  }
  const address = app.server.address()
  return typeof address === 'object' && address ? address.port : port
}

/** A value another instance (or this one before a restart) wrote to the state topic. */
function applyStateRecord(tree: NamespaceTree, record: StateRecord, logger: Logger): void {
  const receivedAt = Date.now()
  const payload = record.value === null ? undefined : parseUnsPayload(record.value, receivedAt)
  if (payload && !payload.ok) {
    logger.warn({ path: record.path, err: payload.error }, 'unreadable state record skipped')
    return
  }
  const p = payload?.value
  const applied = tree.apply({
    path: record.path,
    value: p?.value ?? null,
    timestamp: p?.timestamp ?? receivedAt,
    quality: p?.quality ?? 'good',
    source: record.headers.source ?? '',
    origin: record.headers.origin ?? '',
    ...(p?.datatype === undefined ? {} : { datatype: p.datatype }),
    ...(p === undefined ? { tombstone: true } : {}),
  })
  if (!applied.ok) logger.debug({ path: record.path, err: applied.error }, 'state record not applied')
}
