// Host STATE messages, Sparkplug 3.0 form: `spBv1.0/STATE/{host_id}`, UTF-8 JSON {online, timestamp},
// QoS 1, retained, for the birth and the will [tck-id-payloads-state-birth, -state-birth-payload,
// tck-id-payloads-state-will-message, -will-message-qos, -will-message-retain, -will-message-payload].
import { NAMESPACE } from './topic.js'

export interface StateMessage {
  readonly topic: string
  readonly payload: Uint8Array
  readonly qos: 1
  readonly retain: true
}

/** The STATE birth (online) or death/will (offline); birth and will share one timestamp per CONNECT. */
export function stateMessage(hostId: string, online: boolean, timestamp: number): StateMessage {
  const json = JSON.stringify({ online, timestamp: Math.trunc(timestamp) })
  return {
    topic: `${NAMESPACE}/STATE/${hostId}`,
    payload: new TextEncoder().encode(json),
    qos: 1,
    retain: true,
  }
}

/** Reads a STATE payload; undefined when it is not `{online: boolean, timestamp: number}` JSON. */
export function parseStatePayload(payload: Uint8Array): { online: boolean; timestamp: number } | undefined {
  try {
    const v: unknown = JSON.parse(new TextDecoder().decode(payload))
    if (typeof v !== 'object' || v === null) return undefined
    const { online, timestamp } = v as Record<string, unknown>
    if (typeof online !== 'boolean' || typeof timestamp !== 'number') return undefined
    return { online, timestamp }
  } catch {
    return undefined
  }
}
