// Kafka -> MQTT: a record on the commands topic is published on MQTT at the UNS path in its key.
import type { ConsumedRecord } from './kafka-client.js'

export interface CommandPublish {
  readonly topic: string
  readonly payload: Buffer
  readonly qos: 0 | 1
  readonly retain: boolean
}

export type CommandVerdict =
  | { readonly kind: 'publish'; readonly publish: CommandPublish }
  | { readonly kind: 'skip-own-origin' }
  | { readonly kind: 'invalid'; readonly reason: string }

/** Decides what one commands record becomes. Records this instance produced are never bridged back. */
export function toCommandPublish(
  record: ConsumedRecord,
  instanceId: string,
  isValidPath: (path: string) => string | undefined,
): CommandVerdict {
  if (record.headers.origin === instanceId) return { kind: 'skip-own-origin' }
  if (record.key === null || record.key === '')
    return { kind: 'invalid', reason: 'record has no key (the UNS path)' }
  const problem = isValidPath(record.key)
  if (problem) return { kind: 'invalid', reason: problem }
  const qos = record.headers['mqtt-qos'] === '0' ? 0 : 1
  return {
    kind: 'publish',
    publish: {
      topic: record.key,
      payload: record.value ?? Buffer.alloc(0),
      qos,
      retain: record.headers['mqtt-retain'] === 'true',
    },
  }
}
