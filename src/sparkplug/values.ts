// Datatype-aware decoding of one value. The datatype comes from the BIRTH certificate because DATA
// metrics SHOULD NOT carry it [tck-id-payloads-metric-datatype-not-req]. Integer rules (Ch.6, and
// requirements §3.8): narrow types are truncated to their width, so Int8 -1 decodes from both 255 and
// the sign-extended 4294967295; UInt32 is accepted in int_value (spec) and long_value (Tahu).
import type { UnsValue } from '../uns/index.js'
import { decodeArray } from './arrays.js'
import { DT, isArrayDatatype } from './datatypes.js'
import { low32, toNumber, toSigned64, toUnsigned64, type WireLong } from './wire.js'
import { WireError } from './wire-error.js'

/** The value fields shared by Metric, PropertyValue, DataSetValue and Template.Parameter. */
export interface ValueCarrier {
  intValue?: number | null
  longValue?: WireLong | null
  floatValue?: number | null
  doubleValue?: number | null
  booleanValue?: boolean | null
  stringValue?: string | null
  bytesValue?: Uint8Array | null
}

/** Decodes a scalar, array, Bytes or File value with the given datatype; throws WireError when absent. */
export function decodeValue(c: ValueCarrier, datatype: number): UnsValue {
  switch (datatype) {
    case DT.Int8:
      return (intBits(c) << 24) >> 24
    case DT.Int16:
      return (intBits(c) << 16) >> 16
    case DT.Int32:
      return intBits(c) | 0
    case DT.UInt8:
      return intBits(c) & 0xff
    case DT.UInt16:
      return intBits(c) & 0xffff
    case DT.UInt32:
      return intBits(c) >>> 0
    case DT.Int64:
      if (c.longValue != null) return toSigned64(c.longValue)
      return intBits(c) | 0
    case DT.UInt64:
      if (c.longValue != null) return toUnsigned64(c.longValue)
      return intBits(c) >>> 0
    case DT.DateTime:
      // UTC ms since epoch; a number is exact up to year 275760.
      if (c.longValue != null) return toNumber(c.longValue)
      return intBits(c) >>> 0
    case DT.Float:
    case DT.Double:
      // Float keeps its float32 value as is (1.1 reads 1.100000023841858): exact, no guessing.
      if (c.floatValue != null) return c.floatValue
      if (c.doubleValue != null) return c.doubleValue
      throw new WireError('no float_value or double_value')
    case DT.Boolean:
      if (c.booleanValue != null) return c.booleanValue
      if (c.intValue != null) return c.intValue !== 0
      throw new WireError('no boolean_value')
    case DT.String:
    case DT.Text:
    case DT.UUID:
      if (c.stringValue != null) return c.stringValue
      throw new WireError('no string_value')
    case DT.Bytes:
    case DT.File:
      // Copy: the decoded view shares memory with the MQTT packet buffer.
      if (c.bytesValue != null) return new Uint8Array(c.bytesValue) // a copy (Buffer.slice would share)
      throw new WireError('no bytes_value')
    default:
      if (isArrayDatatype(datatype)) {
        if (c.bytesValue != null) return decodeArray(datatype, c.bytesValue)
        throw new WireError('array without bytes_value')
      }
      throw new WireError(`datatype ${datatype} cannot be decoded as a plain value`)
  }
}

function intBits(c: ValueCarrier): number {
  if (c.intValue != null) return c.intValue
  if (c.longValue != null) return low32(c.longValue)
  throw new WireError('no int_value or long_value')
}

/** Best guess of a datatype from the set value field, for messages without a BIRTH (NDEATH, STATE). */
export function inferDatatype(c: ValueCarrier): number {
  if (c.intValue != null) return DT.UInt32
  if (c.longValue != null) return DT.UInt64
  if (c.floatValue != null) return DT.Float
  if (c.doubleValue != null) return DT.Double
  if (c.booleanValue != null) return DT.Boolean
  if (c.stringValue != null) return DT.String
  if (c.bytesValue != null) return DT.Bytes
  return DT.Unknown
}
