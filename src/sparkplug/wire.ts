// The wire format: the protobuf classes generated from sparkplug_b.proto that ship with
// sparkplug-payload. We use only these classes, not the package's decodePayload (issue 4 pitfalls:
// it drops datatype-less DATA values, UInt32 in int_value, arrays, and throws on some DataSets).
import spb from 'sparkplug-payload/lib/sparkplugPayloadProto.js'

export const Proto = spb.org.eclipse.tahu.protobuf
export type WirePayload = spb.org.eclipse.tahu.protobuf.Payload
export type WireMetric = spb.org.eclipse.tahu.protobuf.Payload.IMetric
export type WirePropertySet = spb.org.eclipse.tahu.protobuf.Payload.IPropertySet
export type WireDataSet = spb.org.eclipse.tahu.protobuf.Payload.IDataSet
export type WireTemplate = spb.org.eclipse.tahu.protobuf.Payload.ITemplate

/** A protobufjs 64-bit field: a long.js object (or a number when long.js is absent). */
export type WireLong = number | { readonly low: number; readonly high: number }

const TWO_32 = 4294967296
// A 64-bit value is a safe JS number when its high word is within ±2^21 (|v| <= 2^53).
const SAFE_HIGH = 0x200000

/** Unsigned 64-bit value: a number when <= 2^53, else an exact bigint. */
export function toUnsigned64(v: WireLong): number | bigint {
  if (typeof v === 'number') return v
  const hi = v.high >>> 0
  if (hi < SAFE_HIGH) return hi * TWO_32 + (v.low >>> 0)
  return (BigInt(hi) << 32n) | BigInt(v.low >>> 0)
}

/** Signed (two's complement) 64-bit value: a number when |v| <= 2^53, else an exact bigint. */
export function toSigned64(v: WireLong): number | bigint {
  if (typeof v === 'number') return v
  const hi = v.high | 0
  if (hi >= -SAFE_HIGH && hi < SAFE_HIGH) return hi * TWO_32 + (v.low >>> 0)
  return BigInt.asIntN(64, (BigInt(v.high >>> 0) << 32n) | BigInt(v.low >>> 0))
}

/** Unsigned 64-bit value as a number (for seq, alias and timestamps, which never exceed 2^53 in practice). */
export function toNumber(v: WireLong): number {
  if (typeof v === 'number') return v
  return (v.high >>> 0) * TWO_32 + (v.low >>> 0)
}

/** Low 32 bits of an integer field (int_value or long_value). */
export function low32(v: WireLong): number {
  return typeof v === 'number' ? v >>> 0 : v.low >>> 0
}

const has = Object.prototype.hasOwnProperty

/** protobufjs puts defaults on the prototype (missing seq/alias read as Long 0): presence needs an own property. */
export function isSet(obj: object, key: string): boolean {
  return has.call(obj, key)
}
