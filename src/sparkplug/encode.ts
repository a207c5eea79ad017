// Encoder for what the host sends: NCMD/DCMD writes and the Rebirth request. Commands carry a payload
// timestamp and no seq [tck-id-payloads-ncmd-timestamp, -ncmd-seq, -dcmd-timestamp, -dcmd-seq].
// The metric datatype is included although the spec says SHOULD NOT [tck-id-payloads-metric-datatype-not-req]:
// Tahu-based edge nodes decode command values by the metric's own datatype and lose them without it.
import type { UnsValue } from '../uns/index.js'
import { encodeArray } from './arrays.js'
import { coerceValue, type Coerced } from './coerce.js'
import { DT, isArrayDatatype, toDatatypeId, type DatatypeName } from './datatypes.js'
import { Proto, type WireMetric } from './wire.js'

export interface CommandMetric {
  /** Metric name; leave out when an alias is given and the edge uses aliases. */
  readonly name?: string
  readonly alias?: number
  readonly datatype: DatatypeName
  readonly value: UnsValue
}

export type EncodeResult = { ok: true; payload: Uint8Array } | { ok: false; reason: string }

/** Encodes an NCMD/DCMD payload; values are coerced to their datatype, failures come back as reasons. */
export function encodeCommand(metrics: readonly CommandMetric[], timestamp: number): EncodeResult {
  const wire: WireMetric[] = []
  for (const m of metrics) {
    const datatype = toDatatypeId(m.datatype) ?? DT.Unknown
    const label = m.name ?? `alias ${m.alias ?? '?'}`
    if (m.name === undefined && m.alias === undefined)
      return { ok: false, reason: 'a metric needs a name or alias' }
    const coerced = coerceValue(datatype, m.value)
    if (!coerced.ok) return { ok: false, reason: `${label}: ${coerced.reason}` }
    const w: WireMetric = { datatype }
    if (m.name !== undefined) w.name = m.name
    if (m.alias !== undefined) w.alias = m.alias
    setValue(w, datatype, coerced.value)
    wire.push(w)
  }
  return { ok: true, payload: Proto.Payload.encode({ timestamp, metrics: wire }).finish() }
}

/**
 * The Rebirth request: NCMD with metric `Node Control/Rebirth` = true, by name (it never has an alias),
 * with a timestamp and no seq [tck-id-operational-behavior-data-commands-ncmd-rebirth-verb, -rebirth-name,
 * -rebirth-value, tck-id-payloads-ncmd-seq].
 */
export function encodeRebirthRequest(timestamp: number): Uint8Array {
  const metric: WireMetric = { name: 'Node Control/Rebirth', datatype: DT.Boolean, booleanValue: true }
  return Proto.Payload.encode({ timestamp, metrics: [metric] }).finish()
}

// protobufjs writes 64-bit fields from numbers or from {low, high} words.
function toLongBits(v: number | bigint): number | { low: number; high: number; unsigned: boolean } {
  if (typeof v === 'number') return v
  const u = BigInt.asUintN(64, v)
  return { low: Number(u & 0xffffffffn) | 0, high: Number(u >> 32n) | 0, unsigned: true }
}

function setValue(w: WireMetric, datatype: number, v: Coerced): void {
  switch (datatype) {
    case DT.Int8:
    case DT.Int16:
    case DT.Int32:
    case DT.UInt8:
    case DT.UInt16:
    case DT.UInt32:
      // int_value is uint32 on the wire: negatives travel sign-extended (Ch.6 "Datatype Details").
      w.intValue = Number(v) >>> 0
      return
    case DT.Int64:
    case DT.UInt64:
    case DT.DateTime:
      w.longValue = toLongBits(v as number | bigint) as WireMetric['longValue']
      return
    case DT.Float:
      w.floatValue = v as number
      return
    case DT.Double:
      w.doubleValue = v as number
      return
    case DT.Boolean:
      w.booleanValue = v as boolean
      return
    case DT.Bytes:
    case DT.File:
      w.bytesValue = v as Uint8Array
      return
    default:
      if (isArrayDatatype(datatype))
        w.bytesValue = encodeArray(datatype, v as (number | bigint | boolean | string)[])
      else w.stringValue = String(v)
  }
}
