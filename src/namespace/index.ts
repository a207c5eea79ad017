// Public face of the namespace (STYLE.md rule 1): the definition loader, the live tree and the Sparkplug mapping.
export { loadNamespace } from './loader.js'
export {
  DEFAULT_LEVELS,
  DEFAULT_SPARKPLUG_TEMPLATE,
  findModelVersion,
  formatModelRef,
  type FieldDef,
  type ModelVersion,
  type NamespaceDefinition,
  type NodeDef,
  type SparkplugSection,
} from './definition.js'
export { modelSchema } from './model-schema.js'
export { fieldValueProblem, type FieldConstraints } from './field-value.js'
export { createSparkplugMapper, type SparkplugMapper } from './sparkplug-mapping.js'
export { createNamespaceTree, type NamespaceTree, type ValueChange, type ValuesQuery } from './tree.js'
export type { TreeEntry, ValueView } from './tree-views.js'
export type { SearchQuery } from './tree-search.js'
export { FIELD_CLASSES, FIELD_TYPES } from './file-schema.js'
