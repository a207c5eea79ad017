// The one place where the stages of PRODUCT.md §2 meet, read top to bottom:
//
//   broker hook -> handle(message)
//     spBv1.0/...  -> sparkplug.ingest (host: births, aliases, seq) -> values, raw record, rejection, certificate
//     UNS JSON     -> parseUnsPath + parseUnsPayload                  -> one event
//   each event -> registry.check -> tree.apply -> bridge.forward (Kafka)
//              \-> refused: bridge.deadLetter, counted, never silently lost
//   -> { ack: the Kafka acks a QoS 1 PUBACK waits for, republish: what the broker publishes after the original }
//
// Every stage returns what it produced; only this module decides where it goes.
import type { Bridge, CommandOrigin, CommandWriteOutcome, Forwarding, StateRecord } from './bridge/index.js'
import type { PublishOutcome } from './broker/index.js'
import type { Logger } from './logger.js'
import { hotCount, type Metrics } from './metrics.js'
import type { NamespaceTree } from './namespace/index.js'
import type { CheckResult, Registry } from './registry/index.js'
import type { Identity, Security } from './security/index.js'
import type { SparkplugResult, SparkplugService } from './sparkplug/index.js'
import {
  parseUnsPath,
  parseUnsPayload,
  toEnvelopeJson,
  type InboundMessage,
  type OutgoingMessage,
  type Rejection,
  type UnsEvent,
  type UnsPath,
} from './uns/index.js'

export interface PipelineDeps {
  readonly logger: Logger
  readonly metrics: Metrics
  readonly tree: NamespaceTree
  readonly registry: Registry
  /** Absent when the service runs without Sparkplug. */
  readonly sparkplug: Pick<SparkplugService, 'ingest' | 'onDeferred'> | undefined
  /** Absent when Kafka is disabled. */
  readonly bridge: Pick<Bridge, 'forward' | 'sparkplugRaw' | 'deadLetter'> | undefined
  /** The broker's own publish, for values that change outside a client publish (stale on a timeout). */
  readonly publish: (message: OutgoingMessage) => Promise<void>
  /** The dead-letter view's memory (issue 14): every refusal, also with Kafka off. */
  readonly deadLetters?: { record(message: InboundMessage, rejection: Rejection, receivedAt: number): void }
  readonly now?: () => number
}

export interface Pipeline {
  /** The broker's publish hook: one client PUBLISH through every stage. */
  handle(message: InboundMessage): PublishOutcome
}

const SPARKPLUG_PREFIX = 'spBv1.0/'
const NONE: readonly OutgoingMessage[] = []

export function createPipeline(deps: PipelineDeps, config: { instanceId: string }): Pipeline {
  const { tree, registry, metrics, bridge } = deps
  // Counted per metric update: plain numbers until read (hotCount).
  const registryChecked = hotCount(metrics.stageEvents, { stage: 'registry_checked' })
  const treeApplied = hotCount(metrics.stageEvents, { stage: 'tree_applied' })
  const accepted = hotCount(metrics.ingestEvents, { result: 'accepted', reason: '' })
  const logger = deps.logger.child({ stage: 'ingest' })
  const now = deps.now ?? Date.now

  function refuse(
    message: InboundMessage,
    rejection: Rejection,
    receivedAt: number,
  ): Promise<void> | undefined {
    metrics.ingestEvents.inc({ result: 'rejected', reason: rejection.code })
    // Per-message detail at debug; the counter and the dead-letter topic carry the rest.
    logger.debug({ topic: message.topic, clientId: message.clientId, ...rejection }, 'publish rejected')
    deps.deadLetters?.record(message, rejection, receivedAt)
    return bridge?.deadLetter(message, rejection, receivedAt)
  }

  /**
   * registry.check -> tree.apply -> what to forward to Kafka, or the refusal's dead-letter ack; `json` is
   * the envelope when the caller already encoded it (the Sparkplug path: the same bytes go to the telemetry
   * and the state record). The caller forwards, once per message.
   */
  function accept(
    message: InboundMessage,
    event: UnsEvent,
    path: UnsPath,
    json: Buffer | undefined,
    receivedAt: number,
    extraHeaders?: Readonly<Record<string, string>>,
  ): { ack?: Promise<void> | undefined; forwarding?: Forwarding } {
    // Shared by every metric of a message; copied only when this value adds its own.
    let headers: Record<string, string> | undefined
    if (event.tombstone !== true) {
      const verdict = registry.check(event)
      registryChecked.inc()
      if (verdict.verdict === 'reject') {
        metrics.validationFailures.inc({ subject: verdict.subject ?? 'unknown' })
        return { ack: refuse(message, schemaRejection(verdict), receivedAt) }
      }
      if (verdict.subject !== undefined) {
        headers = { ...extraHeaders }
        headers.schema = `${verdict.subject}@${verdict.version ?? 'unknown'}`
        if (verdict.verdict === 'warn') {
          headers['validation-warning'] = JSON.stringify(verdict.errors)
          metrics.ingestEvents.inc({ result: 'warned', reason: 'schema' })
        }
      }
    }
    const applied = tree.apply(event, path)
    if (!applied.ok) {
      return { ack: refuse(message, { code: applied.error.code, reason: applied.error.message }, receivedAt) }
    }
    treeApplied.inc()
    accepted.inc()
    const envelope = event.tombstone === true ? null : (json ?? toEnvelopeJson(event))
    const placement = { levels: path.levels, tagClass: applied.value.class }
    return {
      forwarding: { message, event, placement, envelopeJson: envelope, headers: headers ?? extraHeaders },
    }
  }

  function handleJson(message: InboundMessage, receivedAt: number): PublishOutcome {
    const path = parseUnsPath(message.topic)
    if (!path.ok) {
      const ack = refuse(message, { code: path.error.code, reason: path.error.message }, receivedAt)
      return { ack, republish: NONE }
    }
    const payload = parseUnsPayload(message.payload, receivedAt)
    if (!payload.ok) {
      const ack = refuse(message, { code: payload.error.code, reason: payload.error.message }, receivedAt)
      return { ack, republish: NONE }
    }
    const p = payload.value
    const event: UnsEvent = {
      path: message.topic,
      value: p.value,
      timestamp: p.timestamp,
      quality: p.quality,
      source: message.clientId,
      origin: config.instanceId,
      ...(p.datatype === undefined ? {} : { datatype: p.datatype }),
      ...(p.staleSince === undefined ? {} : { staleSince: p.staleSince }),
      ...(p.tombstone ? { tombstone: true } : {}),
    }
    const r = accept(message, event, path.value, undefined, receivedAt)
    return { ack: r.forwarding ? bridge?.forward([r.forwarding]) : r.ack, republish: NONE }
  }

  /** Acts on what Sparkplug produced; `message` is the client publish it answers, if any. */
  function handleSparkplug(
    result: SparkplugResult,
    message: InboundMessage | undefined,
    receivedAt: number,
  ): PublishOutcome {
    const acks: Promise<void>[] = []
    const republish: OutgoingMessage[] = []
    const collect = (ack: Promise<void> | undefined): void => void (ack && acks.push(ack))
    if (result.raw !== undefined) collect(bridge?.sparkplugRaw(result.raw, receivedAt))
    if (message !== undefined && result.rejection !== undefined)
      collect(refuse(message, result.rejection, receivedAt))
    const qos = message !== undefined && message.qos > 0 ? 1 : 0
    const headers = { 'sparkplug-topic': result.topic }
    const forwardings: Forwarding[] = []
    for (const { event, path, json } of result.values) {
      // The telemetry record of a metric carries its JSON envelope at the UNS path.
      const payload = Buffer.from(json)
      const derived: InboundMessage = {
        topic: path.text,
        payload,
        qos,
        retain: event.historical !== true,
        clientId: event.source,
      }
      const r = accept(derived, event, path, payload, receivedAt, headers)
      collect(r.ack)
      if (r.forwarding === undefined) continue
      forwardings.push(r.forwarding)
      // History goes to Kafka only; the retained MQTT topic carries the current value.
      if (event.historical !== true)
        republish.push({ topic: path.text, payload: derived.payload, qos: 1, retain: true })
    }
    if (forwardings.length > 0) collect(bridge?.forward(forwardings))
    if (result.certificate !== undefined) republish.push(result.certificate)
    const ack = acks.length === 0 ? undefined : Promise.all(acks).then(() => undefined)
    return { ack, republish }
  }

  // Values that change without a publish (reorder timeout, host session lost): nobody waits for them.
  deps.sparkplug?.onDeferred((result) => {
    const { ack, republish } = handleSparkplug(result, undefined, now())
    ack?.catch(() => {}) // counted by the bridge
    for (const m of republish)
      deps.publish(m).catch((err: unknown) => logger.warn({ err, topic: m.topic }, 'republish failed'))
  })

  return {
    handle(message) {
      metrics.stageEvents.inc({ stage: 'mqtt_in' })
      const receivedAt = now()
      if (message.topic.startsWith(SPARKPLUG_PREFIX)) {
        if (deps.sparkplug === undefined) return { republish: NONE }
        return handleSparkplug(deps.sparkplug.ingest(message, receivedAt), message, receivedAt)
      }
      // Broker internals ($SYS, $sparkplug) are not UNS data.
      return message.topic.startsWith('$') ? { republish: NONE } : handleJson(message, receivedAt)
    },
  }
}

/**
 * Kafka -> UNS writes (`uns.commands` and inbound rules): who may write is asked of the security stage, as
 * a Kafka identity named by the record's `source` header (else `kafka`) with the roles of
 * `security.kafkaRoles`; the Sparkplug stage then checks the tag (writable, model) and sends the NCMD/DCMD.
 * Every record is audited with that identity and `kafka:<topic>` as its address, allowed or refused.
 */
export function createCommandWriter(
  deps: {
    security: Pick<Security, 'authorize' | 'recordAllowed' | 'audit'>
    fromCommand: SparkplugService['fromCommand']
  },
  config: { kafkaRoles: readonly string[] },
): (path: string, payload: Buffer, origin: CommandOrigin) => Promise<CommandWriteOutcome> {
  const { security } = deps
  const roles = Object.freeze([...config.kafkaRoles])
  // One identity object per source name, so the access rules' per-identity cache holds; bounded, since
  // producers choose the names.
  const identities = new Map<string, Identity>()
  const identityOf = (source: string | undefined): Identity => {
    const name = source === undefined || source === '' ? 'kafka' : source.slice(0, 256)
    let identity = identities.get(name)
    if (identity === undefined) {
      if (identities.size >= 1000) identities.clear()
      identity = Object.freeze({ name, kind: 'kafka', via: 'none', roles })
      identities.set(name, identity)
    }
    return identity
  }
  return async (path, payload, origin) => {
    const identity = identityOf(origin.source)
    const address = `kafka:${origin.topic}`
    // A refusal is audited by the security stage.
    if (!security.authorize({ identity, address, action: 'write', target: path }).allowed) return 'refused'
    const r = await deps.fromCommand(path, payload)
    if (r.outcome === 'refused') {
      security.audit.record({
        identity: identity.name,
        address,
        action: 'write',
        target: path,
        result: 'refused',
        reason: `${r.error.code}: ${r.error.message}`,
      })
    } else security.recordAllowed({ identity, address }, 'write', path)
    return r.outcome
  }
}

/** A value another instance (or this one before a restart) wrote to the state topic, into the tree. */
export function restoreStateRecord(tree: NamespaceTree, record: StateRecord, logger: Logger): void {
  const receivedAt = Date.now()
  const payload = record.value === null ? undefined : parseUnsPayload(record.value, receivedAt)
  if (payload && !payload.ok) {
    logger.warn({ path: record.path, err: payload.error }, 'unreadable state record skipped')
    return
  }
  const p = payload?.value
  const applied = tree.apply({
    path: record.path,
    value: p?.value ?? null,
    timestamp: p?.timestamp ?? receivedAt,
    quality: p?.quality ?? 'good',
    source: record.headers.source ?? '',
    origin: record.headers.origin ?? '',
    ...(p?.datatype === undefined ? {} : { datatype: p.datatype }),
    ...(p?.staleSince === undefined ? {} : { staleSince: p.staleSince }),
    ...(p === undefined ? { tombstone: true } : {}),
  })
  if (!applied.ok) logger.debug({ path: record.path, err: applied.error }, 'state record not applied')
}

// The first error goes into the reason too, so a DLQ view that shows only the reason still says why.
function schemaRejection(verdict: CheckResult): Rejection {
  const version = verdict.version === undefined ? '' : ` version ${verdict.version}`
  const first = verdict.errors[0]
  const why = first === undefined ? '' : `: ${first.instancePath || '(value)'} ${first.message}`
  return {
    code: 'UNS_ERR_REGISTRY_VALIDATION_FAILED',
    reason: `value does not match schema ${verdict.subject ?? ''}${version}${why}`,
    ...(verdict.subject === undefined ? {} : { subject: verdict.subject }),
    ...(verdict.version === undefined ? {} : { version: verdict.version }),
    errors: verdict.errors,
  }
}
