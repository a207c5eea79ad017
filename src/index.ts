// createService wires the pipeline stages of PRODUCT.md §2 and owns their lifecycle.
import type { FastifyInstance } from 'fastify'
import { buildApi, type HealthReport, type ReadinessPart } from './api/index.js'
import { createBridge, createRecordLocator, type Bridge } from './bridge/index.js'
import { createDeadLetters, createHistory } from './history/index.js'
import { createKafkaClient } from './kafka/index.js'
import {
  createBroker,
  createExternalBroker,
  openBrokerStream,
  topicProblem,
  type Broker,
} from './broker/index.js'
import { readFileSync } from 'node:fs'
import type { Config } from './config/index.js'
import { ListenFailed, ListenPortInUse } from './errors.js'
import type { Logger } from './logger.js'
import { createMetrics, type Metrics } from './metrics.js'
import { createNamespaceTree, loadNamespace, type NamespaceTree } from './namespace/index.js'
import { createCommandWriter, createPipeline, restoreStateRecord } from './pipeline.js'
import { createServiceRegistry, type Registry } from './registry/index.js'
import { createReloadableTls, createSecurity } from './security/index.js'
import { createSharedNodeView, createSparkplugService, type SparkplugApi } from './sparkplug/index.js'
import { randomUUID } from 'node:crypto'
import type { Server as TlsServer } from 'node:tls'

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
  // mqtt.external picks the mode (issue 16): a client of the plant's broker, or the embedded broker.
  const ext = config.mqtt.external
  const pem = (path: string | undefined) => (path === undefined ? undefined : readFileSync(path, 'utf8'))
  const extConfig = ext && {
    ...ext,
    ca: pem(ext.ca),
    cert: pem(ext.cert),
    key: pem(ext.key),
    instanceId: config.instanceId,
    reconnectPeriodMs: 1000,
  }
  const mqtt: Broker = extConfig
    ? createExternalBroker({ logger, metrics }, extConfig)
    : await createBroker(
        { logger, metrics, security },
        {
          host: config.host,
          port: config.mqtt.port,
          plaintext: config.mqtt.plaintext,
          maxPayloadBytes: config.mqtt.maxPayloadBytes,
          tls: config.mqtt.tls,
          limits: config.security.limits,
          certificateIdentity: config.security.certificateIdentity,
          redis: config.cluster.redis,
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
      serveStream: (stream, actsOn) => mqtt.handleInternalStream(stream, 'sparkplug-host', actsOn),
      knownElsewhere: (group: string, edge: string) =>
        nodeView?.nodes().some((n) => n.group === group && n.edge === edge) === true,
      ...(extConfig
        ? {
            openStream: () => openBrokerStream(extConfig),
            credentials: { username: extConfig.username, password: extConfig.password },
          }
        : {}),
    },
    { ...config.sparkplug, instanceId: config.instanceId },
  )
  // With Redis (decision 0050) the node view shows the whole plant from any instance.
  const nodeView =
    config.cluster.redis && !extConfig
      ? createSharedNodeView(
          { logger, local: () => sparkplug.nodes() },
          { url: config.cluster.redis, intervalMs: 1000 },
        )
      : undefined
  let bridge: Bridge | undefined
  if (config.kafka.brokers.length > 0) {
    bridge = createBridge(
      {
        logger,
        metrics,
        publish: mqtt.publish,
        topicProblem: topicProblem,
        write: createCommandWriter(
          { security, fromCommand: sparkplug.fromCommand },
          { kafkaRoles: config.security.kafkaRoles },
        ),
        onStateRecord: (record) => restoreStateRecord(tree, record, logger),
        // After an outage the registry's retry delay may have grown to kafka.reconnectMaxMs; readiness
        // should follow Kafka's return, not that delay (issue 11 item 8).
        onKafkaConnected: () => schemas.retryNow(),
      },
      {
        ...config.kafka,
        ...config.bridge,
        topics: { ...config.kafka.topics, audit: config.security.audit.topic },
        instanceId: config.instanceId,
        session: randomUUID(),
      },
    )
    // The audit trail to Kafka (security.audit.topic); the bridge exists only now.
    security.audit.addSink(bridge.audit)
  } else {
    logger.warn('kafka.brokers is empty: running without Kafka (UNS_KAFKA_BROKERS)')
  }
  // History and dead letters (issue 14): a reader client of its own that connects on the first read.
  const reader =
    config.kafka.brokers.length > 0
      ? createKafkaClient(config.kafka, logger.child({ stage: 'history', component: 'kafkajs' }))
      : undefined
  // The class of a declared tag picks its default route; undeclared paths have none.
  const classOf = (path: string): string | undefined => {
    try {
      return tree.node(path).definition.class
    } catch {
      return undefined
    }
  }
  const locate = createRecordLocator({ ...config.bridge, topics: config.kafka.topics }, classOf)
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
    { logger, metrics, tree, registry, sparkplug, bridge, publish: mqtt.publish, deadLetters },
    { instanceId: config.instanceId },
  )
  mqtt.addHook('onPublish', pipeline.handle)

  const health = (): HealthReport => {
    const kafka = bridge ? bridge.health() : undefined
    const registryHealth = schemas.health()
    const waitingFor: ReadinessPart[] = []
    if (!mqtt.listening) waitingFor.push('mqtt')
    if (kafka && kafka.state !== 'connected') waitingFor.push('kafka')
    if (kafka && !kafka.restored) waitingFor.push('state')
    if (!registryHealth.ready) waitingFor.push('registry')
    const redis = mqtt.redis
    if (redis && redis.state !== 'ready') waitingFor.push('redis')
    return {
      ready: waitingFor.length === 0,
      waitingFor,
      mqtt: { listening: mqtt.listening, clients: mqtt.clients },
      kafka: kafka ?? { state: 'disabled' },
      registry: registryHealth,
      ...(redis ? { redis } : {}),
    }
  }

  // HTTPS and WSS on the HTTP port; the files are read (and checked) here, again on SIGHUP.
  const httpTls = config.http.tls === undefined ? undefined : createReloadableTls(config.http.tls, 'http.tls')
  let app: FastifyInstance
  let httpPort: number
  try {
    app = await buildApi({
      logger,
      health,
      metricsRegistry: metrics.registry,
      handleMqttStream: (stream) => mqtt.handleStream(stream),
      tree,
      stream: {
        throttleMs: config.api.streamThrottleMs,
        maxStreams: config.security.limits.sseStreams,
        refused: metrics.sseRefused,
      },
      schemaRegistry: registry,
      sparkplug: nodeView ? { ...sparkplug, nodes: nodeView.nodes } : sparkplug,
      history: { history, deadLetters },
      security,
      http: {
        ...(httpTls === undefined ? {} : { https: httpTls.serverOptions() }),
        websocketOrigins: config.http.websocketOrigins,
        publicMetrics: config.security.publicMetrics,
      },
    })
    httpTls?.attach(app.server as unknown as TlsServer)
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
    await nodeView?.close()
    await sparkplug.close()
    await bridge?.close(0)
    await mqtt.close()
    await schemas.close()
    history.close()
    await reader?.close()
    throw err
  }
  logger.info(
    { host: config.host, port: httpPort, tls: httpTls !== undefined },
    httpTls === undefined ? 'HTTP listening' : 'HTTPS listening',
  )

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
      // Each listener keeps its previous certificates when its own files are bad.
      const reloads: [string, () => void][] = [
        ['mqtt.tls', () => mqtt.reloadTls()],
        ['http.tls', () => httpTls?.reload()],
      ]
      for (const [setting, reload] of reloads) {
        try {
          reload()
        } catch (err) {
          logger.error({ err, setting }, 'TLS certificates not reloaded; the previous ones stay in use')
        }
      }
    },
    close: () =>
      (closing ??= (async () => {
        mqtt.stopAccepting()
        await app.close()
        await nodeView?.close()
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
