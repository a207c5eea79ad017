// One UNS publish through the stages of PRODUCT.md §2:
//   parse path + payload -> registry.check -> namespace tree -> bridge (Kafka)
// and every refusal to the dead-letter topic, counted and logged, never silently lost.
import type { Bridge, InboundPublish, Rejection } from './bridge/index.js'
import type { MqttMessage } from './broker/index.js'
import type { Logger } from './logger.js'
import type { Metrics } from './metrics.js'
import { parseUnsPath, parseUnsPayload, toEnvelopeJson, type NamespaceTree } from './namespace/index.js'
import type { CheckResult, Registry } from './registry/index.js'
import type { UnsEvent } from './uns-event.js'

export interface PipelineDeps {
  /** Absent when Sparkplug is not wired; read per message like the bridge. */
  readonly sparkplug?: SparkplugIngest | undefined
  readonly logger: Logger
  readonly metrics: Metrics
  readonly tree: NamespaceTree
  readonly registry: Registry
  /** Absent when Kafka is disabled; read per message. */
  readonly bridge: Bridge | undefined
  /** The dead-letter view's memory (issue 14). */
  readonly deadLetters?: { record(message: InboundPublish, rejection: Rejection, receivedAt: number): void }
  readonly now?: () => number
}

/** The Sparkplug stage, fed with every client publish on `spBv1.0/...`. */
export interface SparkplugIngest {
  onPublish(message: MqttMessage, receivedAt: number): Promise<void> | undefined
}

/** What `accept` did with one event. */
export interface Accepted {
  /** It passed the registry and the namespace: it is (or, historical, was) a value of the UNS. */
  readonly accepted: boolean
  /** The Kafka acks to wait for (QoS 1 input), if any. */
  readonly pending: Promise<void> | undefined
}

export interface Pipeline {
  /** The broker's publish hook: a promise holds the PUBACK until Kafka has the record(s). */
  onPublish(message: MqttMessage): Promise<void> | undefined
  /**
   * The stages after parsing: registry.check -> tree.apply -> Kafka, or the dead-letter topic.
   * `message` is what the telemetry record carries (for Sparkplug: the JSON envelope at the UNS path).
   */
  accept(
    message: InboundPublish,
    event: UnsEvent,
    receivedAt: number,
    extraHeaders?: Readonly<Record<string, string>>,
  ): Accepted
  /** Sends refused input to the dead-letter topic and counts it. */
  refuse(message: InboundPublish, rejection: Rejection, receivedAt: number): Promise<void> | undefined
}

const SPARKPLUG_PREFIX = 'spBv1.0/'

export function createPipeline(deps: PipelineDeps, config: { instanceId: string }): Pipeline {
  // deps.bridge is read per message: the service creates the bridge after the broker it feeds.
  const { tree, registry, metrics } = deps
  const logger = deps.logger.child({ stage: 'ingest' })
  const now = deps.now ?? Date.now

  function refuse(
    message: InboundPublish,
    rejection: Rejection,
    receivedAt: number,
  ): Promise<void> | undefined {
    metrics.ingestEvents.inc({ result: 'rejected', reason: rejection.code })
    // Per-message detail at debug; the counter and the dead-letter topic carry the rest.
    logger.debug({ topic: message.topic, clientId: message.clientId, ...rejection }, 'publish rejected')
    deps.deadLetters?.record(message, rejection, receivedAt)
    return deps.bridge?.deadLetter(message, rejection, receivedAt)
  }

  function accept(
    message: InboundPublish,
    event: UnsEvent,
    receivedAt: number,
    extraHeaders?: Readonly<Record<string, string>>,
  ): Accepted {
    let headers: Record<string, string> | undefined = extraHeaders ? { ...extraHeaders } : undefined
    if (event.tombstone !== true) {
      const verdict = registry.check(event)
      metrics.stageEvents.inc({ stage: 'registry_checked' })
      if (verdict.verdict === 'reject') {
        metrics.validationFailures.inc({ subject: verdict.subject ?? 'unknown' })
        const pending = refuse(
          message,
          {
            code: 'UNS_ERR_REGISTRY_VALIDATION_FAILED',
            reason: schemaReason(verdict),
            ...(verdict.subject === undefined ? {} : { subject: verdict.subject }),
            ...(verdict.version === undefined ? {} : { version: verdict.version }),
            errors: verdict.errors,
          },
          receivedAt,
        )
        return { accepted: false, pending }
      }
      if (verdict.subject !== undefined) {
        headers ??= {}
        headers.schema = `${verdict.subject}@${verdict.version ?? 'unknown'}`
        if (verdict.verdict === 'warn') {
          headers['validation-warning'] = JSON.stringify(verdict.errors)
          metrics.ingestEvents.inc({ result: 'warned', reason: 'schema' })
        }
      }
    }
    const applied = tree.apply(event)
    if (applied.ok) metrics.stageEvents.inc({ stage: 'tree_applied' })
    if (!applied.ok) {
      const pending = refuse(message, { code: applied.error.code, reason: applied.error.message }, receivedAt)
      return { accepted: false, pending }
    }
    metrics.ingestEvents.inc({ result: 'accepted', reason: '' })
    const json = event.tombstone === true ? null : toEnvelopeJson(event)
    return { accepted: true, pending: deps.bridge?.forward(message, event, json, headers) }
  }

  function ingest(message: MqttMessage): Promise<void> | undefined {
    const receivedAt = now()
    const path = parseUnsPath(message.topic)
    if (!path.ok) return refuse(message, { code: path.error.code, reason: path.error.message }, receivedAt)
    const payload = parseUnsPayload(message.payload, receivedAt)
    if (!payload.ok)
      return refuse(message, { code: payload.error.code, reason: payload.error.message }, receivedAt)
    const p = payload.value
    const event: UnsEvent = {
      path: message.topic,
      value: p.value,
      timestamp: p.timestamp,
      quality: p.quality,
      source: message.clientId,
      origin: config.instanceId,
      ...(p.datatype === undefined ? {} : { datatype: p.datatype }),
      ...(p.tombstone ? { tombstone: true } : {}),
    }
    return accept(message, event, receivedAt).pending
  }

  return {
    onPublish(message) {
      metrics.stageEvents.inc({ stage: 'mqtt_in' })
      if (message.topic.startsWith(SPARKPLUG_PREFIX)) return deps.sparkplug?.onPublish(message, now())
      // Broker internals ($SYS, $sparkplug) are not UNS data.
      return message.topic.startsWith('$') ? undefined : ingest(message)
    },
    accept,
    refuse,
  }
}

// The first error goes into the reason too, so a DLQ view that shows only the reason still says why.
function schemaReason(verdict: CheckResult): string {
  const version = verdict.version === undefined ? '' : ` version ${verdict.version}`
  const first = verdict.errors[0]
  const why = first === undefined ? '' : `: ${first.instancePath || '(value)'} ${first.message}`
  return `value does not match schema ${verdict.subject ?? ''}${version}${why}`
}
