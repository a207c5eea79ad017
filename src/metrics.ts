// Prometheus series of the whole service, in one registry per service instance (tests run
// several instances in one process). Stages get the instruments they update through deps.
import { Counter, Gauge, Registry, collectDefaultMetrics } from 'prom-client'

export interface Metrics {
  readonly registry: Registry
  readonly mqttPublishes: Counter<'qos'>
  readonly mqttRejected: Counter<'reason'>
  readonly mqttClients: Gauge
  readonly bridgeRecords: Counter<'direction' | 'result'>
  readonly bridgeBufferRecords: Gauge
  readonly kafkaConnected: Gauge
  readonly ingestEvents: Counter<'result' | 'reason'>
  readonly sparkplugProblems: Counter<'code'>
  readonly writes: Counter<'source' | 'result'>
}

export function createMetrics(): Metrics {
  const registry = new Registry()
  collectDefaultMetrics({ register: registry })
  const registers = [registry]
  return {
    registry,
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
    writes: new Counter({
      name: 'uns_writes_total',
      help: 'Writes to UNS paths (API and uns.commands), by source and result code',
      labelNames: ['source', 'result'],
      registers,
    }),
    kafkaConnected: new Gauge({
      name: 'uns_kafka_connected',
      help: '1 when the Kafka producer is connected',
      registers,
    }),
  }
}
