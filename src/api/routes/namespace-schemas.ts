// Request and response schemas of the namespace routes (TypeBox = JSON Schema). Response schemas also
// drive fast-json-stringify, so every field a client may read must be listed here.
import { Type, type TSchema } from '@sinclair/typebox'
import { FIELD_CLASSES, FIELD_TYPES } from '../../namespace/index.js'
import { QUALITIES } from '../../uns/index.js'

export const MAX_LIMIT = 1000
export const MAX_DEPTH = 16

/** A plain `enum` (one readable validation error, unlike a union of literals). */
export function StringEnum<T extends string>(values: readonly T[], description?: string) {
  return Type.Unsafe<T>({
    type: 'string',
    enum: values,
    ...(description === undefined ? {} : { description }),
  })
}

const Quality = StringEnum(QUALITIES, 'PRODUCT.md §3')
const JsonValue = Type.Unknown({
  description:
    'The current value; Int64/UInt64 values (and 64-bit integers beyond 2^53) are decimal strings, bytes are base64',
})
const EpochMs = (description: string) => Type.Number({ description: `${description}, epoch milliseconds` })

export const ValueOut = Type.Object({
  path: Type.String(),
  value: JsonValue,
  timestamp: EpochMs('Source timestamp'),
  quality: Quality,
  staleSince: Type.Optional(EpochMs('Since when the value is stale (timestamp stays the last sample)')),
  datatype: Type.Optional(Type.String({ description: 'Sparkplug datatype when known' })),
  source: Type.String({ description: 'MQTT client id or Sparkplug edge node' }),
  lastSeen: EpochMs('When the service received it'),
})

const ValueSummary = Type.Object({
  value: JsonValue,
  timestamp: EpochMs('Source timestamp'),
  quality: Quality,
  staleSince: Type.Optional(EpochMs('Since when the value is stale')),
})

export const TreeEntryOut = Type.Recursive(
  (This) =>
    Type.Object({
      path: Type.String(),
      name: Type.String(),
      declared: Type.Boolean({ description: 'false: created by data in lenient mode' }),
      level: Type.Optional(Type.String({ description: 'ISA-95 level' })),
      displayName: Type.Optional(Type.String()),
      childCount: Type.Integer(),
      leafCount: Type.Integer({ description: 'Tags at or below this node' }),
      lastSeen: Type.Optional(EpochMs('Last message at or below this node')),
      hasValue: Type.Boolean(),
      value: Type.Optional(ValueSummary),
      children: Type.Optional(Type.Array(This)),
    }),
  { $id: 'TreeEntry', title: 'TreeEntry' },
)

const Scalar = Type.Union([Type.String(), Type.Number(), Type.Boolean()])

export const NodeOut = Type.Object({
  path: Type.String(),
  name: Type.String(),
  declared: Type.Boolean(),
  definition: Type.Object({
    level: Type.Optional(Type.String()),
    displayName: Type.Optional(Type.String()),
    model: Type.Optional(Type.String({ description: 'Name@version' })),
    attributes: Type.Optional(Type.Record(Type.String(), Scalar)),
    field: Type.Optional(Type.String({ description: 'Model field of a tag' })),
    type: Type.Optional(StringEnum(FIELD_TYPES)),
    unit: Type.Optional(
      Type.String({
        description: 'Declared unit of the field, else the Sparkplug engUnit learned from BIRTH',
      }),
    ),
    range: Type.Optional(
      Type.Object({ min: Type.Optional(Type.Number()), max: Type.Optional(Type.Number()) }),
    ),
    class: Type.Optional(StringEnum(FIELD_CLASSES)),
    writable: Type.Optional(Type.Boolean()),
    description: Type.Optional(Type.String()),
    enum: Type.Optional(Type.Array(Scalar)),
    declaredIn: Type.Optional(Type.String({ description: 'file:line of the declaration' })),
  }),
  childCount: Type.Integer(),
  leafCount: Type.Integer(),
  messageCount: Type.Integer(),
  value: Type.Optional(ValueOut),
})

export const SearchHitOut = Type.Object({
  path: Type.String(),
  declared: Type.Boolean(),
  level: Type.Optional(Type.String()),
  displayName: Type.Optional(Type.String()),
  model: Type.Optional(Type.String()),
  unit: Type.Optional(Type.String()),
  class: Type.Optional(StringEnum(FIELD_CLASSES)),
  writable: Type.Optional(Type.Boolean()),
  hasValue: Type.Boolean(),
})

export const Limit = Type.Optional(
  Type.Integer({ minimum: 1, maximum: MAX_LIMIT, default: 100, description: 'Page size, 1 to 1000' }),
)
export const Filter = Type.String({
  minLength: 1,
  description: 'MQTT topic filter with + and # wildcards, e.g. acme/+/packaging/#',
})

/** RFC 9457 body the error handler writes. */
export const ProblemOut = Type.Object({
  type: Type.String(),
  title: Type.String(),
  status: Type.Integer(),
  detail: Type.String(),
  code: Type.Optional(Type.String({ description: 'UNS_ERR_* code' })),
})

/** Response schemas for a 200 body plus the problem+json errors a route can return. */
export function responses(ok: TSchema, ...errors: (400 | 404)[]): Record<number, unknown> {
  const out: Record<number, unknown> = { 200: ok }
  for (const status of errors)
    out[status] = { content: { 'application/problem+json': { schema: ProblemOut } } }
  return out
}
