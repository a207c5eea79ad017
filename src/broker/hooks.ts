// The one place where aedes' callback hooks meet our hooks (STYLE.md rule 9).
import type {
  AedesPublishPacket,
  AuthorizePublishHandler,
  Client,
  ConnectPacket,
  PublishPacket,
  Subscription,
} from 'aedes'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import { matchesFilter, type InboundMessage, type OutgoingMessage } from '../uns/index.js'
import { filterProblem, topicProblem } from './topic-check.js'

/** What the service did with one client PUBLISH. */
export interface PublishOutcome {
  /**
   * Holds the PUBACK and the delivery until it settles (QoS 1: Kafka acknowledged); a rejection
   * disconnects the client so that it sends the message again (at-least-once).
   */
  readonly ack?: Promise<void> | undefined
  /** Messages the broker publishes once the original has been delivered (derived UNS values, copies). */
  readonly republish: readonly OutgoingMessage[]
}

/** Called for every client PUBLISH before it is acknowledged and delivered. */
export type PublishHook = (message: InboundMessage) => PublishOutcome

/**
 * aedes' `authorizePublish`: checks, then hands the message to the hook. The hook's republishes wait in
 * `after` for the original packet (same object) to reach aedes' `published`; see `publishedHook`.
 */
export function authorizePublishHook(
  deps: {
    logger: Logger
    metrics: Metrics
    onPublish: () => PublishHook | undefined
    after: WeakMap<PublishPacket, readonly OutgoingMessage[]>
  },
  config: { maxPayloadBytes: number },
): AuthorizePublishHandler {
  const { logger, metrics } = deps
  const refuse = (client: Client | null, reason: string, message: string, done: (e: Error) => void) => {
    metrics.mqttRejected.inc({ reason })
    logger.warn({ clientId: client?.id, reason }, message)
    done(new Error(message))
  }
  return (client: Client | null, packet: PublishPacket, done) => {
    // A refusal ends the connection: MQTT 3.1.1 has no negative PUBACK.
    const problem = client ? topicProblem(packet.topic) : undefined
    if (problem !== undefined) return refuse(client, 'invalid_topic', problem, done)
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload)
    if (payload.length > config.maxPayloadBytes) {
      return refuse(
        client,
        'payload_too_large',
        `payload of ${payload.length} bytes exceeds mqtt.maxPayloadBytes`,
        done,
      )
    }
    const onPublish = deps.onPublish()
    if (onPublish === undefined) return done(null)
    metrics.mqttPublishes.inc({ qos: packet.qos })
    const startedAt = packet.qos > 0 ? performance.now() : 0
    const outcome = onPublish({
      topic: packet.topic,
      payload,
      qos: packet.qos,
      retain: packet.retain,
      clientId: client?.id ?? '',
    })
    if (outcome.republish.length > 0) deps.after.set(packet, outcome.republish)
    if (outcome.ack === undefined) return done(null)
    outcome.ack.then(
      () => {
        if (startedAt > 0) metrics.pubackDelay.observe((performance.now() - startedAt) / 1000)
        done(null)
      },
      (err: Error) => {
        deps.after.delete(packet)
        done(err)
      },
    )
  }
}

/**
 * aedes' `published`, called once a packet has been handed to every matching subscription. Derived
 * messages go out only now, one after the other: aedes delivers a packet to a client only when its
 * counter is above the last one that client got (per-client de-duplication), so a republish created
 * before its original, or overtaking it, would be dropped for a client whose filters match both
 * (a `#` subscriber).
 */
export function publishedHook(deps: {
  logger: Logger
  after: WeakMap<PublishPacket, readonly OutgoingMessage[]>
  publish: (message: OutgoingMessage) => Promise<void>
}): (packet: PublishPacket, client: Client | null, done: (err?: Error) => void) => void {
  return (packet, _client, done) => {
    const republish = deps.after.get(packet)
    done()
    if (republish === undefined) return
    deps.after.delete(packet)
    void (async () => {
      for (const m of republish) {
        await deps
          .publish(m)
          .catch((err: unknown) => deps.logger.warn({ err, topic: m.topic }, 'republish failed'))
      }
    })()
  }
}

const CERTIFICATES = '$sparkplug/certificates/'

/**
 * aedes' `authorizeForward`, for every delivery, live and retained. aedes keeps `$` topics from live
 * subscriptions that start with a wildcard, but its retained store answers `#` with `$` topics too:
 * [MQTT-4.7.2-1] a filter starting with a wildcard does not match a topic starting with `$`, so such a
 * message goes only to a client holding a filter that names the `$` level.
 */
export function authorizeForwardHook(): (
  client: Client,
  packet: AedesPublishPacket,
) => AedesPublishPacket | null {
  return (client, packet) => {
    if (packet.topic.charCodeAt(0) !== 36) return packet
    const levels = packet.topic.split('/')
    const filters = Object.keys(
      (client as unknown as { subscriptions: Record<string, unknown> }).subscriptions,
    )
    const named = filters.some((f) => f.charCodeAt(0) === 36 && matchesFilter(f.split('/'), levels))
    if (!named) return null
    // A Sparkplug-aware broker delivers the birth certificate copies retained, also live
    // [tck-id-conformance-mqtt-aware-nbirth-mqtt-retain, -dbirth-mqtt-retain].
    if (packet.topic.startsWith(CERTIFICATES) && !packet.retain) return { ...packet, retain: true }
    return packet
  }
}

/** aedes' `authorizeSubscribe`: a filter that is not well-formed MQTT text closes the connection. */
export function checkSubscribeHook(deps: { logger: Logger; metrics: Metrics }) {
  return (
    client: Client | null,
    sub: Subscription,
    done: (err: Error | null, sub?: Subscription | null) => void,
  ): void => {
    const problem = filterProblem(sub.topic)
    if (problem === undefined) return done(null, sub)
    deps.metrics.mqttRejected.inc({ reason: 'invalid_topic' })
    deps.logger.warn({ clientId: client?.id, reason: problem }, 'subscription refused')
    done(new Error(problem), null)
  }
}

/** aedes' `preConnect`: a will on a topic a client may not publish to refuses the CONNECT. */
export function checkWillHook(deps: { logger: Logger; metrics: Metrics }) {
  return (_client: Client, packet: ConnectPacket, done: (err: Error | null, ok: boolean) => void): void => {
    const problem = packet.will ? topicProblem(packet.will.topic) : undefined
    if (problem === undefined) return done(null, true)
    deps.metrics.mqttRejected.inc({ reason: 'invalid_topic' })
    deps.logger.warn({ reason: problem }, 'CONNECT refused: will topic')
    done(new Error(`will ${problem}`), false)
  }
}
