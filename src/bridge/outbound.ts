// MQTT -> Kafka: accepted values to their routed topic and the compacted state topic, raw Sparkplug
// messages and refusals to their own topics, through the bounded, ordered producer. QoS 1 input gets
// the promise of every ack (the PUBACK waits for it); QoS 0 is best effort, counted, never awaited.
import { hotCount, type HotCount, type Metrics } from '../metrics.js'
import type { BufferedProducer, KafkaRecord } from '../kafka/index.js'
import type { AuditEvent } from '../security/index.js'
import type { InboundMessage, Rejection, UnsEvent } from '../uns/index.js'
import {
  toDeadLetterRecord,
  toRoutedRecord,
  toSparkplugRecord,
  toStateRecord,
  type HeaderLayout,
} from './mqtt-to-kafka.js'
import { renderOutbound, type Router } from './rules.js'
import { createStateCoalescer } from './state-coalescer.js'

/** Where an accepted value sits in the namespace: what routing needs, from the tree's answer. */
export interface Placement {
  readonly levels: readonly string[]
  /** The declared class of the tag; undefined for undeclared paths. */
  readonly tagClass: string | undefined
}

/** One accepted value for Kafka. */
export interface Forwarding {
  /** Its MQTT message: the routed record carries these bytes. */
  readonly message: InboundMessage
  readonly event: UnsEvent
  readonly placement: Placement
  /** Its new current value for the state topic; null for a tombstone. */
  readonly envelopeJson: string | Buffer | null
  readonly headers?: Readonly<Record<string, string>> | undefined
}

export interface Outbound {
  /**
   * Accepted values (one JSON publish, or every metric of one Sparkplug message) to their routed topics
   * and the state topic. One promise for them all: issue 13 measured a promise, a counter and a histogram
   * update per metric as a real share of the hot path.
   */
  forward(values: readonly Forwarding[]): Promise<void> | undefined
  sparkplugRaw(message: InboundMessage, receivedAt: number): Promise<void> | undefined
  deadLetter(message: InboundMessage, rejection: Rejection, receivedAt: number): Promise<void> | undefined
  /**
   * One audit event (src/security) as a JSON record on the audit topic, keyed by identity so one identity's
   * events stay in order. Best effort like QoS 0: counted (`uns_bridge_records_total{direction="audit"}`),
   * never awaited; the log and `uns_audit_events_total` keep every event even when Kafka is away.
   */
  audit(event: AuditEvent): void
  /** Sends the coalesced state records now (shutdown). */
  flush(): void
}

export interface OutboundConfig {
  readonly instanceId: string
  /** Random per process: marks this process's own state records. */
  readonly session: string
  readonly stateCoalesceMs: number
  /** Headers of routed records: lean (default) or full (mqtt-to-kafka.ts HeaderLayout). */
  readonly telemetryHeaders?: 'lean' | 'full'
  /** kafka.sparkplugRaw: false writes no raw Sparkplug records. */
  readonly sparkplugRaw?: boolean
  readonly topics: {
    readonly state: string
    readonly dlq: string
    readonly sparkplug: string
    readonly audit: string
  }
}

export function createOutbound(
  deps: { producer: BufferedProducer; metrics: Metrics; router: Router },
  config: OutboundConfig,
): Outbound {
  const { producer, metrics, router } = deps
  const full = config.telemetryHeaders === 'full'
  // Per target topic: lean layouts write `origin` only where an inbound route reads the topic back.
  const layouts = new Map<string, HeaderLayout>()
  const layoutOf = (topic: string): HeaderLayout => {
    let layout = layouts.get(topic)
    if (layout === undefined) {
      layout = { full, bridgedBack: router.inbound.some((r) => r.matches(topic)) }
      layouts.set(topic, layout)
    }
    return layout
  }
  const stateCoalescer = createStateCoalescer(
    { produce: (records) => void send(records, true, 'state')?.catch(() => {}) },
    { intervalMs: config.stateCoalesceMs },
  )

  // Per routed value: plain numbers until read (hotCount), one pair per configured route.
  const perRoute = new Map<string, { records: HotCount; bytes: HotCount }>()
  const routeCounts = (route: string): { records: HotCount; bytes: HotCount } => {
    let counts = perRoute.get(route)
    if (counts === undefined) {
      counts = {
        records: hotCount(metrics.routeRecords, { route }),
        bytes: hotCount(metrics.routeBytes, { route }),
      }
      perRoute.set(route, counts)
    }
    return counts
  }

  // The buffer gauges are read by scrapes seconds apart: set at most this often, not per record.
  const GAUGE_INTERVAL_MS = 100
  let gaugesSetAt = 0

  /**
   * Queues records; for must-deliver input returns the promise of all their acks. One promise and one
   * counter update per call, not per record (issue 13: the hot path made several per metric).
   */
  function send(
    records: KafkaRecord[],
    mustDeliver: boolean,
    direction: string,
    route = direction,
  ): Promise<void> | undefined {
    const startedAt = performance.now()
    const result = producer.produceAll(records, mustDeliver)
    const { dropped, acked } = result
    if (dropped > 0) metrics.bridgeRecords.inc({ direction, result: 'dropped' }, dropped)
    if (startedAt - gaugesSetAt >= GAUGE_INTERVAL_MS) {
      gaugesSetAt = startedAt
      const stats = producer.stats()
      metrics.bridgeBufferRecords.set(stats.bufferedRecords)
      metrics.bridgeBufferBytes.set(stats.bufferedBytes)
    }
    if (acked === undefined) return mustDeliver ? Promise.resolve() : undefined
    const queued = records.length - dropped
    const all = acked.then(
      () => {
        metrics.bridgeRecords.inc({ direction, result: 'sent' }, queued)
        metrics.kafkaProduceSeconds.observe({ direction, route }, (performance.now() - startedAt) / 1000)
      },
      (err: unknown) => {
        // Rare: some of the records may have gone through before one was refused.
        const { failed } = result
        if (failed < queued) metrics.bridgeRecords.inc({ direction, result: 'sent' }, queued - failed)
        metrics.bridgeRecords.inc({ direction, result: 'failed' }, failed)
        if (route !== direction) metrics.routeErrors.inc({ route }, failed)
        throw err
      },
    )
    if (mustDeliver) return all
    all.catch(() => {}) // best effort (QoS 0): counted above, nobody waits
    return undefined
  }

  return {
    forward(values) {
      // One send per route (a Sparkplug message's metrics usually share one), so the per-route
      // counters and latency stay exact.
      const byRoute = new Map<string, KafkaRecord[]>()
      const add = (route: string, record: KafkaRecord): void => {
        const records = byRoute.get(route)
        if (records === undefined) byRoute.set(route, [record])
        else records.push(record)
      }
      let mustDeliver = false
      for (const { message, event, placement, envelopeJson, headers } of values) {
        if (message.qos > 0) mustDeliver = true
        // A transient value (Sparkplug is_transient) is current but not history: no routed record.
        if (!event.tombstone && event.transient !== true) {
          const { levels, tagClass } = placement
          const route = router.route(levels, tagClass)
          const target =
            route &&
            renderOutbound(route, {
              path: event.path,
              levels,
              clientId: message.clientId,
              class: tagClass ?? '',
            })
          if (route && target) {
            const layout = layoutOf(route.topic)
            add(
              route.name,
              toRoutedRecord(
                message,
                { topic: route.topic, ...target },
                config.instanceId,
                tagClass,
                headers,
                layout,
              ),
            )
            const counts = routeCounts(route.name)
            counts.records.inc()
            counts.bytes.inc(message.payload.length)
          } else {
            metrics.routeRecords.inc({ route: route ? `${route.name}:unrenderable` : 'unrouted' })
          }
        }
        // A historical value (Sparkplug is_historical) is history only: it must not become the current state.
        if (event.historical !== true) {
          const state = toStateRecord(event, envelopeJson, config.topics.state, config.session)
          if (config.stateCoalesceMs > 0) stateCoalescer.add(state)
          else add('state', state)
        }
      }
      const acks: Promise<void>[] = []
      for (const [route, records] of byRoute) {
        const ack = send(records, mustDeliver, 'mqtt_to_kafka', route)
        if (ack !== undefined) acks.push(ack)
      }
      if (acks.length <= 1) return acks[0]
      return Promise.all(acks).then(() => undefined)
    },
    sparkplugRaw(message, receivedAt) {
      if (config.sparkplugRaw === false) return undefined
      const record = toSparkplugRecord(message, config.topics.sparkplug, config.instanceId, receivedAt)
      return send([record], message.qos > 0, 'sparkplug_raw')
    },
    deadLetter(message, rejection, receivedAt) {
      const record = toDeadLetterRecord(message, rejection, config.topics.dlq, config.instanceId, receivedAt)
      return send([record], message.qos > 0, 'dead_letter')
    },
    audit(event) {
      const record: KafkaRecord = {
        topic: config.topics.audit,
        key: event.identity,
        value: Buffer.from(JSON.stringify(event)),
        headers: { 'content-type': 'application/json', origin: config.instanceId },
      }
      void send([record], false, 'audit')
    },
    flush: () => stateCoalescer.flush(),
  }
}
