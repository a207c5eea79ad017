// A cheap, iterative pass over the protobuf bytes of a Sparkplug payload before protobufjs sees them.
// protobufjs' generated `decode` recurses once per nested message (Metric -> Template -> Metric ...) and
// per nested group, and so does our own decoder: a 40 KB NBIRTH of Templates nested 5,000 deep
// overflows the stack inside protobufjs, 3,000 deep inside ours (issue 11). This pass walks the same
// bytes with an explicit stack, measures Template/PropertySet/DataSet nesting and counts metrics, so
// that a payload over the limits is refused before any recursive code runs (decision 0020).
//
// It is deliberately stricter than protobufjs: a field whose wire type does not match sparkplug_b.proto,
// a group (wire types 3/4, never used by Sparkplug), a varint longer than 10 bytes or a length running
// past its parent makes the payload invalid. protobufjs would read such bytes differently from the
// canonical protobuf grammar; refusing them means the nesting measured here is the nesting protobufjs
// would build, so a crafted payload cannot hide depth from this pass.

/** Field kinds of sparkplug_b.proto as protobufjs' generated decoders read them. */
type Field = 'u32' | 'u64' | 'fixed32' | 'fixed64' | 'bytes' | 'packed-u32' | Kind

type Kind =
  | 'Payload'
  | 'Metric'
  | 'MetaData'
  | 'PropertySet'
  | 'PropertyValue'
  | 'PropertySetList'
  | 'DataSet'
  | 'Row'
  | 'DataSetValue'
  | 'Template'
  | 'Parameter'
  | 'Extension'

// Field numbers from sparkplug_b.proto (Tahu); `u32` covers uint32, bool and enum fields, which
// protobufjs reads with `uint32()`. Extension messages declare no fields of their own.
const SCHEMA: Readonly<Record<Kind, Readonly<Record<number, Field>>>> = {
  Payload: { 1: 'u64', 2: 'Metric', 3: 'u64', 4: 'bytes', 5: 'bytes' },
  Metric: {
    1: 'bytes',
    2: 'u64',
    3: 'u64',
    4: 'u32',
    5: 'u32',
    6: 'u32',
    7: 'u32',
    8: 'MetaData',
    9: 'PropertySet',
    10: 'u32',
    11: 'u64',
    12: 'fixed32',
    13: 'fixed64',
    14: 'u32',
    15: 'bytes',
    16: 'bytes',
    17: 'DataSet',
    18: 'Template',
    19: 'Extension',
  },
  MetaData: { 1: 'u32', 2: 'bytes', 3: 'u64', 4: 'u64', 5: 'bytes', 6: 'bytes', 7: 'bytes', 8: 'bytes' },
  PropertySet: { 1: 'bytes', 2: 'PropertyValue' },
  PropertyValue: {
    1: 'u32',
    2: 'u32',
    3: 'u32',
    4: 'u64',
    5: 'fixed32',
    6: 'fixed64',
    7: 'u32',
    8: 'bytes',
    9: 'PropertySet',
    10: 'PropertySetList',
    11: 'Extension',
  },
  PropertySetList: { 1: 'PropertySet' },
  DataSet: { 1: 'u64', 2: 'bytes', 3: 'packed-u32', 4: 'Row' },
  Row: { 1: 'DataSetValue' },
  DataSetValue: { 1: 'u32', 2: 'u64', 3: 'fixed32', 4: 'fixed64', 5: 'u32', 6: 'bytes', 7: 'Extension' },
  Template: { 1: 'bytes', 2: 'Metric', 3: 'Parameter', 4: 'bytes', 5: 'u32' },
  Parameter: {
    1: 'bytes',
    2: 'u32',
    3: 'u32',
    4: 'u64',
    5: 'fixed32',
    6: 'fixed64',
    7: 'u32',
    8: 'bytes',
    9: 'Extension',
  },
  Extension: {},
}

// The containers users nest: each one is a level of `maxNestingDepth` (a PropertySetList is not a level
// of its own, the PropertySets in it are).
const LEVELS: readonly Kind[] = ['Template', 'PropertySet', 'DataSet']

// The schema compiled to numeric tables once: the scan runs on every Sparkplug message.
const KIND_NAMES = Object.keys(SCHEMA) as Kind[]
const KIND_ID = new Map(KIND_NAMES.map((k, i) => [k, i]))
const SCALAR = { u32: 1, u64: 2, fixed32: 3, fixed64: 4, bytes: 5, 'packed-u32': 6 } as const
const MESSAGE = 16 // a field code >= MESSAGE is a nested message of kind (code - MESSAGE)
const FIELDS: readonly Uint8Array[] = KIND_NAMES.map((k) => {
  const table = new Uint8Array(20)
  for (const [n, f] of Object.entries(SCHEMA[k])) {
    table[Number(n)] =
      f in SCALAR ? SCALAR[f as keyof typeof SCALAR] : MESSAGE + (KIND_ID.get(f as Kind) ?? 0)
  }
  return table
})
const IS_LEVEL = KIND_NAMES.map((k) => LEVELS.includes(k))
const METRIC = KIND_ID.get('Metric') ?? -1

export interface ScanLimits {
  /** Deepest nesting of Templates, PropertySets and DataSets (a top-level Template instance is 1). */
  readonly maxNestingDepth: number
  /** Most Metric messages (Template members included); Infinity for no limit. */
  readonly maxMetrics: number
}

export type ScanResult =
  | { readonly ok: true; readonly metrics: number; readonly depth: number }
  | { readonly ok: false; readonly limit: 'depth' | 'metrics' | undefined; readonly reason: string }

// The cursor of the scan in progress. Module state is safe: a scan is synchronous and never re-entered.
let buf: Uint8Array = new Uint8Array(0)
let pos = 0

/** Reads a varint of at most `maxBytes` bytes ending before `end`; -1 when malformed or past `end`. */
function varint(end: number, maxBytes: number): number {
  let value = 0
  let scale = 1
  for (let i = 0; i < maxBytes && pos < end; i++) {
    const b = buf[pos++] ?? 0
    value += (b & 0x7f) * scale // a float sum: values past 2^53 are only skipped, never used
    if (b < 0x80) return value
    scale *= 128
  }
  return -1
}

/** Skips a length-delimited body; false when its length runs past `end`. */
function skipBytes(end: number): boolean {
  const len = varint(end, 5)
  if (len < 0 || len > end - pos) return false
  pos += len
  return true
}

/**
 * Skips a scalar field of the schema exactly as protobufjs reads it: `uint32()` (uint32, bool, enum)
 * stops after 5 bytes and would then skip 5 more blindly, so a longer varint is refused; uint64 takes
 * up to 10. Anything but the wire type a proto3 encoder writes is refused.
 */
function skipScalar(code: number, wire: number, end: number): boolean {
  switch (code) {
    case SCALAR.u32:
      return wire === 0 && varint(end, 5) >= 0
    case SCALAR.u64:
      return wire === 0 && varint(end, 10) >= 0
    case SCALAR.fixed32:
      return wire === 5 && (pos += 4) <= end
    case SCALAR.fixed64:
      return wire === 1 && (pos += 8) <= end
    case SCALAR.bytes:
      return wire === 2 && skipBytes(end)
    default: {
      // packed-u32: one varint, or a packed run of them that must end exactly at its length.
      if (wire === 0) return varint(end, 5) >= 0
      if (wire !== 2) return false
      const len = varint(end, 5)
      if (len < 0 || len > end - pos) return false
      const stop = pos + len
      while (pos < stop) if (varint(stop, 5) < 0) return false
      return true
    }
  }
}

/** Skips a field protobufjs does not know (`skipType`); groups (3, 4) are refused, Sparkplug has none. */
function skipUnknown(wire: number, end: number): boolean {
  if (wire === 0) return varint(end, 10) >= 0
  if (wire === 1) return (pos += 8) <= end
  if (wire === 5) return (pos += 4) <= end
  return wire === 2 && skipBytes(end)
}

// The open messages of the scan (kind, end offset, nesting level) as parallel stacks, reused.
let kinds = new Int32Array(64)
let ends = new Int32Array(64)
let depths = new Int32Array(64)

function push(top: number, kind: number, end: number, depth: number): void {
  if (top === kinds.length) {
    const grow = (a: Int32Array) => {
      const b = new Int32Array(a.length * 2)
      b.set(a)
      return b
    }
    kinds = grow(kinds)
    ends = grow(ends)
    depths = grow(depths)
  }
  kinds[top] = kind
  ends[top] = end
  depths[top] = depth
}

const PAYLOAD = KIND_ID.get('Payload') ?? 0

/** Walks a Sparkplug B payload without recursion; never throws. */
export function scanPayload(bytes: Uint8Array, limits: ScanLimits): ScanResult {
  buf = bytes
  pos = 0
  try {
    return scan(bytes.byteLength, limits)
  } finally {
    buf = EMPTY // do not keep the packet alive
  }
}

const EMPTY = new Uint8Array(0)

function invalid(what: string): ScanResult {
  return { ok: false, limit: undefined, reason: `${what} at byte ${pos}` }
}

function scan(length: number, limits: ScanLimits): ScanResult {
  let top = 0
  push(0, PAYLOAD, length, 0)
  let metrics = 0
  let deepest = 0
  while (top >= 0) {
    const end = ends[top] ?? 0
    if (pos === end) {
      top--
      continue
    }
    // protobufjs reads a tag as a uint32 of up to 5 bytes; field number 0 does not exist.
    const tag = varint(end, 5)
    if (tag < 8 || tag > 0xffffffff) return invalid('malformed field tag')
    const wire = tag & 7
    const number = Math.floor(tag / 8)
    const code = number < 20 ? (FIELDS[kinds[top] ?? 0]?.[number] ?? 0) : 0
    if (code < MESSAGE) {
      const skipped = code === 0 ? skipUnknown(wire, end) : skipScalar(code, wire, end)
      if (!skipped) return invalid(`malformed, mistyped or truncated field ${number}`)
      continue
    }
    // A nested message: protobufjs decodes it recursively.
    const kind = code - MESSAGE
    if (wire !== 2) return invalid(`mistyped field ${number}`)
    const len = varint(end, 5)
    if (len < 0 || len > end - pos) return invalid(`field ${number} runs past the end of its message`)
    const depth = (depths[top] ?? 0) + (IS_LEVEL[kind] === true ? 1 : 0)
    if (depth > limits.maxNestingDepth) {
      const reason = `Template/PropertySet/DataSet nesting deeper than ${limits.maxNestingDepth} levels`
      return { ok: false, limit: 'depth', reason }
    }
    if (kind === METRIC && ++metrics > limits.maxMetrics) {
      return { ok: false, limit: 'metrics', reason: `more than ${limits.maxMetrics} metrics` }
    }
    if (depth > deepest) deepest = depth
    push(++top, kind, pos + len, depth)
  }
  return { ok: true, metrics, depth: deepest }
}
