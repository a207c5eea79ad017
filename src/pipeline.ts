// One UNS publish through the stages of PRODUCT.md §2:
//   parse path + payload -> registry.check -> namespace tree -> bridge (Kafka)
// and every refusal to the dead-letter topic, counted and logged, never silently lost.
import type { Bridge, InboundPublish, Rejection } from './bridge/index.js'
import type { MqttMessage } from './broker/index.js'
import type { Logger } from './logger.js'
import type { Metrics } from './metrics.js'
import { parseUnsPath, parseUnsPayload, toEnvelopeJson, type NamespaceTree } from './namespace/index.js'
import type { Registry } from './registry/index.js'
import type { UnsEvent } from './uns-event.js'

export interface PipelineDeps {
  readonly logger: Logger
  readonly metrics: Metrics
  readonly tree: NamespaceTree
  readonly registry: Registry
  /** Absent when Kafka is disabled; read per message. */
  readonly bridge: Bridge | undefined
  readonly now?: () => number
}

export interface Pipeline {
  /** The broker's publish hook: a promise holds the PUBACK until Kafka has the record(s). */
  onPublish(message: MqttMessage): Promise<void> | undefined
}

/** Topics that are not UNS data: broker internals and raw Sparkplug (its own stage decodes it). */
const isUnsTopic = (topic: string): boolean => !topic.startsWith('$') && !topic.startsWith('spBv1.0/')

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
    return deps.bridge?.deadLetter(message, rejection, receivedAt)
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
    let headers: Record<string, string> | undefined
    if (!p.tombstone) {
      const verdict = registry.check(event)
      if (verdict.verdict === 'reject') {
        return refuse(
          message,
          {
            code: 'UNS_ERR_REGISTRY_VALIDATION_FAILED',
            reason: `value does not match schema ${verdict.subject}`,
            ...(verdict.subject === undefined ? {} : { subject: verdict.subject }),
            ...(verdict.version === undefined ? {} : { version: verdict.version }),
            errors: verdict.errors,
          },
          receivedAt,
        )
      }
      if (verdict.subject !== undefined) {
        headers = { schema: `${verdict.subject}@${verdict.version ?? 'unknown'}` }
        if (verdict.verdict === 'warn') {
          headers['validation-warning'] = JSON.stringify(verdict.errors)
          metrics.ingestEvents.inc({ result: 'warned', reason: 'schema' })
        }
      }
    }
    const applied = tree.apply(event)
    if (!applied.ok)
      return refuse(message, { code: applied.error.code, reason: applied.error.message }, receivedAt)
    metrics.ingestEvents.inc({ result: 'accepted', reason: '' })
    return deps.bridge?.forward(message, event, p.tombstone ? null : toEnvelopeJson(event), headers)
  }

  return {
    onPublish: (message) => (isUnsTopic(message.topic) ? ingest(message) : undefined),
  }
}
