// External-broker mode (issue 16): uns-bridge is a client of the plant's broker instead of being the
// broker. One mqtt.js session subscribes (QoS 1, persistent session) to the Sparkplug namespace and the
// configured UNS filters and hands each message to the same publish hook the embedded broker calls; the
// PUBACK to the broker goes only once the hook's `ack` settled (Kafka acknowledged), through mqtt.js
// `customHandleAcks`, so what the broker queued while we were down or Kafka was unreachable arrives later
// instead of being lost (at-least-once). See docs/decisions/0060-external-broker.md.
import { connect as netConnect, isIP } from 'node:net'
import type { Duplex } from 'node:stream'
import { connect as tlsConnect } from 'node:tls'
import { connect, type IClientOptions, type MqttClient } from 'mqtt'
import { HookInvalid } from '../errors.js'
import type { Broker } from './index.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import type { OutgoingMessage } from '../uns/index.js'
import type { PublishHook } from './hooks.js'

export interface ExternalBrokerConfig {
  /** mqtt://host:1883 or mqtts://host:8883 */
  readonly url: string
  readonly username?: string | undefined
  readonly password?: string | undefined
  /** PEM text of the CA, client certificate and key (mqtts). */
  readonly ca?: string | undefined
  readonly cert?: string | undefined
  readonly key?: string | undefined
  /** Client id of the ingest session; stable, so the broker keeps its session across restarts. */
  readonly clientId: string
  /** UNS filters besides `spBv1.0/#`. */
  readonly subscriptions: readonly string[]
  /** MQTT 5 shared-subscription group for the UNS filters (`$share/<group>/<filter>`); none when empty. */
  readonly sharedGroup?: string | undefined
  /** Session expiry the broker keeps our queued messages for while we are away, s. */
  readonly sessionExpirySeconds: number
  /** Messages the broker may have in flight to us at once (MQTT 5 Receive Maximum). */
  readonly receiveMaximum: number
  /** Publish derived UNS values back to the broker (retained). */
  readonly republish: boolean
  /** This instance's id: the `uns-origin` user property of what it publishes. */
  readonly instanceId: string
  readonly reconnectPeriodMs: number
}

export interface ExternalBroker {
  readonly connected: boolean
  /** Publishes on behalf of the service, tagged with `uns-origin` so our own session skips it. */
  publish(message: OutgoingMessage): Promise<void>
  close(): Promise<void>
}

/** The user property that marks what an instance published itself (loop prevention, decision 0060). */
export const ORIGIN_PROPERTY = 'uns-origin'

/** The filters the ingest session subscribes to; Sparkplug is never shared (one host sees all of it). */
export function ingestFilters(config: Pick<ExternalBrokerConfig, 'subscriptions' | 'sharedGroup'>): string[] {
  const share = config.sharedGroup ? `$share/${config.sharedGroup}/` : ''
  return ['spBv1.0/#', ...config.subscriptions.map((f) => share + f)]
}

export async function connectExternalBroker(
  deps: { logger: Logger; metrics: Metrics; onPublish: () => PublishHook | undefined },
  config: ExternalBrokerConfig,
): Promise<ExternalBroker> {
  const logger = deps.logger.child({ stage: 'external-broker' })
  const options: IClientOptions = {
    clientId: config.clientId,
    protocolVersion: 5,
    // A persistent session: QoS 1 messages the broker accepted while we were away are queued for us.
    clean: false,
    properties: {
      sessionExpiryInterval: config.sessionExpirySeconds,
      // Bounded in flight: the broker sends no more unacknowledged messages than this (back-pressure).
      receiveMaximum: config.receiveMaximum,
    },
    reconnectPeriod: config.reconnectPeriodMs,
    ...(config.username !== undefined ? { username: config.username } : {}),
    ...(config.password !== undefined ? { password: config.password } : {}),
    ...(config.ca !== undefined ? { ca: config.ca } : {}),
    ...(config.cert !== undefined ? { cert: config.cert } : {}),
    ...(config.key !== undefined ? { key: config.key } : {}),
    customHandleAcks: (topic, message, packet, done) => {
      // Derived values published by any uns-bridge instance (this one despite No Local, e.g. after a
      // reconnect, or a peer): acknowledge without ingesting. Every instance derives them from the
      // Sparkplug traffic it sees itself (decision 0060).
      if (packet.properties?.userProperties?.[ORIGIN_PROPERTY] !== undefined) return done(0)
      const hook = deps.onPublish()
      if (hook === undefined) return done(0)
      deps.metrics.mqttPublishes.inc({ qos: packet.qos })
      const startedAt = performance.now()
      const outcome = hook({
        topic,
        payload: Buffer.isBuffer(message) ? message : Buffer.from(message),
        qos: packet.qos,
        retain: packet.retain,
        // The external broker does not tell us who sent it.
        clientId: '',
      })
      const republish = () => {
        if (!config.republish) return
        for (const m of outcome.republish)
          void publish(m).catch((err: unknown) => logger.warn({ err, topic: m.topic }, 'republish failed'))
      }
      if (outcome.ack === undefined) {
        done(0)
        return republish()
      }
      outcome.ack.then(
        () => {
          deps.metrics.pubackDelay.observe((performance.now() - startedAt) / 1000)
          done(0)
          republish()
        },
        (err: unknown) => {
          // No PUBACK: drop the connection so the broker sends the message again from our session.
          logger.warn({ err, topic }, 'message not stored; reconnecting so the broker redelivers it')
          client.stream.destroy()
        },
      )
    },
  }
  const client: MqttClient = connect(config.url, options)
  const publish = async (m: OutgoingMessage): Promise<void> => {
    await client.publishAsync(m.topic, m.payload, {
      qos: m.qos,
      retain: m.retain,
      properties: { userProperties: { [ORIGIN_PROPERTY]: config.instanceId } },
    })
  }
  client.on('connect', (connack) => {
    logger.info(
      { url: config.url, sessionPresent: connack.sessionPresent },
      'connected to the external broker',
    )
    // Subscribing again with a session present is harmless and covers a session the broker dropped.
    const filters = Object.fromEntries(ingestFilters(config).map((f) => [f, { qos: 1 as const, nl: true }]))
    client.subscribe(filters, (err, granted) => {
      const refused = granted?.filter((g) => g.qos === 128).map((g) => g.topic) ?? []
      if (err || refused.length > 0) logger.warn({ err, refused }, 'external broker refused a subscription')
    })
  })
  client.on('error', (err) => logger.warn({ err }, 'external broker error'))
  client.on('offline', () => logger.warn({ url: config.url }, 'external broker unreachable'))
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  }).catch(async (err: unknown) => {
    await client.endAsync(true)
    throw err
  })
  let closing: Promise<void> | undefined
  return {
    get connected() {
      return client.connected
    },
    publish,
    close: () => (closing ??= client.endAsync()),
  }
}

/** The external session behind the embedded broker's surface, so src/index.ts wires either the same way. */
export function createExternalBroker(
  deps: { logger: Logger; metrics: Metrics },
  config: ExternalBrokerConfig,
): Broker {
  let hook: PublishHook | undefined
  let session: ExternalBroker | undefined
  let closing: Promise<void> | undefined
  return {
    port: 0,
    // Scale-out over Redis is the embedded broker's; the external broker carries the fabric itself.
    redis: undefined,
    get listening() {
      return session?.connected === true
    },
    clients: 0,
    addHook(name, h) {
      if (name !== 'onPublish') throw new HookInvalid([String(name), 'unknown hook name'], { name })
      if (hook !== undefined) throw new HookInvalid([name, 'already added'], { name })
      hook = h
    },
    async listen() {
      session = await connectExternalBroker({ ...deps, onPublish: () => hook }, config)
    },
    tlsPort: 0,
    // No MQTT over WebSocket here: clients use the plant's broker.
    handleStream: (stream) => void stream.destroy(),
    // The Sparkplug host opens its own session to the plant's broker (openBrokerStream).
    handleInternalStream: (stream) => void stream.destroy(),
    // Client certificates for the plant's broker are read at connect; there is no listener to reload.
    reloadTls() {},
    publish: async (m) => {
      if (session === undefined) throw new Error('not connected to the external broker')
      if (!config.republish && m.retain) return
      await session.publish(m)
    },
    stopAccepting() {},
    close: () => (closing ??= session?.close() ?? Promise.resolve()),
  }
}

/** Opens a socket to the external broker for the Sparkplug host's own session (MQTT 3.1.1 client). */
export function openBrokerStream(config: Pick<ExternalBrokerConfig, 'url' | 'ca' | 'cert' | 'key'>): Duplex {
  const u = new URL(config.url)
  const host = u.hostname.replace(/^\[|\]$/g, '')
  if (u.protocol === 'mqtts:') {
    return tlsConnect({
      host,
      port: Number(u.port || 8883),
      servername: isIP(host) ? undefined : host,
      ...(config.ca !== undefined ? { ca: config.ca } : {}),
      ...(config.cert !== undefined ? { cert: config.cert } : {}),
      ...(config.key !== undefined ? { key: config.key } : {}),
    })
  }
  return netConnect(Number(u.port || 1883), host)
}
