import type { Server } from 'node:net'
import type { Duplex } from 'node:stream'
import { Aedes, type PublishPacket } from 'aedes'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import { authorizePublishHook, type PublishHook } from './hooks.js'
import { observeBroker } from './events.js'
import { listenTcp } from './listen.js'

export type { MqttMessage, PublishHook } from './hooks.js'
export { topicNameProblem } from './hooks.js'

export interface BrokerConfig {
  readonly host: string
  readonly port: number
  readonly maxPayloadBytes: number
}

export interface OutgoingMessage {
  readonly topic: string
  readonly payload: Buffer
  readonly qos: 0 | 1
  readonly retain: boolean
}

export interface Broker {
  /** Bound MQTT/TCP port (differs from the config when it was 0). */
  readonly port: number
  readonly listening: boolean
  readonly clients: number
  /** Serves one MQTT connection over any duplex stream (the WebSocket endpoint uses it). */
  handleStream(stream: Duplex): void
  /** Publishes on behalf of the service: delivered to subscribers, never sent back through onPublish. */
  publish(message: OutgoingMessage): Promise<void>
  /** Stops accepting new connections; open ones keep working. */
  stopAccepting(): void
  /** Stops accepting, disconnects clients; idempotent. */
  close(): Promise<void>
}

export async function createBroker(
  deps: { logger: Logger; metrics: Metrics; onPublish: PublishHook },
  config: BrokerConfig,
): Promise<Broker> {
  const logger = deps.logger.child({ stage: 'broker' })
  const aedes = await Aedes.createBroker({
    authorizePublish: authorizePublishHook({ ...deps, logger }, config),
  })
  observeBroker(aedes, logger, deps.metrics)
  let server: Server
  let port: number
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
    throw err
  }
  logger.info({ host: config.host, port }, 'MQTT listening')
  let closing: Promise<void> | undefined
  let serverClosed: Promise<void> | undefined
  // The server's close callback only fires once aedes has ended the open connections.
  const stopAccepting = () => (serverClosed ??= new Promise<void>((res) => server.close(() => res())))

  return {
    port,
    get listening() {
      return server.listening
    },
    get clients() {
      return aedes.connectedClients
    },
    handleStream: (stream) => void aedes.handle(stream),
    publish: (message) =>
      new Promise((resolve, reject) => {
        const packet: PublishPacket = { cmd: 'publish', dup: false, ...message }
        aedes.publish(packet, (err) => (err ? reject(err) : resolve()))
      }),
    stopAccepting: () => void stopAccepting(),
    close: () =>
      (closing ??= (async () => {
        const stopped = stopAccepting()
        await new Promise<void>((res) => aedes.close(() => res()))
        await stopped
        logger.info('MQTT closed')
      })()),
  }
}
