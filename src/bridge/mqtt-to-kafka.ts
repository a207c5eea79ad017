// MQTT -> Kafka routing of the foundation: every UNS publish goes to one telemetry topic, keyed
// by its MQTT topic. The rules of the Kafka bridge issue replace this fixed route.
import type { KafkaRecord } from './kafka-client.js'

export interface InboundPublish {
  readonly topic: string
  readonly payload: Buffer
  readonly qos: 0 | 1 | 2
  readonly retain: boolean
  readonly clientId: string
}

/** Topics that are not UNS data: broker internals and raw Sparkplug (its own stage decodes it). */
const NOT_BRIDGED = ['$', 'spBv1.0/']

export const isBridged = (topic: string): boolean => !NOT_BRIDGED.some((p) => topic.startsWith(p))

/** The Kafka record for one MQTT publish (PRODUCT.md §4 headers). */
export function toTelemetryRecord(msg: InboundPublish, kafkaTopic: string, origin: string): KafkaRecord {
  return {
    topic: kafkaTopic,
    key: msg.topic,
    value: msg.payload,
    headers: {
      'mqtt-topic': msg.topic,
      'mqtt-qos': String(msg.qos),
      'mqtt-retain': String(msg.retain),
      source: msg.clientId,
      origin,
    },
  }
}
