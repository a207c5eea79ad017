// Sparkplug B datatype enum (Sparkplug 3.0 Ch.6 "Datatype Details", sparkplug_b.proto `DataType`).

/** Datatype names in enum order: index = wire value. */
export const DATATYPE_NAMES = [
  'Unknown',
  'Int8',
  'Int16',
  'Int32',
  'Int64',
  'UInt8',
  'UInt16',
  'UInt32',
  'UInt64',
  'Float',
  'Double',
  'Boolean',
  'String',
  'DateTime',
  'Text',
  'UUID',
  'DataSet',
  'Bytes',
  'File',
  'Template',
  'PropertySet',
  'PropertySetList',
  'Int8Array',
  'Int16Array',
  'Int32Array',
  'Int64Array',
  'UInt8Array',
  'UInt16Array',
  'UInt32Array',
  'UInt64Array',
  'FloatArray',
  'DoubleArray',
  'BooleanArray',
  'StringArray',
  'DateTimeArray',
] as const

/** A Sparkplug datatype name, e.g. `Int32` or `FloatArray`. */
export type DatatypeName = (typeof DATATYPE_NAMES)[number]

export const DT = {
  Unknown: 0,
  Int8: 1,
  Int16: 2,
  Int32: 3,
  Int64: 4,
  UInt8: 5,
  UInt16: 6,
  UInt32: 7,
  UInt64: 8,
  Float: 9,
  Double: 10,
  Boolean: 11,
  String: 12,
  DateTime: 13,
  Text: 14,
  UUID: 15,
  DataSet: 16,
  Bytes: 17,
  File: 18,
  Template: 19,
  PropertySet: 20,
  PropertySetList: 21,
  Int8Array: 22,
  Int16Array: 23,
  Int32Array: 24,
  Int64Array: 25,
  UInt8Array: 26,
  UInt16Array: 27,
  UInt32Array: 28,
  UInt64Array: 29,
  FloatArray: 30,
  DoubleArray: 31,
  BooleanArray: 32,
  StringArray: 33,
  DateTimeArray: 34,
} as const satisfies Record<DatatypeName, number>

/** Name of a wire datatype; `Unknown` for values outside the enum. */
export function toDatatypeName(id: number): DatatypeName {
  return DATATYPE_NAMES[id] ?? 'Unknown'
}

/** Wire value of a datatype name (case-insensitive); undefined when not a Sparkplug datatype. */
export function toDatatypeId(name: string): number | undefined {
  const exact = (DT as Record<string, number>)[name]
  if (exact !== undefined) return exact
  const i = DATATYPE_NAMES.findIndex((n) => n.toLowerCase() === name.toLowerCase())
  return i < 0 ? undefined : i
}

export function isArrayDatatype(id: number): boolean {
  return id >= DT.Int8Array && id <= DT.DateTimeArray
}
