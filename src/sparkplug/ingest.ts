// Sparkplug B into the UNS, as a pure step: the host state machine's outcome for one publish becomes the
// values it yields on their ISA-95 paths (with their JSON envelope, serialised once), the reason to refuse
// a malformed message, and the certificate copy of an accepted birth. The pipeline acts on the result
// (registry -> tree -> Kafka, republish); nothing here calls into another stage.
import type { UnsError } from '../errors.js'
import type { SparkplugMapper } from '../namespace/index.js'
import { toEnvelopeJson, type InboundMessage, type OutgoingMessage, type Rejection } from '../uns/index.js'
import type { UnsEvent, UnsPath } from '../uns/index.js'
import type { HostOutcome, MetricUpdate } from './host-types.js'
import { toUnsEvent } from './to-uns-event.js'

/** One metric change on its UNS path. */
export interface SparkplugValue {
  readonly event: UnsEvent
  readonly path: UnsPath
  /** The JSON envelope: the telemetry record, the state record and the MQTT republish all carry it. */
  readonly json: string
}

/** What one Sparkplug publish (or a deferred host outcome) produced. */
export interface SparkplugResult {
  /** The Sparkplug topic the result answers (`sparkplug-topic` header of its records). */
  readonly topic: string
  /** The publish as the raw `uns.sparkplug` record carries it; absent for deferred outcomes. */
  readonly raw?: InboundMessage
  readonly values: readonly SparkplugValue[]
  /** Set when the message itself is malformed: it goes to the dead-letter topic. */
  readonly rejection?: Rejection
  /** The byte-identical retained copy of an accepted birth [tck-id-conformance-mqtt-aware-*]. */
  readonly certificate?: OutgoingMessage
}

export interface MetricId {
  readonly group: string
  readonly edge: string
  readonly device?: string
  readonly metric: string
}

export interface IngestDeps {
  readonly mapper: SparkplugMapper
  readonly countProblem: (code: string) => void
  readonly countMessage: (type: string, metricUpdates: number) => void
  readonly logger: { debug(obj: object, msg: string): void }
}

export interface SparkplugIngest {
  /** Turns a host outcome into UNS values; `message` is set when the outcome answers a client publish. */
  toResult(outcome: HostOutcome, message: InboundMessage | undefined): SparkplugResult
  /** The Sparkplug metric behind a UNS path, as learned from births; undefined when none. */
  resolve(path: string): MetricId | undefined
}

// Problems that mean the message itself is malformed: they go to the dead-letter topic as well.
const MALFORMED = new Set([
  'UNS_ERR_SPB_TOPIC_INVALID',
  'UNS_ERR_SPB_PAYLOAD_INVALID',
  'UNS_ERR_SPB_PAYLOAD_LIMIT',
])
const CERTIFICATES = '$sparkplug/certificates/'

export function createSparkplugIngest(deps: IngestDeps, config: { instanceId: string }): SparkplugIngest {
  const { logger } = deps
  // UNS path -> Sparkplug metric, filled from births: the reverse of the mapping for writes.
  const byPath = new Map<string, MetricId>()

  function toValue(u: MetricUpdate): SparkplugValue | undefined {
    const id: MetricId =
      u.device === undefined
        ? { group: u.group, edge: u.edge, metric: u.metric }
        : { group: u.group, edge: u.edge, device: u.device, metric: u.metric }
    const mapped = deps.mapper.toUnsPath(id)
    if (!mapped.ok) {
      deps.countProblem(mapped.error.code)
      logger.debug({ err: mapped.error }, 'sparkplug metric not mapped')
      return undefined
    }
    const path = mapped.value
    if (u.cause === 'birth') byPath.set(path.text, id)
    const event = toUnsEvent(u, path.text, config.instanceId)
    return { event, path, json: toEnvelopeJson(event) }
  }

  function firstMalformed(o: HostOutcome): UnsError | undefined {
    let malformed: UnsError | undefined
    for (const p of o.problems) {
      deps.countProblem(p.code)
      logger.debug({ topic: o.topic, code: p.code, reason: p.message }, 'sparkplug problem')
      if (malformed === undefined && MALFORMED.has(p.code)) malformed = p
    }
    return malformed
  }

  function certificate(message: InboundMessage, o: HostOutcome): OutgoingMessage | undefined {
    const parts = message.topic.split('/')
    const type = parts[2]
    if (type !== 'NBIRTH' && type !== 'DBIRTH') return undefined
    const device = type === 'DBIRTH' ? parts[4] : undefined
    const born = o.statuses.some(
      (s) => s.online && s.group === parts[1] && s.edge === parts[3] && s.device === device,
    )
    // Byte-identical and retained [tck-id-conformance-mqtt-aware-nbirth-mqtt-topic, -nbirth-mqtt-retain,
    // -dbirth-mqtt-topic, -dbirth-mqtt-retain].
    return born
      ? { topic: CERTIFICATES + message.topic, payload: message.payload, qos: 1, retain: true }
      : undefined
  }

  return {
    toResult(o, message) {
      deps.countMessage(o.topic.split('/')[2] ?? 'unknown', o.updates.length)
      const values: SparkplugValue[] = []
      for (const u of o.updates) {
        const v = toValue(u)
        if (v !== undefined) values.push(v)
      }
      const malformed = firstMalformed(o)
      const cert = message === undefined ? undefined : certificate(message, o)
      return {
        topic: o.topic,
        values,
        ...(malformed === undefined
          ? {}
          : { rejection: { code: malformed.code, reason: malformed.message } }),
        ...(cert === undefined ? {} : { certificate: cert }),
      }
    },
    resolve: (path) => byPath.get(path),
  }
}
