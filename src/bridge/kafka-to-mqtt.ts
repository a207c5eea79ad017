// Kafka -> MQTT: a consumed record becomes an MQTT publish at the topic its inbound route renders
// (the commands topic: the UNS path in the key).
import type { ConsumedRecord } from '../kafka/index.js'
import type { OutgoingMessage } from '../uns/index.js'
import type { InboundRoute } from './rules.js'

export type CommandVerdict =
  | { readonly kind: 'publish'; readonly publish: OutgoingMessage }
  | { readonly kind: 'skip-own-origin' }
  | { readonly kind: 'invalid'; readonly reason: string }

/** Decides what one record becomes. Records this instance produced are never bridged back. */
export function toCommandPublish(
  record: ConsumedRecord,
  route: InboundRoute,
  instanceId: string,
  topicProblem: (topic: string) => string | undefined,
): CommandVerdict {
  if (record.headers.origin === instanceId) return { kind: 'skip-own-origin' }
  let parsed: unknown
  const topic = route.mqttTopic({
    key: record.key,
    headers: record.headers,
    value: () => {
      try {
        parsed ??= JSON.parse(record.value?.toString('utf8') ?? 'null')
      } catch {
        parsed = null
      }
      return parsed
    },
  })
  if (topic === undefined || topic === '')
    return {
      kind: 'invalid',
      reason: `route ${route.name} renders no MQTT topic for this record (missing key, header or field)`,
    }
  const problem = topicProblem(topic)
  if (problem) return { kind: 'invalid', reason: problem }
  const qosHeader = record.headers['mqtt-qos']
  const retainHeader = record.headers['mqtt-retain']
  return {
    kind: 'publish',
    publish: {
      topic,
      payload: record.value ?? Buffer.alloc(0),
      qos: qosHeader === '0' ? 0 : qosHeader === '1' ? 1 : route.qos,
      retain: retainHeader === undefined ? route.retain : retainHeader === 'true',
    },
  }
}
