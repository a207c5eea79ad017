// createService wires the pipeline stages of PRODUCT.md §2 and owns their lifecycle.
import type { FastifyInstance } from 'fastify'
import { buildApi, type HealthReport } from './api/index.js'
import { createBridge, type Bridge } from './bridge/index.js'
import { createBroker, topicNameProblem, type Broker } from './broker/index.js'
import type { Config } from './config/index.js'
import { ListenFailed, ListenPortInUse } from './errors.js'
import type { Logger } from './logger.js'
import { createMetrics, type Metrics } from './metrics.js'
import { createNamespaceTree, loadNamespace, type NamespaceTree } from './namespace/index.js'
import { createPipeline, restoreStateRecord } from './pipeline.js'
import { createServiceRegistry, type Registry } from './registry/index.js'
import { createSecurity } from './security/index.js'
import { createSparkplugService, type SparkplugApi } from './sparkplug/index.js'
import { randomUUID } from 'node:crypto'

export interface Service {
  /** Plain MQTT/TCP port; 0 with `mqtt.plaintext: false`. */
  readonly mqttPort: number
  /** MQTT/TLS port; 0 without `mqtt.tls`. */
  readonly mqttTlsPort: number
  readonly httpPort: number
  readonly metrics: Metrics
  readonly tree: NamespaceTree
  readonly registry: Registry
  /** The Sparkplug host application: node list, rebirth and writes, for the API routes. */
  readonly sparkplug: SparkplugApi
  health(): HealthReport
  /**
   * Reads the TLS certificate files again (SIGHUP): new connections use them, open ones are kept. A missing
   * or bad file is logged and the previous certificates stay in use.
   */
  reloadTls(): void
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
  // Build every stage first, then wire them with plain values (STYLE.md rule 13).
  const security = await createSecurity(
    { logger: logger.child({ stage: 'security' }), auditCounter: metrics.auditEvents },
    { security: config.security, sparkplugHostId: config.sparkplug.hostId },
  )
  const mqtt: Broker = await createBroker(
    { logger, metrics, security },
    {
      host: config.host,
      port: config.mqtt.port,
      plaintext: config.mqtt.plaintext,
      maxPayloadBytes: config.mqtt.maxPayloadBytes,
      tls: config.mqtt.tls,
      limits: config.security.limits,
      certificateIdentity: config.security.certificateIdentity,
    },
  )
  const sparkplug = createSparkplugService(
    {
      logger,
      metrics,
      tree,
      mapping: definition.sparkplug,
      publish: mqtt.publish,
      // The host's own session: in-process, so it may publish our STATE (only it may) and NCMD/DCMD.
      serveStream: (stream) => mqtt.handleInternalStream(stream, 'sparkplug-host'),
    },
    { ...config.sparkplug, instanceId: config.instanceId },
  )
  let bridge: Bridge | undefined
  if (config.kafka.brokers.length > 0) {
    bridge = createBridge(
      {
        logger,
        metrics,
        publish: mqtt.publish,
        topicProblem: topicNameProblem,
        write: sparkplug.fromCommand,
        onStateRecord: (record) => restoreStateRecord(tree, record, logger),
      },
      { ...config.kafka, ...config.bridge, instanceId: config.instanceId, session: randomUUID() },
    )
  } else {
    logger.warn('kafka.brokers is empty: running without Kafka (UNS_KAFKA_BROKERS)')
  }
  const pipeline = createPipeline(
    { logger, metrics, tree, registry, sparkplug, bridge, publish: mqtt.publish },
    { instanceId: config.instanceId },
  )
  mqtt.addHook('onPublish', pipeline.handle)

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
    })
    const api = app
    metrics.bindSources({
      tree: () => tree.stats(),
      sparkplugNodes: () => sparkplug.nodes(),
      sseClients: () => api.streamClients(),
    })
    await mqtt.listen()
    httpPort = await listenHttp(app, config.host, config.http.port)
    await sparkplug.start()
  } catch (err) {
    await sparkplug.close()
    await bridge?.close(0)
    await mqtt.close()
    await schemas.close()
    throw err
  }
  logger.info({ host: config.host, port: httpPort }, 'HTTP listening')

  let closing: Promise<void> | undefined
  return {
    mqttPort: mqtt.port,
    mqttTlsPort: mqtt.tlsPort,
    httpPort,
    metrics,
    tree,
    registry,
    sparkplug,
    health,
    reloadTls() {
      try {
        mqtt.reloadTls()
      } catch (err) {
        logger.error({ err }, 'TLS certificates not reloaded; the previous ones stay in use')
      }
    },
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
