// The one place where aedes' callback hooks meet our async hooks (STYLE.md rule 9).
import type { AuthorizePublishHandler, Client, PublishPacket } from 'aedes'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'

/** A PUBLISH as the rest of the pipeline sees it. */
export interface MqttMessage {
  readonly topic: string
  readonly payload: Buffer
  readonly qos: 0 | 1 | 2
  readonly retain: boolean
  /** Sender's client id; '' for a will that the broker publishes after its client is gone. */
  readonly clientId: string
}

/**
 * Called for every client PUBLISH before it is acknowledged and delivered. A returned promise
 * holds the PUBACK and the delivery until it settles; a rejection disconnects the client so that
 * it sends the message again (at-least-once). Return undefined when nothing needs waiting for.
 */
export type PublishHook = (message: MqttMessage) => Promise<void> | undefined

const RESERVED_PREFIXES = ['$SYS/', '$sparkplug/']

export function authorizePublishHook(
  deps: { logger: Logger; metrics: Metrics; onPublish: PublishHook },
  config: { maxPayloadBytes: number },
): AuthorizePublishHandler {
  const { logger, metrics, onPublish } = deps
  const refuse = (client: Client | null, reason: string, message: string, done: (e: Error) => void) => {
    metrics.mqttRejected.inc({ reason })
    logger.warn({ clientId: client?.id, reason }, message)
    done(new Error(message))
  }
  return (client: Client | null, packet: PublishPacket, done) => {
    // [MQTT-4.7.2-1] topics starting with $ are the server's: clients may not publish there.
    if (client && RESERVED_PREFIXES.some((p) => packet.topic.startsWith(p))) {
      return refuse(client, 'reserved_topic', `publishing to ${packet.topic} is reserved to the broker`, done)
    }
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload)
    if (payload.length > config.maxPayloadBytes) {
      return refuse(
        client,
        'payload_too_large',
        `payload of ${payload.length} bytes exceeds mqtt.maxPayloadBytes`,
        done,
      )
    }
    metrics.mqttPublishes.inc({ qos: packet.qos })
    const startedAt = packet.qos > 0 ? performance.now() : 0
    const pending = onPublish({
      topic: packet.topic,
      payload,
      qos: packet.qos,
      retain: packet.retain,
      clientId: client?.id ?? '',
    })
    if (pending === undefined) return done(null)
    pending.then(
      () => {
        if (startedAt > 0) metrics.pubackDelay.observe((performance.now() - startedAt) / 1000)
        done(null)
      },
      (err: Error) => done(err),
    )
  }
}

/** Why `topic` cannot be published to, or undefined when it can ([MQTT-4.7.3-1], [MQTT-4.7.1-1]). */
export function topicNameProblem(topic: string): string | undefined {
  if (topic.length === 0) return 'topic is empty'
  if (topic.includes('+') || topic.includes('#')) return 'topic contains a wildcard (+ or #)'
  if (topic.includes('\u0000')) return 'topic contains U+0000'
  if (topic.startsWith('$')) return 'topics starting with $ are reserved to the broker'
  if (Buffer.byteLength(topic) > 65535) return 'topic is longer than 65535 bytes'
  return undefined
}
