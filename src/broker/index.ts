import type { IncomingMessage } from 'node:http'
import { createServer, type Server } from 'node:net'
import type { Duplex } from 'node:stream'
import { createServer as createTlsServer, type TLSSocket } from 'node:tls'
import { Aedes, type PublishPacket } from 'aedes'
import { HookInvalid } from '../errors.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import {
  createReloadableTls,
  type CertificateIdentityMode,
  type ReloadableTls,
  type Security,
  type TlsFilesConfig,
} from '../security/index.js'
import type { OutgoingMessage } from '../uns/index.js'
import { createClientAccess, socketAddress, type BrokerLimits } from './client-access.js'
import {
  authorizeForwardHook,
  authorizePublishHook,
  checkSubscribeHook,
  checkWillHook,
  createWillTurns,
  publishedHook,
  type PublishHook,
} from './hooks.js'
import { observeBroker } from './events.js'
import { listenOn } from './listen.js'
import { createRedisFabric, type RedisHealth } from './cluster.js'

export type { PublishHook, PublishOutcome } from './hooks.js'
export type { BrokerLimits } from './client-access.js'
export { topicProblem } from './topic-check.js'
export { createExternalBroker, openBrokerStream, type ExternalBrokerConfig } from './external.js'
export type { RedisHealth } from './cluster.js'

export interface BrokerConfig {
  readonly host: string
  /** Plain MQTT over TCP. */
  readonly port: number
  /** Whether the plain TCP listener runs (`mqtt.plaintext`); false leaves TLS and WebSocket only. */
  readonly plaintext: boolean
  readonly maxPayloadBytes: number
  /** `mqtt.tls`: the MQTT over TLS listener; absent: none. */
  readonly tls?: (TlsFilesConfig & { readonly port: number }) | undefined
  /** `security.limits`. */
  readonly limits: BrokerLimits
  /** `security.certificateIdentity`. */
  readonly certificateIdentity: CertificateIdentityMode
  /** Redis URL shared by every instance (decision 0050); empty: one process, in memory. */
  readonly redis?: string
}

/** The hooks a stage may add, by name (STYLE.md "Extension points"). */
export interface BrokerHooks {
  /** Every client PUBLISH, before it is acknowledged and delivered. One hook. */
  onPublish: PublishHook
}

export interface Broker {
  /** Bound MQTT/TCP port once listening (differs from the config when it was 0); 0 without plaintext. */
  readonly port: number
  /** Bound MQTT/TLS port once listening; 0 without `mqtt.tls`. */
  readonly tlsPort: number
  /** Every configured listener is listening. */
  readonly listening: boolean
  readonly clients: number
  /** The Redis fabric; undefined in single-process mode. */
  readonly redis: RedisHealth | undefined
  addHook<K extends keyof BrokerHooks>(name: K, hook: BrokerHooks[K]): void
  /** Starts accepting MQTT connections over TCP and TLS. */
  listen(): Promise<void>
  /**
   * Serves one MQTT connection from the network over any duplex stream (the WebSocket endpoint); it
   * authenticates like any client. `request`: the HTTP upgrade request, for the client's address.
   */
  handleStream(stream: Duplex, request?: IncomingMessage): void
  /**
   * Serves one of uns-bridge's own in-process clients (the Sparkplug host's stream pair): it connects as
   * `internalIdentity(name)`, outside the rules and limits. Never give it a stream from the network.
   * `actsOn`: the topics whose deliveries it reads; the broker writes it no others (decision 0062).
   */
  handleInternalStream(stream: Duplex, name: string, actsOn?: (topic: string) => boolean): void
  /** Publishes on behalf of the service: delivered to subscribers, never sent back through onPublish. */
  publish(message: OutgoingMessage): Promise<void>
  /**
   * Reads the `mqtt.tls` files again for new connections; open ones keep theirs (SIGHUP). Throws
   * UNS_ERR_SECURITY_TLS_* and keeps the old certificates when a file is missing or bad; no-op without TLS.
   */
  reloadTls(): void
  /** Stops accepting new connections; open ones keep working. */
  stopAccepting(): void
  /** Stops accepting, disconnects clients; idempotent. */
  close(): Promise<void>
}

/** Builds the broker without listening: add hooks, then `listen()`. */
export async function createBroker(
  deps: { logger: Logger; metrics: Metrics; security: Security },
  config: BrokerConfig,
): Promise<Broker> {
  const logger = deps.logger.child({ stage: 'broker' })
  const hooks: Partial<BrokerHooks> = {}
  const after = new WeakMap<PublishPacket, readonly OutgoingMessage[]>()
  const willTurns = createWillTurns()
  const access = createClientAccess(
    { security: deps.security, metrics: deps.metrics, logger },
    { limits: config.limits, certificateIdentity: config.certificateIdentity },
  )
  // Read before anything listens: a missing or bad file stops the start with the file's name.
  const tls: ReloadableTls | undefined =
    config.tls === undefined ? undefined : createReloadableTls(config.tls, 'mqtt.tls')
  const publish = (message: OutgoingMessage): Promise<void> =>
    new Promise((resolve, reject) => {
      const packet: PublishPacket = { cmd: 'publish', dup: false, ...message }
      aedes.publish(packet, (err) => (err ? reject(err) : resolve()))
    })
  const fabric = config.redis ? createRedisFabric({ logger }, config.redis) : undefined
  const aedes = await Aedes.createBroker({
    ...(fabric ? fabric.options : {}),
    // aedes' ceiling: deeper topics are refused by aedes before any hook (GHSA-xxqp-5qx8-gj5q) and counted
    // in events.ts; security.limits.topicMaxLevels refuses from its own, lower, value in the hooks.
    maxTopicLevels: 100,
    // No queue in mqemitter (aedes passes `concurrency` to it; default 100): its queue drains as one nested
    // call per queued publish whose handlers finish at once, and a burst overflowed the stack (decision 0061).
    // Each publisher keeps its own back-pressure: aedes reads a client's next chunk only when this one's
    // publishes are done. mqemitter-redis (cluster.redis) has no queue either.
    concurrency: 0,
    authenticate: access.authenticate,
    authorizePublish: authorizePublishHook(
      {
        logger,
        metrics: deps.metrics,
        onPublish: () => hooks.onPublish,
        after,
        access,
        willTurns,
        // A stored Will carries the id of its client and broker (aedes-persistence putWill).
        dropStoredWill: (will) => {
          const { clientId, brokerId } = will as unknown as { clientId: string; brokerId: string }
          const { persistence } = aedes as unknown as {
            persistence: { delWill(c: { id: string; brokerId: string }): Promise<unknown> }
          }
          persistence.delWill({ id: clientId, brokerId }).catch(() => {})
        },
      },
      { maxPayloadBytes: config.maxPayloadBytes, inflightQos1: config.limits.inflightQos1 },
    ),
    authorizeSubscribe: checkSubscribeHook({ logger, metrics: deps.metrics }, access.authorizeSubscribe),
    preConnect: checkWillHook({ logger, metrics: deps.metrics }),
    authorizeForward: authorizeForwardHook(access.forward),
    published: publishedHook({ logger, after, publish, willTurns }),
  })
  observeBroker(aedes, logger, deps.metrics, access)

  // Connections beyond the total are closed at accept, before any byte is parsed (and counted).
  const limitAccept = (server: Server, what: string): Server => {
    server.maxConnections = config.limits.mqttConnections
    server.on('drop', (data) =>
      access.refusedConnection(
        socketAddress({ remoteAddress: data?.remoteAddress, remotePort: data?.remotePort }),
        'connection_limit',
        `${config.limits.mqttConnections} ${what} connections are open (security.limits.mqttConnections)`,
      ),
    )
    return server
  }
  const servers: { server: Server; what: string; port: number; setting: string }[] = []
  if (config.plaintext) {
    servers.push({
      server: limitAccept(
        createServer((socket) => aedes.handle(socket)),
        'MQTT',
      ),
      what: 'MQTT',
      port: config.port,
      setting: 'UNS_MQTT_PORT',
    })
  }
  if (tls !== undefined && config.tls !== undefined) {
    const server = createTlsServer(tls.serverOptions(), (socket) => aedes.handle(socket))
    tls.attach(server)
    // A plain TCP client, a failed handshake or (clientCertificates: required) no valid client certificate.
    server.on('tlsClientError', (err: Error, socket: TLSSocket) =>
      access.refusedConnection(
        socketAddress(socket),
        'tls_handshake',
        `TLS handshake failed: ${err.message}`,
      ),
    )
    servers.push({
      server: limitAccept(server, 'MQTT/TLS'),
      what: 'MQTT/TLS',
      port: config.tls.port,
      setting: 'UNS_MQTT_TLS_PORT',
    })
  }
  aedes.on('publish', (packet) => access.notePublished(packet.topic, packet.retain, packet.payload.length))

  let closing: Promise<void> | undefined
  let serversClosed: Promise<void> | undefined
  let listened = false
  // A server's close callback only fires once aedes has ended its open connections.
  const stopAccepting = () =>
    (serversClosed ??= Promise.all(
      servers.map(
        ({ server }) => new Promise<void>((res) => (server.listening ? server.close(() => res()) : res())),
      ),
    ).then(() => undefined))
  const boundPort = (what: string) => servers.find((s) => s.what === what)?.port ?? 0

  return {
    get port() {
      return boundPort('MQTT')
    },
    get tlsPort() {
      return boundPort('MQTT/TLS')
    },
    get listening() {
      return listened && servers.every(({ server }) => server.listening)
    },
    get clients() {
      return aedes.connectedClients
    },
    get redis() {
      return fabric?.health()
    },
    addHook(name, hook) {
      if (name !== 'onPublish') throw new HookInvalid([String(name), 'unknown hook name'], { name })
      if (typeof hook !== 'function') throw new HookInvalid([name, 'not a function'], { name })
      if (hooks[name] !== undefined) throw new HookInvalid([name, 'already added'], { name })
      hooks[name] = hook
    },
    async listen() {
      try {
        for (const s of servers) {
          s.port = (await listenOn(s.server, config.host, s.port, s.what, s.setting)).port
          logger.info({ host: config.host, port: s.port }, `${s.what} listening`)
        }
      } catch (err) {
        await stopAccepting()
        await new Promise<void>((res) => aedes.close(() => res()))
        await fabric?.close()
        throw err
      }
      listened = true
    },
    handleStream: (stream, request) => void aedes.handle(stream, request),
    handleInternalStream(stream, name, actsOn) {
      access.markInternal(stream, name, actsOn)
      aedes.handle(stream)
    },
    publish,
    reloadTls() {
      if (tls === undefined) return
      tls.reload()
      logger.info({ cert: config.tls?.cert }, 'MQTT/TLS certificates reloaded')
    },
    stopAccepting: () => void stopAccepting(),
    close: () =>
      (closing ??= (async () => {
        const stopped = stopAccepting()
        await new Promise<void>((res) => aedes.close(() => res()))
        await fabric?.close()
        await stopped
        logger.info('MQTT closed')
      })()),
  }
}
