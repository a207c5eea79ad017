// One simulated Sparkplug metric: its birth definition (name, alias, datatype, engUnit) and a value that
// changes like a real signal. Encoded with the Tahu protobuf classes, not with our own codec, so the
// simulator is an independent edge implementation.
import spb from 'sparkplug-payload/lib/sparkplugPayloadProto.js'

const P = spb.org.eclipse.tahu.protobuf
export const DataType = P.DataType
export type IMetric = spb.org.eclipse.tahu.protobuf.Payload.IMetric
export type SimValue = number | boolean | string

export interface MetricSpec {
  readonly name: string
  readonly datatype: number
  readonly engUnit?: string
  readonly min?: number
  readonly max?: number
  /** Only written by DCMD, never changed by the simulation itself. */
  readonly writable?: boolean
  /** Counts up (strokes, bottles). */
  readonly counter?: boolean
  readonly choices?: readonly string[]
}

export interface SimMetric {
  readonly spec: MetricSpec
  readonly alias: number
  value: SimValue
  /** Set by a DCMD write: reported in the next DDATA even when the simulation would not change it. */
  dirty: boolean
}

const INTEGER_TYPES = new Set<number>([
  DataType.Int8,
  DataType.Int16,
  DataType.Int32,
  DataType.Int64,
  DataType.UInt8,
  DataType.UInt16,
  DataType.UInt32,
  DataType.UInt64,
])

export function createSimMetric(spec: MetricSpec, alias: number): SimMetric {
  return { spec, alias, value: initialValue(spec), dirty: false }
}

function initialValue(s: MetricSpec): SimValue {
  if (s.choices) return s.choices[0] ?? ''
  if (s.datatype === DataType.Boolean) return false
  if (s.datatype === DataType.String || s.datatype === DataType.Text) return 'idle'
  const min = s.min ?? 0
  const max = s.max ?? 100
  return INTEGER_TYPES.has(s.datatype) ? Math.round(min) : min + (max - min) / 2
}

/** Moves the value one step (random walk in range, counters count); returns whether it changed. */
export function step(m: SimMetric, random: () => number = Math.random): boolean {
  const s = m.spec
  if (s.writable) return false
  const before = m.value
  if (s.choices) {
    if (random() < 0.05) m.value = s.choices[Math.floor(random() * s.choices.length)] ?? before
  } else if (s.datatype === DataType.Boolean) {
    if (random() < 0.05) m.value = !before
  } else if (s.datatype === DataType.String || s.datatype === DataType.Text) {
    if (random() < 0.05) m.value = `state-${Math.floor(random() * 10)}`
  } else if (INTEGER_TYPES.has(s.datatype)) {
    m.value = (before as number) + (s.counter ? 1 : Math.round((random() - 0.5) * 4))
    if (!s.counter) m.value = clamp(m.value, s.min ?? 0, s.max ?? 100)
  } else {
    const min = s.min ?? 0
    const max = s.max ?? 100
    const next = (before as number) + (random() - 0.5) * (max - min) * 0.02
    m.value = Math.round(clamp(next, min, max) * 1000) / 1000
  }
  return m.value !== before
}

const clamp = (v: number, min: number, max: number): number => Math.min(max, Math.max(min, v))

/** The protobuf value field for a datatype (Sparkplug B 3.0 §6.4.16: intValue for <=32 bit ints). */
export function valueFields(datatype: number, value: SimValue): Partial<IMetric> {
  switch (datatype) {
    case DataType.Boolean:
      return { booleanValue: Boolean(value) }
    case DataType.String:
    case DataType.Text:
      return { stringValue: String(value) }
    case DataType.Float:
      return { floatValue: Number(value) }
    case DataType.Double:
      return { doubleValue: Number(value) }
    case DataType.Int64:
    case DataType.UInt64:
    case DataType.DateTime:
      return { longValue: Number(value) }
    default:
      // Negative Int8/16/32 travel as two's complement in the uint32 field.
      return { intValue: Number(value) >>> 0 }
  }
}

/** The birth form of a metric: name, alias, datatype, value and the engUnit property. */
export function birthMetric(m: SimMetric, timestamp: number): IMetric {
  const unit = m.spec.engUnit
  return {
    name: m.spec.name,
    alias: m.alias,
    timestamp,
    datatype: m.spec.datatype,
    ...valueFields(m.spec.datatype, m.value),
    ...(unit === undefined
      ? {}
      : { properties: { keys: ['engUnit'], values: [{ type: DataType.String, stringValue: unit }] } }),
  }
}

/** The data form: alias only, no name and no datatype [tck-id-payloads-alias-data-cmd-requirement]. */
export function dataMetric(m: SimMetric, timestamp: number): IMetric {
  return { alias: m.alias, timestamp, ...valueFields(m.spec.datatype, m.value) }
}

/** Reads the value of a received (command) metric as the datatype we declared in the birth. */
export function readCommandValue(metric: IMetric, datatype: number): SimValue | undefined {
  const raw =
    metric.booleanValue ??
    metric.stringValue ??
    metric.doubleValue ??
    metric.floatValue ??
    metric.intValue ??
    metric.longValue
  if (raw === null || raw === undefined) return undefined
  const asNumber = typeof raw === 'object' ? Number(raw.toString()) : raw
  if (datatype === DataType.Boolean) return typeof asNumber === 'boolean' ? asNumber : Boolean(asNumber)
  if (datatype === DataType.String || datatype === DataType.Text) return String(asNumber)
  if (typeof asNumber !== 'number') return undefined
  if (datatype === DataType.Int8 || datatype === DataType.Int16 || datatype === DataType.Int32)
    return asNumber | 0
  return asNumber
}

export const encodePayload = (payload: spb.org.eclipse.tahu.protobuf.IPayload): Uint8Array =>
  P.Payload.encode(payload).finish()

export const decodePayload = (bytes: Uint8Array): spb.org.eclipse.tahu.protobuf.Payload =>
  P.Payload.decode(bytes)
