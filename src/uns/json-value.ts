// Values inside the service may hold bigint (64-bit integers) and Uint8Array (bytes); JSON carries them
// as decimal strings and base64 (PRODUCT.md §3), never as rounded numbers.
import type { UnsValue } from './event.js'

/** A value as JSON.stringify can write it exactly. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

/** Converts bigint to a decimal string and bytes to base64; plain values pass through without a copy. */
export function toJsonValue(value: UnsValue): JsonValue {
  if (value === null) return null
  switch (typeof value) {
    case 'number':
    case 'string':
    case 'boolean':
      return value
    case 'bigint':
      return value.toString()
    case 'object':
      break
    default:
      // Not a UnsValue (undefined from a partial input): nothing to convert.
      return value as unknown as JsonValue
  }
  if (value instanceof Uint8Array)
    return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64')
  if (!needsCopy(value)) return value as JsonValue
  if (Array.isArray(value)) return (value as readonly UnsValue[]).map(toJsonValue)
  const out: { [key: string]: JsonValue } = {}
  for (const [k, v] of Object.entries(value as { readonly [key: string]: UnsValue })) out[k] = toJsonValue(v)
  return out
}

// Most structured values are plain JSON: check before copying.
function needsCopy(value: object): boolean {
  for (const v of Array.isArray(value) ? value : Object.values(value)) {
    if (typeof v === 'bigint' || v instanceof Uint8Array) return true
    if (v !== null && typeof v === 'object' && needsCopy(v as object)) return true
  }
  return false
}
