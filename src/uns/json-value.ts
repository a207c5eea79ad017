// Values inside the service may hold bigint (64-bit integers) and Uint8Array (bytes); JSON carries them
// as decimal strings and base64 (PRODUCT.md §3), never as rounded numbers.
//
// One JSON form per datatype (issue 11): a value whose datatype is Int64 or UInt64 (or their arrays) is
// always a decimal string, whatever its magnitude, as the protobuf JSON mapping writes int64/uint64;
// otherwise a UInt64Array of [52, 2^64-1] would read [52, "18446744073709551615"]. DateTime is epoch
// milliseconds and stays a number. Values without a datatype keep the magnitude rule (bigint -> string).
import type { UnsValue } from './event.js'

/** Datatypes whose integers are decimal strings in JSON, every one of them. */
export const INT64_DATATYPES: ReadonlySet<string> = new Set(['Int64', 'UInt64', 'Int64Array', 'UInt64Array'])
const DECIMAL = /^-?(0|[1-9][0-9]*)$/

/** A value as JSON.stringify can write it exactly. */
export type JsonValue = null | boolean | number | string | JsonValue[] | { [key: string]: JsonValue }

/**
 * Converts bigint to a decimal string and bytes to base64; plain values pass through without a copy.
 * With an Int64/UInt64(Array) `datatype`, every integer becomes a decimal string.
 */
export function toJsonValue(value: UnsValue, datatype?: string): JsonValue {
  if (datatype !== undefined && INT64_DATATYPES.has(datatype)) return int64Json(value)
  if (datatype === 'DataSet') return dataSetJson(value)
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
  if (Array.isArray(value)) return (value as readonly UnsValue[]).map((v) => toJsonValue(v))
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

function int64Json(value: UnsValue): JsonValue {
  if (typeof value === 'bigint') return value.toString()
  // Number.isInteger: a safe integer prints exactly; BigInt avoids "1e+21" for larger ones.
  if (typeof value === 'number') return Number.isInteger(value) ? BigInt(value).toString() : value
  if (Array.isArray(value)) return (value as readonly UnsValue[]).map(int64Json)
  return toJsonValue(value)
}

// A Sparkplug DataSet `{columns, types, rows}`: cells follow their column's datatype.
function dataSetJson(value: UnsValue): JsonValue {
  const ds = value as { types?: unknown; rows?: unknown } | null
  if (ds === null || typeof ds !== 'object' || !Array.isArray(ds.types) || !Array.isArray(ds.rows))
    return toJsonValue(value)
  const types = ds.types as unknown[]
  const rows = (ds.rows as unknown[]).map((row) =>
    Array.isArray(row)
      ? (row as UnsValue[]).map((cell, i) => {
          const t = types[i]
          return toJsonValue(cell, typeof t === 'string' ? t : undefined)
        })
      : toJsonValue(row as UnsValue),
  )
  return { ...(toJsonValue({ ...(value as object), rows: [] } as UnsValue) as object), rows } as JsonValue
}

/**
 * The inverse for a value read back from JSON (a state record, an envelope): with an Int64/UInt64(Array)
 * `datatype`, decimal strings become numbers when safe and bigints beyond 2^53, as the Sparkplug
 * decoder makes them. Anything else is returned as it is.
 */
export function fromJsonValue(value: UnsValue, datatype: string | undefined): UnsValue {
  if (datatype === 'DataSet') return dataSetValue(value)
  if (datatype === undefined || !INT64_DATATYPES.has(datatype)) return value
  return int64Value(value)
}

function dataSetValue(value: UnsValue): UnsValue {
  const ds = value as { types?: unknown; rows?: unknown } | null
  if (ds === null || typeof ds !== 'object' || !Array.isArray(ds.types) || !Array.isArray(ds.rows))
    return value
  const types = ds.types as unknown[]
  if (!types.some((t) => typeof t === 'string' && INT64_DATATYPES.has(t))) return value
  const rows = (ds.rows as unknown[]).map((row) =>
    Array.isArray(row)
      ? (row as UnsValue[]).map((cell, i) => {
          const t = types[i]
          return typeof t === 'string' && INT64_DATATYPES.has(t) ? int64Value(cell) : cell
        })
      : (row as UnsValue),
  )
  return { ...(value as object), rows } as UnsValue
}

function int64Value(value: UnsValue): UnsValue {
  if (typeof value === 'string' && DECIMAL.test(value)) {
    const n = Number(value)
    return Number.isSafeInteger(n) ? n : BigInt(value)
  }
  if (Array.isArray(value)) return (value as readonly UnsValue[]).map(int64Value)
  return value
}
