// External-broker mode (issue 16): uns-bridge is a client of the plant's broker instead of being the
// broker. One mqtt.js session subscribes (QoS 1, persistent session) to the Sparkplug namespace and the
// configured UNS filters and hands each message to the same publish hook the embedded broker calls; the
// PUBACK to the broker goes only once the hook's `ack` settled (Kafka acknowledged), in order, with up to
// `receiveMaximum` messages in flight, so what the broker queued while we were down or Kafka was
// unreachable arrives later instead of being lost (at-least-once). See docs/decisions/0060-external-broker.md.
import { connect as netConnect, isIP } from 'node:net'
import type { Duplex } from 'node:stream'
import { connect as tlsConnect } from 'node:tls'
import { connect, type IClientOptions, type IPublishPacket, type MqttClient } from 'mqtt'
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
  /** Messages in flight to us at once: our MQTT 5 Receive Maximum and the size of the ack window. */
  readonly receiveMaximum: number
  /** Publish derived UNS values back to the broker (retained). */
  readonly republish: boolean
  /** Ingest `spBv1.0/#` on this instance (decision 0060: exactly one of several instances does). */
  readonly sparkplug: boolean
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

/**
 * The filters the ingest session subscribes to. Sparkplug is never shared: a host needs all of
 * `spBv1.0/#` [tck-id-message-flow-phid-sparkplug-subscription] to follow each edge's seq and aliases.
 */
export function ingestFilters(
  config: Pick<ExternalBrokerConfig, 'subscriptions' | 'sharedGroup' | 'sparkplug'>,
): string[] {
  const share = config.sharedGroup ? `$share/${config.sharedGroup}/` : ''
  return [...(config.sparkplug ? ['spBv1.0/#'] : []), ...config.subscriptions.map((f) => share + f)]
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
  }
  // Several messages in flight (decision 0060). mqtt.js reads the next packet only once the current one's
  // callback ran, and that callback also sends the PUBACK (customHandleAcks and handleMessage alike), so
  // waiting there for Kafka allows one message in flight per session. Instead every message goes to
  // `handleMessage`, which releases mqtt.js at once without its PUBACK (a callback with an error skips it)
  // and keeps the message in `window`; PUBACKs go out from the head of the window, in the order the
  // PUBLISHes came [MQTT-4.6.0-2], each once its Kafka ack settled. At most `receiveMaximum` wait: with a
  // full window mqtt.js is not released, so the socket is not read (back-pressure on top of Receive Maximum).
  interface Pending {
    readonly messageId: number
    settled: boolean
  }
  let window: Pending[] = []
  // Bumped on every close: acks of an earlier connection must never become PUBACKs on a later one, where
  // the same packet id may name another message.
  let generation = 0
  let held: (() => void) | undefined
  const SKIP_PUBACK = new Error('PUBACK sent by the ack window')
  // mqtt.js has no public call to send a PUBACK later; `_sendPacket` is its internal writer (mqtt 5.x).
  const sendPuback = (messageId: number) =>
    (client as unknown as { _sendPacket(p: object): void })._sendPacket({
      cmd: 'puback',
      messageId,
      reasonCode: 0,
    })
  const flush = () => {
    while (window[0]?.settled === true) {
      const head = window.shift() as Pending
      if (client.connected) sendPuback(head.messageId)
    }
    if (held !== undefined && window.length < config.receiveMaximum) {
      const release = held
      held = undefined
      release()
    }
  }
  const ingest = (packet: IPublishPacket): Promise<void> | undefined => {
    // Derived values published by any uns-bridge instance (this one despite No Local, e.g. after a
    // reconnect, or a peer): acknowledged without ingesting. Every instance derives them from the
    // Sparkplug traffic it sees itself (decision 0060).
    if (packet.properties?.userProperties?.[ORIGIN_PROPERTY] !== undefined) return undefined
    const hook = deps.onPublish()
    if (hook === undefined) return undefined
    deps.metrics.mqttPublishes.inc({ qos: packet.qos })
    const startedAt = performance.now()
    const outcome = hook({
      topic: packet.topic,
      payload: Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload),
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
      republish()
      return undefined
    }
    return outcome.ack.then(() => {
      if (packet.qos > 0) deps.metrics.pubackDelay.observe((performance.now() - startedAt) / 1000)
      republish()
    })
  }
  const handleMessage = (packet: IPublishPacket, release: (err?: Error) => void): void => {
    const ack = ingest(packet)
    // QoS 0 (Sparkplug NBIRTH/NDATA/DBIRTH/DDATA [tck-id-payloads-nbirth-qos, tck-id-payloads-ndata-qos]):
    // nothing to acknowledge; a failed Kafka write is counted by the bridge.
    if (packet.qos === 0 || packet.messageId === undefined) {
      ack?.catch(() => {})
      return release()
    }
    const entry: Pending = { messageId: packet.messageId, settled: ack === undefined }
    const mine = generation
    window.push(entry)
    ack?.then(
      () => {
        if (mine !== generation) return
        entry.settled = true
        flush()
      },
      (err: unknown) => {
        if (mine !== generation) return
        // No PUBACK: drop the connection so the broker sends it (and all after it) again from our session.
        logger.warn(
          { err, topic: packet.topic },
          'message not stored; reconnecting so the broker redelivers it',
        )
        client.stream.destroy()
      },
    )
    if (window.length < config.receiveMaximum) release(SKIP_PUBACK)
    else held = () => release(SKIP_PUBACK)
    if (entry.settled) flush()
  }
  const client: MqttClient = connect(config.url, options)
  client.handleMessage = handleMessage
  client.on('close', () => {
    generation++
    window = []
    const release = held
    held = undefined
    release?.()
  })
  const publish = async (m: OutgoingMessage): Promise<void> => {
    // Topics starting with `$` are the server's (MQTT 5 §4.7.2): `$sparkplug/certificates/...` is kept by
    // a Sparkplug-aware plant broker itself, and Mosquitto refuses clients publishing there.
    if (m.topic.startsWith('$')) return
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
