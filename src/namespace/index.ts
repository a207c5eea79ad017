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
export {
  createNamespaceTree,
  type ApplyOutcome,
  type NamespaceTree,
  type NamespaceTreeOptions,
  type TreeStats,
  type ValueChange,
  type ValuesQuery,
} from './tree.js'
export type { NodeDefinitionView, NodeView, TreeEntry, ValueView } from './tree-views.js'
export type { ValuesPage } from './tree-values.js'
export type { SearchHit, SearchQuery } from './tree-search.js'
export { FIELD_CLASSES, FIELD_TYPES, namespaceFileSchema } from './file-schema.js'
