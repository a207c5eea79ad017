// Public face of the Sparkplug B host application (STYLE.md rule 1). The host state machine is pure
// (`createSparkplugHost`); `createSparkplugService` wires it to the broker (its own MQTT client), the
// pipeline (UNS events, Kafka) and the write path.

export { createSparkplugHost } from './session.js'
export { createSparkplugService, type SparkplugApi, type SparkplugService } from './service.js'
export type { CommandOutcome } from './writes.js'
export type { SparkplugResult } from './ingest.js'
export type { NodeInfo } from './host-types.js'
export { createSharedNodeView, type SharedNodeView } from './shared-view.js'
export { decodePayload, type MetricResolver } from './payload.js'
export { parseSparkplugTopic } from './topic.js'
