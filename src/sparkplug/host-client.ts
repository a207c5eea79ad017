// The host application's own MQTT session: a real mqtt.js client of the embedded broker, connected
// through an in-process stream pair (no socket, no port), so it follows every broker rule a remote
// host would (will messages, retained STATE, subscriptions) [tck-id-host-topic-phid-birth-*].
import { Duplex } from 'node:stream'
import { MqttClient } from 'mqtt'
import type { HostOutcome } from './host-types.js'
import type { SparkplugHost } from './session.js'
import { stateMessage } from './state.js'
import { NAMESPACE } from './topic.js'

export interface HostClientLogger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

export interface HostClientDeps {
  /**
   * Serves one MQTT connection over `stream` (the embedded broker's `handleInternalStream`), forwarding it
   * only the topics `actsOn` accepts.
   */
  readonly serveStream?: (stream: Duplex, actsOn: (topic: string) => boolean) => void
  /** Opens a connection to an external broker (a socket); used instead of `serveStream`. */
  readonly openStream?: () => Duplex
  readonly host: SparkplugHost
  readonly logger: HostClientLogger
  /** Receives what losing the broker means for the host (every node offline, every metric stale). */
  readonly onOutcome: (outcome: HostOutcome) => void
  readonly now?: () => number
}

export interface HostClientConfig {
  readonly hostId: string
  /** Delay before reconnecting after the session was lost, ms. */
  readonly reconnectPeriodMs: number
  /** Login on an external broker. */
  readonly username?: string | undefined
  readonly password?: string | undefined
}

export interface OutgoingPublish {
  readonly topic: string
  readonly payload: Uint8Array
  readonly qos: 0 | 1
  readonly retain: boolean
}

export interface HostClient {
  readonly connected: boolean
  /** Publishes as the host application (STATE, NCMD, DCMD); fails when the session is down. */
  publish(message: OutgoingPublish): Promise<void>
  /** Publishes STATE offline, then disconnects cleanly; idempotent. */
  close(): Promise<void>
}

const ECHO_WAIT_MS = 1000

/** The MQTT client id of the host application `hostId`. */
export const hostClientId = (hostId: string): string => `${hostId}-host`

/** Two connected in-memory streams: what one side writes, the other reads. */
export function duplexPair(): [Duplex, Duplex] {
  const sides: Duplex[] = []
  const make = (peer: () => Duplex | undefined): Duplex =>
    new Duplex({
      read() {},
      write(chunk: Buffer, _enc, done) {
        peer()?.push(chunk)
        done()
      },
      final(done) {
        peer()?.push(null)
        done()
      },
      destroy(err, done) {
        const p = peer()
        if (p !== undefined && !p.destroyed) p.destroy()
        done(err)
      },
    })
  sides.push(
    make(() => sides[1]),
    make(() => sides[0]),
  )
  return [sides[0] as Duplex, sides[1] as Duplex]
}

/** Connects the host application and resolves once its STATE birth is published. */
export async function createHostClient(deps: HostClientDeps, config: HostClientConfig): Promise<HostClient> {
  const { host, logger } = deps
  const now = deps.now ?? Date.now
  const stateTopic = `${NAMESPACE}/STATE/${config.hostId}`
  let closing = false
  let sessionTimestamp = 0
  let born: (() => void) | undefined
  let failed: ((err: Error) => void) | undefined

  const client = new MqttClient(
    (c) => {
      // A fresh will per CONNECT: offline with the timestamp the following birth repeats
      // [tck-id-host-topic-phid-death-payload-timestamp-connect, tck-id-host-topic-phid-birth-payload-timestamp].
      sessionTimestamp = now()
      const will = stateMessage(config.hostId, false, sessionTimestamp)
      // [tck-id-operational-behavior-host-application-connect-will, -will-qos, -will-retained]
      c.options.will = { topic: will.topic, payload: Buffer.from(will.payload), qos: 1, retain: true }
      if (deps.openStream !== undefined) return deps.openStream()
      const [ours, theirs] = duplexPair()
      // Writing this session every edge message cost ~9 % of the service's CPU under load (issue 13).
      deps.serveStream?.(theirs, (topic) => topic === stateTopic)
      return ours
    },
    {
      clientId: hostClientId(config.hostId),
      // Clean session [tck-id-host-topic-phid-birth-sub-required context: the host starts fresh].
      clean: true,
      protocolVersion: 4,
      keepalive: 60,
      reconnectPeriod: config.reconnectPeriodMs,
      ...(config.username !== undefined ? { username: config.username } : {}),
      ...(config.password !== undefined ? { password: config.password } : {}),
    },
  )

  client.on('connect', () => {
    // Subscribe to its own STATE topic and to the whole Sparkplug namespace first (one SUBSCRIBE,
    // granted before the birth goes out), then publish the birth [tck-id-host-topic-phid-birth-sub-required,
    // tck-id-message-flow-phid-sparkplug-subscription, tck-id-payloads-state-subscribe,
    // tck-id-host-topic-phid-birth-required]. Only STATE is acted on here: edge traffic reaches the
    // pipeline through the broker's publish hook (embedded) or the ingest client (external), so the
    // embedded broker forwards this session nothing else (actsOn below), and an external broker's
    // deliveries of `spBv1.0/#` are dropped rather than processed a second time.
    client.subscribe({ [stateTopic]: { qos: 1 }, [`${NAMESPACE}/#`]: { qos: 1 } }, (err, granted) => {
      const refused = granted?.find((g) => g.qos === 128)
      if (err || refused) {
        const e = err ?? new Error(`broker refused the subscription to ${refused?.topic}`)
        logger.warn({ err: e }, 'sparkplug host could not subscribe to STATE and spBv1.0/#')
        return failed?.(e)
      }
      const birth = host.stateBirth(sessionTimestamp)
      // [tck-id-host-topic-phid-birth-qos, -birth-retain, -birth-topic, -birth-payload]
      client.publish(birth.topic, Buffer.from(birth.payload), { qos: 1, retain: true }, (e) => {
        if (e) {
          logger.warn({ err: e }, 'sparkplug host could not publish its STATE birth')
          return failed?.(e)
        }
        logger.info({ topic: birth.topic, timestamp: sessionTimestamp }, 'sparkplug host online')
        born?.()
      })
    })
  })
  let onOwnDeath: ((payload: Buffer) => void) | undefined
  client.on('message', (topic, payload) => {
    if (topic === stateTopic) onOwnDeath?.(payload)
    if (closing || topic !== stateTopic) return
    // Declared offline by someone else (or a stale will): the host re-asserts online.
    const outcome = host.handle(topic, payload, now())
    for (const a of outcome.actions) {
      logger.warn({ topic }, 'sparkplug host saw itself declared offline; re-asserting online')
      client.publish(a.topic, Buffer.from(a.payload), { qos: a.qos, retain: a.retain })
    }
  })
  let wasConnected = false
  client.on('connect', () => (wasConnected = true))
  client.on('close', () => {
    if (!wasConnected || closing) return
    wasConnected = false
    // Losing the server makes every edge node's data stale (Ch.5 host disconnect).
    deps.onOutcome(host.disconnected(now()))
  })
  client.on('error', (err) => logger.warn({ err }, 'sparkplug host MQTT error'))

  try {
    await new Promise<void>((resolve, reject) => {
      born = resolve
      failed = reject
      client.once('error', reject)
    })
  } catch (err) {
    await client.endAsync(true)
    throw err
  } finally {
    born = undefined
    failed = undefined
  }

  let closed: Promise<void> | undefined
  return {
    get connected() {
      return client.connected
    },
    async publish(m) {
      if (!client.connected) throw new Error('sparkplug host is not connected')
      await client.publishAsync(m.topic, Buffer.from(m.payload), { qos: m.qos, retain: m.retain })
    },
    close: () =>
      (closed ??= (async () => {
        closing = true
        if (client.connected) {
          // Graceful: publish the death certificate before DISCONNECT, with the time of the disconnect
          // [tck-id-host-topic-phid-death-payload-timestamp-disconnect-clean].
          const death = stateMessage(config.hostId, false, now())
          const bytes = Buffer.from(death.payload)
          // The PUBACK comes before the broker has written the message to other subscribers; seeing it
          // come back on the host's own subscription means it went through delivery (bounded wait).
          const echoed = new Promise<void>((resolve) => {
            const timer = setTimeout(resolve, ECHO_WAIT_MS)
            onOwnDeath = (p) => {
              if (!p.equals(bytes)) return
              clearTimeout(timer)
              resolve()
            }
          })
          try {
            await client.publishAsync(death.topic, bytes, { qos: 1, retain: true })
            await echoed
          } catch (err) {
            logger.warn({ err }, 'sparkplug host could not publish STATE offline')
          }
        }
        await client.endAsync()
        logger.info({ topic: stateTopic }, 'sparkplug host offline')
      })()),
  }
}
