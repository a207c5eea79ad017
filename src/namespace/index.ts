export { parseUnsPath, type UnsPath, type UnsPathLimits } from './uns-path.js'
export { parseUnsPayload, toEnvelopeJson, type UnsPayload } from './envelope.js'
export type { Result } from './result.js'
export { loadNamespace } from './loader.js'
export {
  DEFAULT_LEVELS,
  DEFAULT_SPARKPLUG_TEMPLATE,
  findModelVersion,
  formatModelRef,
  type FieldClass,
  type FieldDef,
  type FieldType,
  type ModelDef,
  type ModelRef,
  type ModelVersion,
  type NamespaceDefinition,
  type NodeDef,
  type SourceLocation,
  type SparkplugMappingDef,
  type SparkplugSection,
} from './definition.js'
export { MODEL_SCHEMA_KEYWORDS, modelSchema, modelSchemaId, type JsonSchema } from './model-schema.js'
export { createSparkplugMapper, type SparkplugMapper, type SparkplugMetricId } from './sparkplug-mapping.js'
