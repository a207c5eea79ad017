import {
  findModelVersion,
  formatModelRef,
  type FieldDef,
  type ModelRef,
  type NamespaceDefinition,
} from './definition.js'

/**
 * Annotation keywords that model schemas carry besides standard JSON Schema. A strict Ajv must be
 * told about them once: `ajv.addVocabulary(MODEL_SCHEMA_KEYWORDS)`.
 */
export const MODEL_SCHEMA_KEYWORDS = ['x-uns-unit', 'x-uns-class'] as const

export type JsonSchema = Record<string, unknown>

export function modelSchemaId(ref: ModelRef): string {
  return `urn:uns-bridge:model:${ref.name}:${ref.version}`
}

function fieldSchema(f: FieldDef): JsonSchema {
  const s: JsonSchema = {}
  if (f.model !== undefined) s.$ref = `#/$defs/${formatModelRef(f.model)}`
  const min = f.range?.min
  const max = f.range?.max
  const bounds = {
    ...(min === undefined ? {} : { minimum: min }),
    ...(max === undefined ? {} : { maximum: max }),
  }
  switch (f.type) {
    case 'number':
      Object.assign(s, { type: 'number' }, bounds)
      break
    case 'integer':
      // [PRODUCT.md §3] 64-bit integers beyond 2^53 travel as decimal strings.
      s.anyOf = [
        { type: 'integer', ...bounds },
        { type: 'string', pattern: '^-?[0-9]+$' },
      ]
      break
    case 'boolean':
    case 'string':
      s.type = f.type
      break
    case 'datetime':
      Object.assign(s, { type: 'integer', minimum: 0, description: 'epoch milliseconds' })
      break
    case 'bytes':
      Object.assign(s, { type: 'string', contentEncoding: 'base64' })
      break
    case 'json':
    case undefined:
      break
  }
  if (f.enum !== undefined) s.enum = f.enum
  if (f.description !== undefined) s.description = f.description
  if (f.unit !== undefined) s['x-uns-unit'] = f.unit
  s['x-uns-class'] = f.class
  if (!f.writable) s.readOnly = true
  return s
}

function objectSchema(def: NamespaceDefinition, ref: ModelRef, defs: Record<string, JsonSchema>): JsonSchema {
  const mv = findModelVersion(def, ref)
  if (mv === undefined) throw new RangeError(`unknown model ${formatModelRef(ref)}`)
  const properties: Record<string, JsonSchema> = {}
  for (const f of mv.fields) {
    properties[f.name] = fieldSchema(f)
    const sub = f.model
    // The loader rejected cycles, so this recursion ends.
    if (sub !== undefined && defs[formatModelRef(sub)] === undefined) {
      defs[formatModelRef(sub)] = {}
      defs[formatModelRef(sub)] = objectSchema(def, sub, defs)
    }
  }
  return {
    title: formatModelRef(mv),
    ...(mv.description === undefined ? {} : { description: mv.description }),
    type: 'object',
    properties,
    additionalProperties: false,
  }
}

/**
 * JSON Schema (draft 2020-12) of the values of one model version: an object with one property per
 * field; sub-models are `$defs`. One tag's schema is `<$id>#/properties/<field>`. Throws RangeError
 * for a model the definition does not declare (a programming error: the loader checked every reference).
 */
export function modelSchema(def: NamespaceDefinition, name: string, version: number): JsonSchema {
  const ref = { name, version }
  const defs: Record<string, JsonSchema> = {}
  const body = objectSchema(def, ref, defs)
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: modelSchemaId(ref),
    ...body,
    ...(Object.keys(defs).length === 0 ? {} : { $defs: defs }),
  }
}
