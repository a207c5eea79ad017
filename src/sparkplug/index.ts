// Public face of the Sparkplug B host application (STYLE.md rule 1). The host state machine is pure
// (`createSparkplugHost`); `createSparkplugService` wires it to the broker (its own MQTT client), the
// pipeline (UNS events, Kafka) and the write path.

export { createSparkplugHost, type SparkplugHost } from './session.js'
export {
  createSparkplugService,
  type SparkplugApi,
  type SparkplugService,
  type SparkplugServiceConfig,
  type SparkplugServiceDeps,
} from './service.js'
export type { WriteResult, WriteSource } from './writes.js'
export type { SparkplugResult, SparkplugValue } from './ingest.js'
export { duplexPair } from './host-client.js'
export { toUnsEvent } from './to-uns-event.js'
export type {
  Clock,
  CommandResult,
  DeviceInfo,
  HostLogger,
  HostOutcome,
  MetricInfo,
  MetricUpdate,
  NodeInfo,
  PublishAction,
  SparkplugHostConfig,
  SparkplugHostDeps,
  StatusChange,
} from './host-types.js'
export {
  parseSparkplugTopic,
  toSparkplugTopic,
  checkSparkplugId,
  type EdgeTopic,
  type SparkplugTopic,
  type StateTopic,
  type TopicResult,
} from './topic.js'
export {
  decodePayload,
  type DecodedPayload,
  type DecodeResult,
  type MetricDefinition,
  type MetricResolver,
  type SparkplugMetric,
} from './payload.js'
export { encodeCommand, encodeRebirthRequest, type CommandMetric, type EncodeResult } from './encode.js'
export { stateMessage, parseStatePayload, type StateMessage } from './state.js'
export { toQuality } from './properties.js'
export { DATATYPE_NAMES, type DatatypeName } from './datatypes.js'
export type { DataSetValue } from './dataset.js'
export type { TemplateDefinition, TemplateMember } from './template.js'
