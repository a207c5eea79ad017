// The one event type that flows through the pipeline (PRODUCT.md §2). Every stage speaks it:
// sparkplug and JSON ingest produce it, the registry validates it, the namespace stores it,
// the bridge writes it to Kafka.

/** Quality of a value, PRODUCT.md §3. */
export type Quality = 'good' | 'uncertain' | 'bad' | 'stale'

export const QUALITIES: readonly Quality[] = ['good', 'uncertain', 'bad', 'stale']

/**
 * A value as it lives inside the service. 64-bit integers that do not fit a JS number stay
 * `bigint` (exact); they become decimal strings only when serialised to JSON.
 */
export type UnsValue =
  | null
  | boolean
  | number
  | bigint
  | string
  | Uint8Array
  | readonly UnsValue[]
  | { readonly [key: string]: UnsValue }

export interface UnsEvent {
  /** UNS path: slash-separated topic levels, no wildcards, no leading slash. */
  readonly path: string
  readonly value: UnsValue
  /** Source timestamp, epoch milliseconds. */
  readonly timestamp: number
  readonly quality: Quality
  /**
   * Since when the value is stale (epoch ms): set with quality `stale` when its Sparkplug node or device
   * died or the host lost its server. `timestamp` stays the time of the last sample.
   */
  readonly staleSince?: number
  /** Sparkplug datatype name (Int32, Float, ...) when known. */
  readonly datatype?: string
  /** Engineering unit (e.g. `degC`) when the source names one: the Sparkplug `engUnit` metric property. */
  readonly unit?: string
  /** Who sent it: the MQTT client id, or the Sparkplug edge node descriptor `group/edge[/device]`. */
  readonly source: string
  /** Instance id of the uns-bridge that accepted it (loop prevention in two-way bridging). */
  readonly origin: string
  /** Sparkplug `is_historical`: goes to Kafka but does not change the current value. */
  readonly historical?: boolean
  /** Sparkplug `is_transient`: the current value, but not to be historized (no telemetry record). */
  readonly transient?: boolean
  /** An empty retained publish or a Kafka tombstone: deletes the current value of `path` (`value` is null). */
  readonly tombstone?: boolean
}
