// Array datatypes 22-34 travel packed in bytes_value, little-endian (Sparkplug 3.x errata, Ch.6
// "Datatype Details"; the 3.0.0 text has wrong vectors). BooleanArray: 4-byte LE count, then bits
// MSB-first; StringArray: NUL-terminated UTF-8 strings.
import type { UnsValue } from '../uns/index.js'
import { DT } from './datatypes.js'
import { WireError } from './wire-error.js'

const utf8 = new TextDecoder('utf-8', { fatal: false })
const utf8enc = new TextEncoder()
const SAFE = BigInt(Number.MAX_SAFE_INTEGER)

function exact64(v: bigint): number | bigint {
  return v <= SAFE && v >= -SAFE ? Number(v) : v
}

const WIDTH: Readonly<Record<number, number>> = {
  [DT.Int8Array]: 1,
  [DT.UInt8Array]: 1,
  [DT.Int16Array]: 2,
  [DT.UInt16Array]: 2,
  [DT.Int32Array]: 4,
  [DT.UInt32Array]: 4,
  [DT.FloatArray]: 4,
  [DT.Int64Array]: 8,
  [DT.UInt64Array]: 8,
  [DT.DoubleArray]: 8,
  [DT.DateTimeArray]: 8,
}

/** Decodes a packed array; throws WireError (caught by the payload decoder) on a malformed length. */
export function decodeArray(datatype: number, bytes: Uint8Array): UnsValue[] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength)
  if (datatype === DT.BooleanArray) return decodeBooleans(bytes, view)
  if (datatype === DT.StringArray) return decodeStrings(bytes)
  const width = WIDTH[datatype]
  if (width === undefined) throw new WireError(`datatype ${datatype} is not an array`)
  if (bytes.byteLength % width !== 0) {
    throw new WireError(`array of ${bytes.byteLength} bytes is not a multiple of ${width}`)
  }
  const n = bytes.byteLength / width
  const out: UnsValue[] = new Array<UnsValue>(n)
  for (let i = 0; i < n; i++) {
    const o = i * width
    switch (datatype) {
      case DT.Int8Array:
        out[i] = view.getInt8(o)
        break
      case DT.UInt8Array:
        out[i] = view.getUint8(o)
        break
      case DT.Int16Array:
        out[i] = view.getInt16(o, true)
        break
      case DT.UInt16Array:
        out[i] = view.getUint16(o, true)
        break
      case DT.Int32Array:
        out[i] = view.getInt32(o, true)
        break
      case DT.UInt32Array:
        out[i] = view.getUint32(o, true)
        break
      case DT.FloatArray:
        out[i] = view.getFloat32(o, true)
        break
      case DT.DoubleArray:
        out[i] = view.getFloat64(o, true)
        break
      case DT.Int64Array:
        out[i] = exact64(view.getBigInt64(o, true))
        break
      case DT.DateTimeArray:
        // UTC ms: a number, as DateTime is (one JSON form; beyond 2^53 ms it is no date anyway).
        out[i] = Number(view.getBigUint64(o, true))
        break
      default: // UInt64Array
        out[i] = exact64(view.getBigUint64(o, true))
    }
  }
  return out
}

function decodeBooleans(bytes: Uint8Array, view: DataView): boolean[] {
  if (bytes.byteLength < 4) throw new WireError('BooleanArray shorter than its 4-byte count')
  const count = view.getUint32(0, true)
  if (Math.ceil(count / 8) > bytes.byteLength - 4) {
    throw new WireError(`BooleanArray announces ${count} values but carries ${bytes.byteLength - 4} bytes`)
  }
  const out = new Array<boolean>(count)
  for (let i = 0; i < count; i++) out[i] = ((bytes[4 + (i >> 3)] ?? 0) & (0x80 >> (i & 7))) !== 0
  return out
}

function decodeStrings(bytes: Uint8Array): string[] {
  const out: string[] = []
  let start = 0
  for (let i = 0; i < bytes.byteLength; i++) {
    if (bytes[i] === 0) {
      out.push(utf8.decode(bytes.subarray(start, i)))
      start = i + 1
    }
  }
  if (start !== bytes.byteLength) throw new WireError('StringArray does not end with a NUL terminator')
  return out
}

/** Encodes already-coerced array elements (numbers, bigints, booleans, strings) for a command. */
export function encodeArray(
  datatype: number,
  values: readonly (number | bigint | boolean | string)[],
): Uint8Array {
  if (datatype === DT.BooleanArray) {
    const out = new Uint8Array(4 + Math.ceil(values.length / 8))
    new DataView(out.buffer).setUint32(0, values.length, true)
    values.forEach((v, i) => {
      if (v === true) out[4 + (i >> 3)] = (out[4 + (i >> 3)] ?? 0) | (0x80 >> (i & 7))
    })
    return out
  }
  if (datatype === DT.StringArray) {
    const parts = values.map((v) => utf8enc.encode(`${String(v)}\u0000`))
    const out = new Uint8Array(parts.reduce((n, p) => n + p.byteLength, 0))
    let o = 0
    for (const p of parts) {
      out.set(p, o)
      o += p.byteLength
    }
    return out
  }
  const width = WIDTH[datatype]
  if (width === undefined) throw new WireError(`datatype ${datatype} is not an array`)
  const out = new Uint8Array(values.length * width)
  const view = new DataView(out.buffer)
  values.forEach((v, i) => {
    const o = i * width
    const n = Number(v)
    switch (datatype) {
      case DT.Int8Array:
        return view.setInt8(o, n)
      case DT.UInt8Array:
        return view.setUint8(o, n)
      case DT.Int16Array:
        return view.setInt16(o, n, true)
      case DT.UInt16Array:
        return view.setUint16(o, n, true)
      case DT.Int32Array:
        return view.setInt32(o, n, true)
      case DT.UInt32Array:
        return view.setUint32(o, n, true)
      case DT.FloatArray:
        return view.setFloat32(o, n, true)
      case DT.DoubleArray:
        return view.setFloat64(o, n, true)
      case DT.Int64Array:
        return view.setBigInt64(o, BigInt(v), true)
      default:
        return view.setBigUint64(o, BigInt(v), true)
    }
  })
  return out
}
