// Sparkplug B into the UNS: every client publish on `spBv1.0/...` is recorded raw (Kafka `uns.sparkplug`),
// handed to the host state machine, and each metric change it yields becomes a UnsEvent on its ISA-95
// path: registry -> tree -> Kafka, and the JSON envelope republished retained on the UNS topic, so that
// plain MQTT clients see clean JSON. The host's publishes (Rebirth requests) go out through its client.
import type { UnsError } from '../errors.js'
import { toEnvelopeJson } from '../namespace/index.js'
import type { UnsEvent } from '../uns-event.js'
import type { HostOutcome, MetricUpdate, PublishAction } from './host-types.js'
import type { SparkplugHost } from './session.js'
import { NAMESPACE } from './topic.js'
import { toUnsEvent } from './to-uns-event.js'

/** A publish as the pipeline sees it (the broker's MqttMessage, the bridge's InboundPublish). */
export interface IngestMessage {
  readonly topic: string
  readonly payload: Buffer
  readonly qos: 0 | 1 | 2
  readonly retain: boolean
  readonly clientId: string
}

export interface MetricId {
  readonly group: string
  readonly edge: string
  readonly device?: string
  readonly metric: string
}

export interface IngestDeps {
  readonly host: SparkplugHost
  /** The namespace's Sparkplug mapping. */
  readonly toUnsPath: (
    id: MetricId,
  ) =>
    | { readonly ok: true; readonly value: { readonly text: string } }
    | { readonly ok: false; readonly error: UnsError }
  /** registry -> tree -> Kafka (the pipeline's `accept`). */
  readonly accept: (
    message: IngestMessage,
    event: UnsEvent,
    receivedAt: number,
    headers: Readonly<Record<string, string>>,
  ) => { accepted: boolean; pending: Promise<void> | undefined }
  readonly deadLetter: (
    message: IngestMessage,
    rejection: { code: string; reason: string },
    receivedAt: number,
  ) => Promise<void> | undefined
  /** Counts Sparkplug messages by type and decoded metric updates (metrics). */
  readonly countMessage: (type: string, metricUpdates: number) => void
  /** Raw bytes to the `uns.sparkplug` topic; undefined without Kafka. */
  readonly raw: (message: IngestMessage, receivedAt: number) => Promise<void> | undefined
  /** Internal broker publish: delivered to subscribers, never re-ingested. */
  readonly publishInternal: (m: {
    topic: string
    payload: Buffer
    qos: 0 | 1
    retain: boolean
  }) => Promise<void>
  /** Publishes as the host application (its own MQTT client). */
  readonly sendAction: (action: PublishAction) => Promise<void>
  readonly countProblem: (code: string) => void
  readonly logger: {
    debug(obj: object, msg: string): void
    info(obj: object, msg: string): void
    warn(obj: object, msg: string): void
  }
}

export interface SparkplugIngest {
  /** One client publish on `spBv1.0/...`; the promise (QoS 1) holds the PUBACK until Kafka acked. */
  onPublish(message: IngestMessage, receivedAt: number): Promise<void> | undefined
  /** An outcome that happened outside a publish (reorder timeout, host disconnect). */
  onOutcome(outcome: HostOutcome, receivedAt: number): void
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

export interface IngestConfig {
  readonly instanceId: string
  /** MQTT client id of this host application: its own publishes never wait for Kafka. */
  readonly hostClientId: string
}

export function createSparkplugIngest(deps: IngestDeps, config: IngestConfig): SparkplugIngest {
  const { host, logger } = deps
  // UNS path -> Sparkplug metric, filled from births: the reverse of the mapping for writes.
  const byPath = new Map<string, MetricId>()

  function toEvent(u: MetricUpdate, receivedAt: number): { event: UnsEvent; id: MetricId } | undefined {
    const id: MetricId =
      u.device === undefined
        ? { group: u.group, edge: u.edge, metric: u.metric }
        : { group: u.group, edge: u.edge, device: u.device, metric: u.metric }
    const mapped = deps.toUnsPath(id)
    if (!mapped.ok) {
      deps.countProblem(mapped.error.code)
      logger.debug({ err: mapped.error, receivedAt }, 'sparkplug metric not mapped')
      return undefined
    }
    const path = mapped.value.text
    if (u.cause === 'birth') byPath.set(path, id)
    return { event: toUnsEvent(u, path, config.instanceId), id }
  }

  function applyUpdates(o: HostOutcome, qos: 0 | 1, receivedAt: number, acks: Promise<void>[]): void {
    deps.countMessage(o.topic.split('/')[2] ?? 'unknown', o.updates.length)
    for (const u of o.updates) {
      const mapped = toEvent(u, receivedAt)
      if (mapped === undefined) continue
      const { event } = mapped
      const json = toEnvelopeJson(event)
      const message: IngestMessage = {
        topic: event.path,
        payload: Buffer.from(json),
        qos,
        retain: !u.historical,
        clientId: u.source,
      }
      const r = deps.accept(message, event, receivedAt, { 'sparkplug-topic': o.topic })
      if (r.pending !== undefined) acks.push(r.pending)
      // History goes to Kafka only; the retained MQTT topic carries the current value.
      if (!r.accepted || u.historical) continue
      deps
        .publishInternal({ topic: event.path, payload: message.payload, qos: 1, retain: true })
        .catch((err: unknown) => logger.warn({ err, path: event.path }, 'UNS republish failed'))
    }
  }

  function sendActions(o: HostOutcome): void {
    for (const a of o.actions) {
      deps
        .sendAction(a)
        .catch((err: unknown) => logger.warn({ err, topic: a.topic }, 'sparkplug host publish failed'))
    }
  }

  function countProblems(o: HostOutcome): UnsError | undefined {
    let malformed: UnsError | undefined
    for (const p of o.problems) {
      deps.countProblem(p.code)
      logger.debug({ topic: o.topic, code: p.code, reason: p.message }, 'sparkplug problem')
      if (malformed === undefined && MALFORMED.has(p.code)) malformed = p
    }
    return malformed
  }

  /** The Sparkplug-aware server's copy of an accepted birth [tck-id-conformance-mqtt-aware-*]. */
  function certify(message: IngestMessage, o: HostOutcome): void {
    const parts = message.topic.split('/')
    const type = parts[2]
    if (type !== 'NBIRTH' && type !== 'DBIRTH') return
    const device = type === 'DBIRTH' ? parts[4] : undefined
    const born = o.statuses.some(
      (s) => s.online && s.group === parts[1] && s.edge === parts[3] && s.device === device,
    )
    if (!born) return
    // Byte-identical and retained [tck-id-conformance-mqtt-aware-nbirth-mqtt-topic, -nbirth-mqtt-retain,
    // -dbirth-mqtt-topic, -dbirth-mqtt-retain].
    deps
      .publishInternal({
        topic: CERTIFICATES + message.topic,
        payload: message.payload,
        qos: 1,
        retain: true,
      })
      .catch((err: unknown) => logger.warn({ err, topic: message.topic }, 'birth certificate copy failed'))
  }

  return {
    onPublish(message, receivedAt) {
      const acks: Promise<void>[] = []
      // The host's own STATE and commands are recorded best effort: its birth must not wait for Kafka.
      const own = message.clientId === config.hostClientId
      const raw = deps.raw(own ? { ...message, qos: 0 } : message, receivedAt)
      if (raw !== undefined) acks.push(raw)
      // STATE is read by the host client's own subscription; commands are for edge nodes.
      if (!message.topic.startsWith(`${NAMESPACE}/STATE/`)) {
        const o = host.handle(message.topic, message.payload, receivedAt)
        const malformed = countProblems(o)
        if (malformed !== undefined) {
          const dl = deps.deadLetter(message, { code: malformed.code, reason: malformed.message }, receivedAt)
          if (dl !== undefined) acks.push(dl)
        }
        applyUpdates(o, message.qos > 0 ? 1 : 0, receivedAt, acks)
        certify(message, o)
        sendActions(o)
      }
      if (acks.length === 0) return undefined
      return Promise.all(acks).then(() => undefined)
    },
    onOutcome(o, receivedAt) {
      countProblems(o)
      const acks: Promise<void>[] = []
      applyUpdates(o, 0, receivedAt, acks)
      sendActions(o)
      for (const a of acks) a.catch(() => {}) // nobody waits: counted by the bridge
    },
    resolve: (path) => byPath.get(path),
  }
}
