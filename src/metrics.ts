// Prometheus series of the whole service, in one registry per service instance (tests run
// several instances in one process). Stages get the instruments they update through deps.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client'

export interface Metrics {
  readonly registry: Registry
  readonly mqttPublishes: Counter<'qos'>
  readonly mqttRejected: Counter<'reason'>
  readonly mqttClients: Gauge
  readonly bridgeRecords: Counter<'direction' | 'result'>
  readonly bridgeBufferRecords: Gauge
  readonly kafkaConnected: Gauge
  readonly ingestEvents: Counter<'result' | 'reason'>
  readonly routeRecords: Counter<'route'>
  readonly routeBytes: Counter<'route'>
  readonly kafkaProduceSeconds: Histogram<'direction' | 'route'>
  readonly routeErrors: Counter<'route'>
  readonly inboundRecords: Counter<'route' | 'result'>
  readonly inboundBytes: Counter<'route'>
  readonly sparkplugProblems: Counter<'code'>
  readonly writes: Counter<'source' | 'result'>
  /** MQTT connections accepted since start (uns_mqtt_clients is the current number). */
  readonly mqttConnections: Counter
  /** How long a QoS 1 PUBACK was held for Kafka's acknowledgement (decision 0001), seconds. */
  readonly pubackDelay: Histogram
  /** Events passing each stage: mqtt_in, sparkplug_metric, registry_checked, tree_applied. */
  readonly stageEvents: Counter<'stage'>
  /** Sparkplug B messages by type (NBIRTH, DBIRTH, NDATA, DDATA, NDEATH, DDEATH, STATE, ...). */
  readonly sparkplugMessages: Counter<'type'>
  /** Values refused by a bound schema, by subject. */
  readonly validationFailures: Counter<'subject'>
  /** Duration of one produce request (one batch, acks=all), seconds; uns_kafka_produce_seconds is per record. */
  readonly kafkaRequestDuration: Histogram
  /** Records per produce request. */
  readonly kafkaBatchRecords: Histogram
  /** Produce requests that failed, by whether kafkajs called the error retriable. */
  readonly kafkaProduceErrors: Counter<'retriable'>
  readonly bridgeBufferBytes: Gauge
  /** Open SSE streams (GET /api/v1/stream). */
  readonly sseClients: Gauge
  /** SSE streams refused at `security.limits.sseStreams`. */
  readonly sseRefused: Counter
  /** Read at scrape time from the bound tree source. */
  readonly treeSize: Gauge<'kind'>
  /** Read at scrape time from the bound Sparkplug source. */
  readonly sparkplugOnline: Gauge<'kind'>
  /** Audit trail events (refusals, writes, admin changes) by action and result (src/security audit.ts). */
  readonly auditEvents: Counter<'action' | 'result'>
  /**
   * Gives the gauges read at scrape time their sources (tree size, Sparkplug nodes online); the
   * service calls it once after creating the stages. Unbound sources report nothing.
   */
  bindSources(sources: MetricSources): void
}

/** Read at each scrape, so nothing on the hot path updates them. */
export interface MetricSources {
  readonly tree?: () => { readonly nodes: number; readonly values: number }
  readonly sseClients?: () => number
  readonly sparkplugNodes?: () => readonly {
    readonly online: boolean
    readonly devices: readonly { readonly online: boolean }[]
  }[]
}

export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const registers = [registry]
  let sources: MetricSources = {}
  return {
    registry,
    bindSources(next) {
      sources = { ...sources, ...next }
    },
    mqttConnections: new Counter({
      name: 'uns_mqtt_connections_total',
      help: 'MQTT connections accepted since start',
      registers,
    }),
    pubackDelay: new Histogram({
      name: 'uns_mqtt_puback_delay_seconds',
      help: 'How long a QoS 1 PUBACK waited for the Kafka acknowledgement of its records',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    stageEvents: new Counter({
      name: 'uns_stage_events_total',
      help: 'Events through each pipeline stage: mqtt_in, sparkplug_metric, registry_checked, tree_applied',
      labelNames: ['stage'],
      registers,
    }),
    sparkplugMessages: new Counter({
      name: 'uns_sparkplug_messages_total',
      help: 'Sparkplug B messages received, by message type',
      labelNames: ['type'],
      registers,
    }),
    validationFailures: new Counter({
      name: 'uns_registry_validation_failures_total',
      help: 'Values refused by their bound schema (sent to the dead-letter topic), by subject',
      labelNames: ['subject'],
      registers,
    }),
    kafkaRequestDuration: new Histogram({
      name: 'uns_kafka_request_seconds',
      help: 'Duration of one Kafka produce request (one batch, acks=all)',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
      registers,
    }),
    kafkaBatchRecords: new Histogram({
      name: 'uns_kafka_batch_records',
      help: 'Records in one Kafka produce request',
      buckets: [1, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000],
      registers,
    }),
    kafkaProduceErrors: new Counter({
      name: 'uns_kafka_produce_errors_total',
      help: 'Kafka produce requests that failed, by retriable (true/false)',
      labelNames: ['retriable'],
      registers,
    }),
    bridgeBufferBytes: new Gauge({
      name: 'uns_bridge_buffer_bytes',
      help: 'Bytes of the records waiting for Kafka',
      registers,
    }),
    sseClients: new Gauge({
      name: 'uns_sse_clients',
      help: 'Open SSE streams',
      registers,
      collect() {
        const n = sources.sseClients?.()
        if (n !== undefined) this.set(n)
      },
    }),
    sseRefused: new Counter({
      name: 'uns_sse_refused_total',
      help: 'SSE streams refused because security.limits.sseStreams were open',
      registers,
    }),
    treeSize: new Gauge({
      name: 'uns_tree_nodes',
      help: 'Nodes of the namespace tree (kind=nodes) and nodes holding a value (kind=values)',
      labelNames: ['kind'],
      registers,
      collect() {
        const t = sources.tree?.()
        if (!t) return
        this.set({ kind: 'nodes' }, t.nodes)
        this.set({ kind: 'values' }, t.values)
      },
    }),
    sparkplugOnline: new Gauge({
      name: 'uns_sparkplug_online',
      help: 'Sparkplug edge nodes (kind=edge) and devices (kind=device) currently online',
      labelNames: ['kind'],
      registers,
      collect() {
        const nodes = sources.sparkplugNodes?.()
        if (!nodes) return
        this.set({ kind: 'edge' }, nodes.filter((n) => n.online).length)
        this.set(
          { kind: 'device' },
          nodes.reduce((k, n) => k + n.devices.filter((d) => d.online).length, 0),
        )
      },
    }),
    mqttPublishes: new Counter({
      name: 'uns_mqtt_publishes_total',
      help: 'MQTT PUBLISH packets received from clients',
      labelNames: ['qos'],
      registers,
    }),
    mqttRejected: new Counter({
      name: 'uns_mqtt_rejected_total',
      help: 'MQTT publishes refused by the broker, by reason',
      labelNames: ['reason'],
      registers,
    }),
    mqttClients: new Gauge({ name: 'uns_mqtt_clients', help: 'Connected MQTT clients', registers }),
    bridgeRecords: new Counter({
      name: 'uns_bridge_records_total',
      help: 'Records through the Kafka bridge; direction mqtt_to_kafka or kafka_to_mqtt',
      labelNames: ['direction', 'result'],
      registers,
    }),
    bridgeBufferRecords: new Gauge({
      name: 'uns_bridge_buffer_records',
      help: 'Records waiting for Kafka',
      registers,
    }),
    ingestEvents: new Counter({
      name: 'uns_ingest_events_total',
      help: 'UNS publishes by outcome (accepted, warned, rejected) and rejection code',
      labelNames: ['result', 'reason'],
      registers,
    }),
    sparkplugProblems: new Counter({
      name: 'uns_sparkplug_problems_total',
      help: 'Problems found in Sparkplug B messages (bad topics and payloads, gaps, unknown nodes), by code',
      labelNames: ['code'],
      registers,
    }),
    auditEvents: new Counter({
      name: 'uns_audit_events_total',
      help: 'Audit trail events: refused connects, publishes, subscribes and API calls, writes, admin changes',
      labelNames: ['action', 'result'],
      registers,
    }),
    writes: new Counter({
      name: 'uns_writes_total',
      help: 'Writes to UNS paths (API and uns.commands), by source and result code',
      labelNames: ['source', 'result'],
      registers,
    }),
    routeRecords: new Counter({
      name: 'uns_bridge_route_records_total',
      help: 'MQTT -> Kafka records per bridge route (unrouted: no route matched)',
      labelNames: ['route'],
      registers,
    }),
    routeBytes: new Counter({
      name: 'uns_bridge_route_bytes_total',
      help: 'MQTT -> Kafka payload bytes per bridge route',
      labelNames: ['route'],
      registers,
    }),
    routeErrors: new Counter({
      name: 'uns_bridge_route_errors_total',
      help: 'MQTT -> Kafka records of a route that Kafka did not take (refused, or shut down before the ack)',
      labelNames: ['route'],
      registers,
    }),
    inboundRecords: new Counter({
      name: 'uns_bridge_inbound_records_total',
      help: 'Kafka -> MQTT records per inbound route, by result (delivered, written, refused, invalid, skipped_own_origin)',
      labelNames: ['route', 'result'],
      registers,
    }),
    inboundBytes: new Counter({
      name: 'uns_bridge_inbound_bytes_total',
      help: 'Kafka -> MQTT payload bytes per inbound route',
      labelNames: ['route'],
      registers,
    }),
    kafkaProduceSeconds: new Histogram({
      name: 'uns_kafka_produce_seconds',
      help: 'From handing a record to the producer to Kafka acknowledging it (acks=all)',
      labelNames: ['direction', 'route'],
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 10],
      registers,
    }),
    kafkaConnected: new Gauge({
      name: 'uns_kafka_connected',
      help: '1 when the Kafka producer is connected',
      registers,
    }),
  }
}

/** One series of a counter, counted in a plain number on the hot path. */
export interface HotCount {
  inc(value?: number): void
}

/**
 * A series of `counter` for fixed `labels` whose increments add up in a plain number and reach prom-client when
 * the counter is read (a scrape, or `get()`), through the counter's `collect`. prom-client hashes the labels on
 * every `inc`; per metric update that was about 4 % of the service's CPU under the Sparkplug load (issue 13).
 */
export function hotCount<L extends string>(
  counter: Counter<L>,
  labels: Partial<Record<L, string>>,
): HotCount {
  let pending = 0
  const self = counter as unknown as { collect?: () => unknown }
  const before = self.collect
  self.collect = function (this: unknown) {
    if (pending > 0) {
      counter.inc(labels, pending)
      pending = 0
    }
    return before?.call(this)
  }
  return {
    inc(value = 1) {
      pending += value
    },
  }
}
