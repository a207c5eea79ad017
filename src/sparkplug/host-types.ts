// Types of the Sparkplug host application's public face (see index.ts).
import type { UnsError } from '../errors.js'
import type { Quality, UnsValue } from '../uns/index.js'
import type { DatatypeName } from './datatypes.js'
import type { TemplateDefinition } from './template.js'

/** Injected time source, so tests drive the reorder timer and rate limits. */
export interface Clock {
  now(): number
  setTimeout(fn: () => void, ms: number): unknown
  clearTimeout(handle: unknown): void
}

/** The subset of a pino logger the host uses. */
export interface HostLogger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

export interface SparkplugHostDeps {
  readonly clock: Clock
  /** sparkplug_host_id of this host application (its STATE topic level). */
  readonly hostId: string
  readonly logger?: HostLogger
  /** Receives outcomes that happen outside `handle()`: a reorder timeout expiring. */
  readonly onDeferred?: (outcome: HostOutcome) => void
}

export interface SparkplugHostConfig {
  /** Reorder Timeout [tck-id-operational-behavior-host-reordering-param], ms; 0 requests a rebirth at once. */
  readonly reorderTimeoutMs: number
  /** Minimum time between two automatic rebirth requests to one edge node, ms (Tahu uses 5000). */
  readonly rebirthMinIntervalMs: number
  /** `sparkplug.maxNestingDepth`; DEFAULT_DECODE_LIMITS when absent. */
  readonly maxNestingDepth?: number
  /** `sparkplug.maxMetricsPerBirth`; DEFAULT_DECODE_LIMITS when absent. */
  readonly maxMetricsPerBirth?: number
  /** `sparkplug.maxInflatedBytes`; DEFAULT_DECODE_LIMITS when absent. */
  readonly maxInflatedBytes?: number
}

/** One metric value (or quality) change, ready to become an UnsEvent once mapped onto a UNS path. */
export interface MetricUpdate {
  readonly group: string
  readonly edge: string
  readonly device: string | undefined
  /** Metric name; template members are flattened to `instance/member`. */
  readonly metric: string
  readonly value: UnsValue
  readonly datatype: DatatypeName
  /** Source timestamp, UTC ms: of the last sample, also when the update marks it stale. */
  readonly timestamp: number
  readonly quality: Quality
  /** With quality `stale` from a death, disconnect or removal: since when (host time, UTC ms). */
  readonly staleSince?: number | undefined
  /** is_historical: goes to history (Kafka) but is not the current value. */
  readonly historical: boolean
  /** is_transient: current value, not to be historized. */
  readonly transient: boolean
  /** Properties from the BIRTH, updated by later DATA (engUnit, Quality, ...). */
  readonly properties: Readonly<Record<string, UnsValue>> | undefined
  /** Edge node descriptor `group/edge[/device]` (UnsEvent.source). */
  readonly source: string
  readonly cause: 'birth' | 'data' | 'death' | 'removed' | 'disconnect'
}

export interface StatusChange {
  readonly group: string
  readonly edge: string
  readonly device: string | undefined
  readonly online: boolean
  readonly timestamp: number
}

/** An MQTT publish the host asks its wiring to send. */
export interface PublishAction {
  readonly kind: 'publish'
  readonly reason: 'rebirth' | 'state' | 'command'
  readonly topic: string
  readonly payload: Uint8Array
  readonly qos: 0 | 1
  readonly retain: boolean
}

export interface HostOutcome {
  readonly topic: string
  readonly updates: MetricUpdate[]
  readonly statuses: StatusChange[]
  readonly actions: PublishAction[]
  /** What was wrong with the message (coded UnsErrors, not thrown): count and log them. */
  readonly problems: UnsError[]
}

export interface DeviceInfo {
  readonly device: string
  readonly online: boolean
  readonly birthTime: number | undefined
  readonly deathTime: number | undefined
  readonly metricCount: number
}

export interface NodeInfo {
  readonly group: string
  readonly edge: string
  readonly online: boolean
  readonly bdSeq: number | bigint | undefined
  readonly lastSeq: number | undefined
  readonly birthTime: number | undefined
  readonly deathTime: number | undefined
  readonly metricCount: number
  readonly devices: DeviceInfo[]
  readonly templates: TemplateDefinition[]
}

export interface MetricInfo {
  readonly name: string
  readonly alias: number | undefined
  readonly datatype: DatatypeName
  readonly properties: Readonly<Record<string, UnsValue>> | undefined
  readonly value: UnsValue
  readonly quality: Quality
  readonly timestamp: number
  /** Since when the metric is stale (its node or device died); undefined while live. */
  readonly staleSince: number | undefined
}

export type CommandResult =
  { ok: true; topic: string; payload: Uint8Array; qos: 0; retain: false } | { ok: false; error: UnsError }
