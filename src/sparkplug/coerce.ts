// Coerces a value written from the UNS side (JSON number, string, boolean, bigint) to the datatype of the
// BIRTH certificate, so the NCMD/DCMD carries a compatible value
// [tck-id-operational-behavior-data-commands-ncmd-metric-value, -dcmd-metric-value].
import type { UnsValue } from '../uns/index.js'
import { DT, isArrayDatatype, toDatatypeName } from './datatypes.js'

export type Coerced =
  number | bigint | boolean | string | Uint8Array | readonly (number | bigint | boolean | string)[]
export type CoerceResult = { ok: true; value: Coerced } | { ok: false; reason: string }

const RANGES: Readonly<Record<number, readonly [bigint, bigint]>> = {
  [DT.Int8]: [-128n, 127n],
  [DT.Int16]: [-32768n, 32767n],
  [DT.Int32]: [-2147483648n, 2147483647n],
  [DT.Int64]: [-(2n ** 63n), 2n ** 63n - 1n],
  [DT.UInt8]: [0n, 255n],
  [DT.UInt16]: [0n, 65535n],
  [DT.UInt32]: [0n, 4294967295n],
  [DT.UInt64]: [0n, 2n ** 64n - 1n],
  [DT.DateTime]: [0n, 8640000000000000n],
}
const ELEMENT: Readonly<Record<number, number>> = {
  [DT.Int8Array]: DT.Int8,
  [DT.Int16Array]: DT.Int16,
  [DT.Int32Array]: DT.Int32,
  [DT.Int64Array]: DT.Int64,
  [DT.UInt8Array]: DT.UInt8,
  [DT.UInt16Array]: DT.UInt16,
  [DT.UInt32Array]: DT.UInt32,
  [DT.UInt64Array]: DT.UInt64,
  [DT.FloatArray]: DT.Float,
  [DT.DoubleArray]: DT.Double,
  [DT.BooleanArray]: DT.Boolean,
  [DT.StringArray]: DT.String,
  [DT.DateTimeArray]: DT.DateTime,
}

const fail = (value: UnsValue, datatype: number, why = ''): CoerceResult => ({
  ok: false,
  reason: `${describe(value)} is not a valid ${toDatatypeName(datatype)}${why}`,
})

function describe(v: UnsValue): string {
  if (typeof v === 'bigint') return `${v}n`
  if (v instanceof Uint8Array) return `${v.byteLength} bytes`
  return JSON.stringify(v) ?? String(v)
}

/** Coerces `value` to `datatype` (wire id); integers are range-checked, nothing is silently rounded. */
export function coerceValue(datatype: number, value: UnsValue): CoerceResult {
  const range = RANGES[datatype]
  if (range !== undefined) return coerceInteger(datatype, value, range)
  switch (datatype) {
    case DT.Float:
    case DT.Double: {
      const n = typeof value === 'string' && value.trim() !== '' ? Number(value) : value
      if (typeof n === 'number' && Number.isFinite(n)) return { ok: true, value: n }
      if (typeof n === 'bigint') return { ok: true, value: Number(n) }
      return fail(value, datatype)
    }
    case DT.Boolean:
      if (typeof value === 'boolean') return { ok: true, value }
      if (value === 1 || value === 0) return { ok: true, value: value === 1 }
      if (value === 'true' || value === 'false') return { ok: true, value: value === 'true' }
      return fail(value, datatype, ' (use true/false)')
    case DT.String:
    case DT.Text:
    case DT.UUID:
      if (typeof value === 'string') return { ok: true, value }
      if (typeof value === 'number' || typeof value === 'bigint' || typeof value === 'boolean') {
        return { ok: true, value: String(value) }
      }
      return fail(value, datatype)
    case DT.Bytes:
    case DT.File:
      if (value instanceof Uint8Array) return { ok: true, value }
      if (typeof value === 'string') return { ok: true, value: new Uint8Array(Buffer.from(value, 'base64')) }
      return fail(value, datatype, ' (use base64)')
    default:
      if (isArrayDatatype(datatype)) return coerceArray(datatype, value)
      return { ok: false, reason: `writing ${toDatatypeName(datatype)} metrics is not supported` }
  }
}

function coerceInteger(
  datatype: number,
  value: UnsValue,
  [min, max]: readonly [bigint, bigint],
): CoerceResult {
  let big: bigint
  if (typeof value === 'bigint') big = value
  else if (typeof value === 'number' && Number.isInteger(value)) big = BigInt(value)
  else if (typeof value === 'string' && /^\s*-?\d+\s*$/.test(value)) big = BigInt(value.trim())
  else if (datatype === DT.DateTime && typeof value === 'string' && !Number.isNaN(Date.parse(value))) {
    big = BigInt(Date.parse(value))
  } else return fail(value, datatype, ' (not an integer)')
  if (big < min || big > max) return fail(value, datatype, ` (range ${min}..${max})`)
  const safe = big <= BigInt(Number.MAX_SAFE_INTEGER) && big >= -BigInt(Number.MAX_SAFE_INTEGER)
  return { ok: true, value: safe ? Number(big) : big }
}

function coerceArray(datatype: number, value: UnsValue): CoerceResult {
  if (!Array.isArray(value)) return fail(value, datatype, ' (not an array)')
  const element = ELEMENT[datatype] ?? DT.Unknown
  const out: (number | bigint | boolean | string)[] = []
  for (const v of value as UnsValue[]) {
    const r = coerceValue(element, v)
    if (!r.ok) return { ok: false, reason: `element ${describe(v)}: ${r.reason}` }
    out.push(r.value as number | bigint | boolean | string)
  }
  return { ok: true, value: out }
}
