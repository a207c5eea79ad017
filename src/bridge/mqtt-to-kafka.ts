// MQTT -> Kafka records (PRODUCT.md §4). Telemetry keeps the publisher's bytes as they were sent;
// the state topic holds the normalised JSON envelope per path; the dead-letter topic keeps the
// original bytes with the reason in headers, so an operator can see why and replay.
import type { InboundMessage, Rejection, UnsEvent } from '../uns/index.js'
import type { KafkaRecord } from '../kafka/index.js'

const mqttHeaders = (msg: InboundMessage, origin: string): Record<string, string> => ({
  'mqtt-topic': msg.topic,
  'mqtt-qos': String(msg.qos),
  'mqtt-retain': String(msg.retain),
  source: msg.clientId,
  origin,
})

/** Where a route sends one value: topic, rendered key and the route's own headers. */
export interface RouteTarget {
  readonly topic: string
  readonly key: string | null
  readonly headers: Readonly<Record<string, string>>
}

/**
 * Which headers a routed (telemetry) record carries (`kafka.telemetryHeaders`, issue 13). Every header
 * is encoded with every record, and eight of them tripled the client's encoding cost (bench/README.md,
 * "Header prices"). `lean` (the default) writes only what the key and value do not already say:
 * the route's own headers, `schema` / `validation-warning` when the registry checked the value,
 * `uns-path` when the route's key is not the path, and `origin` on a topic an inbound route reads
 * back (loop prevention, kafka-to-mqtt.ts). `full` adds `mqtt-topic`, `mqtt-qos`, `mqtt-retain`,
 * `source`, `content-type`, `uns-class` and `sparkplug-topic`, as before 0.2.
 */
export interface HeaderLayout {
  readonly full: boolean
  /** Whether the target topic is read back by an inbound route (lean: origin only there). */
  readonly bridgedBack: boolean
}

const FULL: HeaderLayout = { full: true, bridgedBack: true }

/** The record of one accepted publish on its routed topic; the value is the bytes as published. */
export function toRoutedRecord(
  msg: InboundMessage,
  target: RouteTarget,
  origin: string,
  tagClass: string | undefined,
  extraHeaders: Readonly<Record<string, string>> = {},
  layout: HeaderLayout = FULL,
): KafkaRecord {
  if (!layout.full) {
    const headers: Record<string, string> = { ...target.headers }
    if (target.key !== msg.topic) headers['uns-path'] = msg.topic
    if (layout.bridgedBack) headers.origin = origin
    const { schema, 'validation-warning': warning } = extraHeaders
    if (schema !== undefined) headers.schema = schema
    if (warning !== undefined) headers['validation-warning'] = warning
    return { topic: target.topic, key: target.key, value: msg.payload, headers }
  }
  const headers: Record<string, string> = {
    ...mqttHeaders(msg, origin),
    'uns-path': msg.topic,
    'content-type': 'application/json',
    ...target.headers,
    ...extraHeaders,
  }
  if (tagClass !== undefined) headers['uns-class'] = tagClass
  return { topic: target.topic, key: target.key, value: msg.payload, headers }
}

/** The compacted state record: key = path, value = envelope JSON, or null (tombstone) to delete. */
export function toStateRecord(
  event: UnsEvent,
  envelopeJson: string | Buffer | null,
  kafkaTopic: string,
  session: string,
): KafkaRecord {
  return {
    topic: kafkaTopic,
    key: event.path,
    // The Sparkplug path hands over the bytes its telemetry record carries: encoded once per metric.
    value:
      envelopeJson === null
        ? null
        : typeof envelopeJson === 'string'
          ? Buffer.from(envelopeJson)
          : envelopeJson,
    headers: {
      'uns-path': event.path,
      'content-type': 'application/json',
      source: event.source,
      origin: event.origin,
      'uns-session': session,
    },
  }
}

export function toDeadLetterRecord(
  msg: InboundMessage,
  rejection: Rejection,
  kafkaTopic: string,
  origin: string,
  receivedAt: number,
): KafkaRecord {
  const headers: Record<string, string> = {
    ...mqttHeaders(msg, origin),
    'received-at': String(receivedAt),
    'error-code': rejection.code,
    'error-reason': rejection.reason,
  }
  if (rejection.subject !== undefined) headers.schema = rejection.subject
  if (rejection.version !== undefined) headers['schema-version'] = String(rejection.version)
  if (rejection.errors && rejection.errors.length > 0)
    headers['validation-errors'] = JSON.stringify(rejection.errors)
  return { topic: kafkaTopic, key: msg.topic, value: msg.payload, headers }
}

/** The raw Sparkplug record: key = Sparkplug topic, value = the protobuf bytes exactly as published. */
export function toSparkplugRecord(
  msg: InboundMessage,
  kafkaTopic: string,
  origin: string,
  receivedAt: number,
): KafkaRecord {
  return {
    topic: kafkaTopic,
    key: msg.topic,
    value: msg.payload,
    headers: { ...mqttHeaders(msg, origin), 'received-at': String(receivedAt) },
  }
}
