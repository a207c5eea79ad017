// How many retained messages the broker holds and how many payload bytes, for `security.limits.retainedMessages`
// and `retainedBytes`. aedes keeps retained messages in its persistence without any bound; we follow what it
// stored (its `publish` event fires after the retained store was updated) and refuse a client's retained
// publish that would go over a limit. The service's own retained republishes are counted but never refused:
// they are bounded by the namespace, and refusing them would hide values from late subscribers.

export interface RetainedLimits {
  readonly maxMessages: number
  readonly maxBytes: number
}

export interface RetainedCount {
  /** Follows one message aedes published (retained or not; only retained ones change the count). */
  note(topic: string, retain: boolean, payloadBytes: number): void
  /** Why storing `payloadBytes` retained on `topic` would go over a limit, or undefined. */
  problem(topic: string, payloadBytes: number): string | undefined
  readonly messages: number
  readonly bytes: number
}

export function createRetainedCount(limits: RetainedLimits): RetainedCount {
  const sizes = new Map<string, number>()
  let bytes = 0
  return {
    note(topic, retain, payloadBytes) {
      if (!retain) return
      const before = sizes.get(topic)
      if (before !== undefined) bytes -= before
      // [MQTT-3.3.1-10] a retained message with an empty payload removes the retained message.
      if (payloadBytes === 0) sizes.delete(topic)
      else {
        sizes.set(topic, payloadBytes)
        bytes += payloadBytes
      }
    },
    problem(topic, payloadBytes) {
      if (payloadBytes === 0) return undefined // a removal only ever frees room
      const before = sizes.get(topic)
      if (before === undefined && sizes.size >= limits.maxMessages) {
        return `${limits.maxMessages} retained messages are held (security.limits.retainedMessages)`
      }
      if (bytes - (before ?? 0) + payloadBytes > limits.maxBytes) {
        return `retained payloads would exceed ${limits.maxBytes} bytes (security.limits.retainedBytes)`
      }
      return undefined
    },
    get messages() {
      return sizes.size
    },
    get bytes() {
      return bytes
    },
  }
}
