// createService wires the pipeline stages of PRODUCT.md §2 and owns their lifecycle.
import type { FastifyInstance } from 'fastify'
import { buildApi, type HealthReport } from './api/index.js'
import {
  createBridge,
  createKafkaClient,
  createRecordLocator,
  type Bridge,
  type StateRecord,
} from './bridge/index.js'
import { createDeadLetters, createHistory } from './history/index.js'
import { createBroker, topicNameProblem, type Broker } from './broker/index.js'
import type { Config } from './config/index.js'
import { ListenFailed, ListenPortInUse } from './errors.js'
import type { Logger } from './logger.js'
import { createMetrics, type Metrics } from './metrics.js'
import { createNamespaceTree, loadNamespace, parseUnsPayload, type NamespaceTree } from './namespace/index.js'
import { createPipeline } from './pipeline.js'
import { createServiceRegistry, type Registry } from './registry/index.js'
import { createSparkplugService, type SparkplugApi } from './sparkplug/index.js'
import { randomUUID } from 'node:crypto'

export interface Service {
  readonly mqttPort: number
  readonly httpPort: number
  readonly metrics: Metrics
  readonly tree: NamespaceTree
  readonly registry: Registry
  /** The Sparkplug host application: node list, rebirth and writes, for the API routes. */
  readonly sparkplug: SparkplugApi
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
  // Schema registry (issue 5): interim registry now, persistent one from kafka.topics.schemas in the background.
  const schemas = await createServiceRegistry(
    { logger, definition },
    {
      modelPolicy: config.registry.modelPolicy,
      ...(config.kafka.brokers.length === 0
        ? {}
        : { kafka: { ...config.kafka, topic: config.kafka.topics.schemas } }),
    },
  )
  const registry = schemas.registry
  let bridge: Bridge | undefined
  // The Sparkplug stage is created before the broker it publishes through (the broker's hook feeds it).
  const late: { broker?: Broker } = {}
  // History (issue 14): a reader client of its own that connects on the first read, the ring fed by the tree.
  const reader = config.kafka.brokers.length > 0 ? createKafkaClient(config.kafka, logger) : undefined
  const locate = createRecordLocator({ ...config.bridge, topics: config.kafka.topics }, (p) =>
    tree.classOf(p),
  )
  const history = createHistory(
    { logger, tree, ...(reader ? { kafka: reader, locate } : {}) },
    config.history,
  )
  const deadLetters = createDeadLetters(
    { logger, ...(reader ? { kafka: reader } : {}) },
    {
      ringSize: config.history.deadLetters,
      topic: config.kafka.topics.dlq,
      scanMaxMs: config.history.scanMaxMs,
    },
  )
  const pipeline = createPipeline(
    {
      logger,
      metrics,
      tree,
      registry,
      deadLetters,
      get bridge() {
        return bridge
      },
      get sparkplug() {
        return sparkplug
      },
    },
    config,
  )
  const sparkplug = createSparkplugService(
    {
      logger,
      metrics,
      tree,
      mapping: definition.sparkplug,
      accept: (message, event, receivedAt, headers) => pipeline.accept(message, event, receivedAt, headers),
      deadLetter: (message, rejection, receivedAt) => pipeline.refuse(message, rejection, receivedAt),
      raw: (message, receivedAt) => bridge?.sparkplugRaw(message, receivedAt),
      publishInternal: (m) =>
        late.broker ? late.broker.publish(m) : Promise.reject(new Error('broker not started')),
      serveStream: (stream) => late.broker?.handleStream(stream),
    },
    { ...config.sparkplug, instanceId: config.instanceId },
  )

  const mqtt: Broker = await createBroker(
    { logger, metrics, onPublish: (message) => pipeline.onPublish(message) },
    { host: config.host, port: config.mqtt.port, maxPayloadBytes: config.mqtt.maxPayloadBytes },
  )
  late.broker = mqtt
  if (config.kafka.brokers.length > 0) {
    bridge = createBridge(
      {
        logger,
        metrics,
        publish: (m) => mqtt.publish(m),
        topicProblem: topicNameProblem,
        write: (path, payload) => sparkplug.fromCommand(path, payload),
        onStateRecord: (record) => applyStateRecord(tree, record, logger),
        classOf: (path) => tree.classOf(path),
      },
      { ...config.kafka, ...config.bridge, instanceId: config.instanceId, session: randomUUID() },
    )
  } else {
    logger.warn('kafka.brokers is empty: running without Kafka (UNS_KAFKA_BROKERS)')
  }

  const health = (): HealthReport => {
    const kafka = bridge ? bridge.health() : { state: 'disabled' as const }
    const registryHealth = schemas.health()
    return {
      ready:
        mqtt.listening &&
        registryHealth.ready &&
        (kafka.state === 'disabled' || (kafka.state === 'connected' && kafka.restored)),
      mqtt: { listening: mqtt.listening, clients: mqtt.clients },
      kafka,
      registry: registryHealth,
    }
  }

  let app: FastifyInstance
  let httpPort: number
  try {
    app = await buildApi({
      logger,
      health,
      metricsRegistry: metrics.registry,
      handleMqttStream: (stream) => mqtt.handleStream(stream),
      tree,
      stream: { throttleMs: config.api.streamThrottleMs },
      schemaRegistry: registry,
      sparkplug,
      history: { history, deadLetters },
    })
    const api = app
    metrics.bindSources({
      tree: () => tree.stats(),
      sparkplugNodes: () => sparkplug.nodes(),
      sseClients: () => api.streamClients(),
    })
    httpPort = await listenHttp(app, config.host, config.http.port)
    await sparkplug.start()
  } catch (err) {
    await sparkplug.close()
    await bridge?.close(0)
    await mqtt.close()
    await schemas.close()
    history.close()
    await reader?.close()
    throw err
  }
  logger.info({ host: config.host, port: httpPort }, 'HTTP listening')

  let closing: Promise<void> | undefined
  return {
    mqttPort: mqtt.port,
    httpPort,
    metrics,
    tree,
    registry,
    sparkplug,
    health,
    close: () =>
      (closing ??= (async () => {
        mqtt.stopAccepting()
        await app.close()
        // STATE offline before the broker goes [tck-id-host-topic-phid-death-payload-timestamp-disconnect-clean].
        await sparkplug.close()
        // Flush before disconnecting clients, so that PUBACKs waiting for Kafka still go out.
        await bridge?.close(Math.max(0, config.shutdownTimeoutMs - 2000))
        await mqtt.close()
        await schemas.close()
        history.close()
        await reader?.close()
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
