// JSON Schema (draft 2020-12) of one namespace definition file (PRODUCT.md §3). Several files are
// merged; cross-file rules (unknown model, duplicate path, add-only, level depth) live in the loader.

const name = '^[A-Za-z][A-Za-z0-9_-]*$'
const modelRef = '^[A-Za-z][A-Za-z0-9_-]*@[1-9][0-9]*$'
// A path level: no wildcards, no slash, not empty (the loader checks the whole path with parseUnsPath).
const path = '^[^/+#$][^+#]*$'

export const FIELD_TYPES = ['number', 'integer', 'boolean', 'string', 'datetime', 'bytes', 'json'] as const
export const FIELD_CLASSES = [
  'telemetry',
  'state',
  'event',
  'alarm',
  'counter',
  'order',
  'command',
  'config',
] as const

const field = {
  type: 'object',
  additionalProperties: false,
  properties: {
    type: { enum: FIELD_TYPES, description: 'Value type; integers beyond 2^53 travel as decimal strings.' },
    model: { type: 'string', pattern: modelRef, description: 'Sub-model by reference, `Name@version`.' },
    unit: { type: 'string', minLength: 1 },
    range: {
      type: 'object',
      additionalProperties: false,
      properties: { min: { type: 'number' }, max: { type: 'number' } },
    },
    class: { enum: FIELD_CLASSES, default: 'telemetry' },
    description: { type: 'string' },
    writable: { type: 'boolean', default: false },
    enum: { type: 'array', minItems: 1, items: { type: ['string', 'number', 'boolean'] } },
  },
  if: { not: { required: ['model'] } },
  then: { required: ['type'] },
} as const

const modelVersion = {
  type: 'object',
  additionalProperties: false,
  required: ['version', 'fields'],
  properties: {
    version: { type: 'integer', minimum: 1 },
    description: { type: 'string' },
    fields: {
      type: 'object',
      minProperties: 1,
      propertyNames: { pattern: name },
      additionalProperties: field,
    },
  },
} as const

export const namespaceFileSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  $id: 'urn:uns-bridge:schema:namespace-file',
  title: 'uns-bridge namespace definition file',
  type: 'object',
  additionalProperties: false,
  properties: {
    levels: {
      description: 'Ordered ISA-95 levels, top first (enterprise, site, area, line, cell, ...).',
      type: 'array',
      minItems: 1,
      uniqueItems: true,
      items: { type: 'string', pattern: name },
    },
    models: {
      type: 'object',
      propertyNames: { pattern: name },
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['versions'],
        properties: {
          description: { type: 'string' },
          versions: { type: 'array', minItems: 1, items: modelVersion },
        },
      },
    },
    nodes: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path'],
        properties: {
          path: { type: 'string', minLength: 1, pattern: path },
          level: { type: 'string', pattern: name },
          model: { type: 'string', pattern: modelRef },
          displayName: { type: 'string' },
          attributes: {
            type: 'object',
            additionalProperties: { type: ['string', 'number', 'boolean'] },
          },
        },
      },
    },
    sparkplug: {
      type: 'object',
      additionalProperties: false,
      properties: {
        pathTemplate: {
          description: 'Path of an unmapped metric; {device}/ is dropped for node-level metrics.',
          type: 'string',
          pattern: '\\{metric\\}',
        },
        mappings: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['group', 'edge', 'path'],
            properties: {
              group: { type: 'string', minLength: 1 },
              edge: { type: 'string', minLength: 1 },
              device: { type: 'string', minLength: 1 },
              path: { type: 'string', minLength: 1, pattern: path },
              metrics: { type: 'object', additionalProperties: { type: 'string', minLength: 1 } },
            },
          },
        },
      },
    },
  },
} as const
