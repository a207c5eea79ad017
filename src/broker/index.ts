import type { Server } from 'node:net'
import type { Duplex } from 'node:stream'
import { Aedes, type PublishPacket } from 'aedes'
import { HookInvalid } from '../errors.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import type { OutgoingMessage } from '../uns/index.js'
import {
  authorizeForwardHook,
  authorizePublishHook,
  checkSubscribeHook,
  checkWillHook,
  publishedHook,
  type PublishHook,
} from './hooks.js'
import { observeBroker } from './events.js'
import { listenTcp } from './listen.js'
import { createRedisFabric, type RedisHealth } from './cluster.js'

export type { PublishHook, PublishOutcome } from './hooks.js'
export { topicProblem } from './topic-check.js'
export { createExternalBroker, openBrokerStream, type ExternalBrokerConfig } from './external.js'
export type { RedisHealth } from './cluster.js'

export interface BrokerConfig {
  readonly host: string
  readonly port: number
  readonly maxPayloadBytes: number
  /** Redis URL shared by every instance (decision 0050); empty: one process, in memory. */
  readonly redis?: string
}

/** The hooks a stage may add, by name (STYLE.md "Extension points"). */
export interface BrokerHooks {
  /** Every client PUBLISH, before it is acknowledged and delivered. One hook. */
  onPublish: PublishHook
}

export interface Broker {
  /** Bound MQTT/TCP port once listening (differs from the config when it was 0). */
  readonly port: number
  readonly listening: boolean
  readonly clients: number
  /** The Redis fabric; undefined in single-process mode. */
  readonly redis: RedisHealth | undefined
  addHook<K extends keyof BrokerHooks>(name: K, hook: BrokerHooks[K]): void
  /** Starts accepting MQTT connections over TCP. */
  listen(): Promise<void>
  /** Serves one MQTT connection over any duplex stream (the WebSocket endpoint uses it). */
  handleStream(stream: Duplex): void
  /** Publishes on behalf of the service: delivered to subscribers, never sent back through onPublish. */
  publish(message: OutgoingMessage): Promise<void>
  /** Stops accepting new connections; open ones keep working. */
  stopAccepting(): void
  /** Stops accepting, disconnects clients; idempotent. */
  close(): Promise<void>
}

/** Builds the broker without listening: add hooks, then `listen()`. */
export async function createBroker(
  deps: { logger: Logger; metrics: Metrics },
  config: BrokerConfig,
): Promise<Broker> {
  const logger = deps.logger.child({ stage: 'broker' })
  const hooks: Partial<BrokerHooks> = {}
  const after = new WeakMap<PublishPacket, readonly OutgoingMessage[]>()
  const publish = (message: OutgoingMessage): Promise<void> =>
    new Promise((resolve, reject) => {
      const packet: PublishPacket = { cmd: 'publish', dup: false, ...message }
      aedes.publish(packet, (err) => (err ? reject(err) : resolve()))
    })
  const fabric = config.redis ? createRedisFabric({ logger }, config.redis) : undefined
  const aedes = await Aedes.createBroker({
    ...(fabric ? fabric.options : {}),
    authorizePublish: authorizePublishHook(
      { logger, metrics: deps.metrics, onPublish: () => hooks.onPublish, after },
      config,
    ),
    authorizeSubscribe: checkSubscribeHook({ logger, metrics: deps.metrics }),
    preConnect: checkWillHook({ logger, metrics: deps.metrics }),
    authorizeForward: authorizeForwardHook(),
    published: publishedHook({ logger, after, publish }),
  })
  observeBroker(aedes, logger, deps.metrics)
  let server: Server | undefined
  let port = config.port
  let closing: Promise<void> | undefined
  let serverClosed: Promise<void> | undefined
  // The server's close callback only fires once aedes has ended the open connections.
  const stopAccepting = () =>
    (serverClosed ??= server ? new Promise<void>((res) => server?.close(() => res())) : Promise.resolve())

  return {
    get port() {
      return port
    },
    get listening() {
      return server?.listening === true
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
        ;({ server, port } = await listenTcp(
          (socket) => aedes.handle(socket),
          config.host,
          config.port,
          'MQTT',
          'UNS_MQTT_PORT',
        ))
      } catch (err) {
        await new Promise<void>((res) => aedes.close(() => res()))
        await fabric?.close()
        throw err
      }
      logger.info({ host: config.host, port }, 'MQTT listening')
    },
    handleStream: (stream) => void aedes.handle(stream),
    publish,
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
