export { namespaceFileSchema, FIELD_CLASSES, FIELD_TYPES } from './namespace-file-schema.js'
