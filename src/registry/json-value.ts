// Values as JSON Schema sees them. Inside the service a UnsValue may hold bigint and Uint8Array;
// on the wire they are decimal strings and base64 (PRODUCT.md §3), so they are validated in that form.
import type { CheckInput } from './types.js'

/** Returns `value` itself when it is plain JSON (the common case: no copy), else a converted copy. */
export function toJsonValue(value: unknown): unknown {
  switch (typeof value) {
    case 'number':
    case 'string':
    case 'boolean':
      return value
    case 'bigint':
      return value.toString()
    case 'object':
      if (value === null) return value
      if (value instanceof Uint8Array)
        return Buffer.from(value.buffer, value.byteOffset, value.length).toString('base64')
      return needsCopy(value) ? copy(value) : value
    default:
      return value
  }
}

function needsCopy(value: object): boolean {
  const items = Array.isArray(value) ? value : Object.values(value)
  for (const v of items) {
    if (typeof v === 'bigint' || v instanceof Uint8Array) return true
    if (v !== null && typeof v === 'object' && needsCopy(v as object)) return true
  }
  return false
}

function copy(value: object): unknown {
  if (Array.isArray(value)) return value.map(toJsonValue)
  const out: Record<string, unknown> = {}
  for (const [k, v] of Object.entries(value)) out[k] = toJsonValue(v)
  return out
}

/** The UNS envelope of an event; absent fields stay absent so that the schema reports them. */
export function toEnvelope(input: CheckInput): Record<string, unknown> {
  const env: Record<string, unknown> = { value: toJsonValue(input.value) }
  if (input.timestamp !== undefined) env['timestamp'] = input.timestamp
  if (input.quality !== undefined) env['quality'] = input.quality
  if (input.datatype !== undefined) env['datatype'] = input.datatype
  return env
}
