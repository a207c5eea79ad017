// Fuzz: valid Sparkplug payloads, mutated (bit flips, truncation, length and varint corruption, inserted
// and duplicated bytes, deep nesting, huge counts), fed through one long-lived host state machine
// (`createSparkplugHost(...).handle`), as the broker would feed it. Properties: nothing throws, every
// payload protobufjs itself cannot decode is reported as a problem, nothing is dropped silently, no
// message takes long, and the heap does not grow with the number of messages (issue 11).
//
// CI runs a fixed seed and a run count that takes a few seconds. A longer local run:
//   UNS_FUZZ_RUNS=20000 UNS_FUZZ_SEED=$RANDOM npx tsx --test test/sparkplug/fuzz.test.ts
// A failure prints the seed and the shrunk counterexample; replay it with the same UNS_FUZZ_SEED.
import assert from 'node:assert/strict'
import { setFlagsFromString } from 'node:v8'
import { runInNewContext } from 'node:vm'
import { deflateSync } from 'node:zlib'
import { test } from 'node:test'
import fc from 'fast-check'
import { createSparkplugHost } from '../../src/sparkplug/index.js'
import { type HostOutcome } from '../../src/sparkplug/host-types.js'
import {
  P,
  T0,
  dbirth,
  ddata,
  ddeath,
  encode,
  nbirth,
  ndata,
  ndeath,
  u64,
} from '../fixtures/sparkplug/index.js'
import {
  field,
  nest,
  nestedGroups,
  rawBirth,
  rawDeepPropertySetBirth,
  rawDeepTemplateBirth,
} from '../fixtures/sparkplug/hostile.js'
import { createFakeClock } from './fake-clock.js'

const RUNS = Number(process.env.UNS_FUZZ_RUNS ?? 400)
const SEED = Number(process.env.UNS_FUZZ_SEED ?? 20251111)
const DT = P.DataType

// The corpus: one payload of each message type, with every value shape the codec knows.
const RICH_BIRTH = nbirth({
  extra: [
    {
      name: 'Motor',
      datatype: DT.Template,
      templateValue: {
        isDefinition: true,
        version: '1',
        parameters: [{ name: 'kw', type: DT.Int32, intValue: 5 }],
        metrics: [{ name: 'Speed', datatype: DT.Float, floatValue: 0 }],
      },
    },
    {
      name: 'M1',
      alias: 20,
      datatype: DT.Template,
      templateValue: {
        templateRef: 'Motor',
        metrics: [{ name: 'Speed', datatype: DT.Float, floatValue: 3 }],
      },
    },
    {
      name: 'Table',
      alias: 21,
      datatype: DT.DataSet,
      datasetValue: {
        numOfColumns: 2,
        columns: ['a', 'b'],
        types: [DT.UInt64, DT.String],
        rows: [{ elements: [{ longValue: u64(0xffffffff, 1) }, { stringValue: 'x' }] }],
      },
    },
    { name: 'Bits', alias: 22, datatype: DT.BooleanArray, bytesValue: Uint8Array.from([3, 0, 0, 0, 0xa0]) },
    { name: 'Big', alias: 23, datatype: DT.UInt64Array, bytesValue: new Uint8Array(16).fill(0xff) },
    {
      name: 'Props',
      alias: 24,
      datatype: DT.Int32,
      intValue: 1,
      properties: {
        keys: ['nested', 'Quality'],
        values: [
          {
            type: DT.PropertySet,
            propertysetValue: { keys: ['k'], values: [{ type: DT.String, stringValue: 'v' }] },
          },
          { type: DT.Int32, intValue: 192 },
        ],
      },
    },
  ],
})
const CORPUS: readonly Uint8Array[] = [
  RICH_BIRTH,
  dbirth(1),
  ndata(2, 1.5),
  ddata(3, 2.5, 7),
  encode({
    timestamp: T0,
    seq: 4,
    metrics: [{ alias: 20, templateValue: { metrics: [{ name: 'Speed', floatValue: 9 }] } }],
  }),
  ndeath(0),
  ddeath(5, T0),
  encode({
    uuid: 'SPBV1.0_COMPRESSED',
    seq: 0,
    body: deflateSync(RICH_BIRTH),
    metrics: [{ name: 'algorithm', datatype: DT.String, stringValue: 'DEFLATE' }],
  }),
]
const TOPICS = [
  'spBv1.0/G1/NBIRTH/E1',
  'spBv1.0/G1/NDATA/E1',
  'spBv1.0/G1/DBIRTH/E1/D1',
  'spBv1.0/G1/DDATA/E1/D1',
  'spBv1.0/G1/NDEATH/E1',
  'spBv1.0/G1/DDEATH/E1/D1',
  'spBv1.0/G1/DBIRTH/E1/D2',
  'spBv1.0/STATE/uns-bridge',
] as const

type Mutation =
  | { kind: 'flip'; at: number; bits: number }
  | { kind: 'truncate'; at: number }
  | { kind: 'length'; nth: number; delta: number }
  | { kind: 'varint'; at: number; bytes: readonly number[] }
  | { kind: 'insert'; at: number; bytes: Uint8Array }
  | { kind: 'duplicate'; at: number; length: number }
  | { kind: 'deep'; shape: 'template' | 'propertyset' | 'propertysetlist' | 'groups'; depth: number }
  | { kind: 'many'; shape: 'metrics' | 'aliases' | 'booleans' | 'rows'; count: number }
  | { kind: 'field'; metric: number; op: FieldOp; n: number }

// Structure-aware mutations: the bytes stay valid protobuf, the Sparkplug content does not.
type FieldOp =
  'datatype' | 'propertyType' | 'alias' | 'dropValue' | 'bytes' | 'isNull' | 'columnType' | 'name'
const FIELD_OPS: readonly FieldOp[] = [
  'datatype',
  'propertyType',
  'alias',
  'dropValue',
  'bytes',
  'isNull',
  'columnType',
  'name',
]

const at = fc.nat({ max: 4096 })
const mutation: fc.Arbitrary<Mutation> = fc.oneof(
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('field'),
      metric: fc.nat({ max: 16 }),
      op: fc.constantFrom(...FIELD_OPS),
      n: fc.nat({ max: 0xffff }),
    }),
  },
  {
    weight: 4,
    arbitrary: fc.record({ kind: fc.constant('flip'), at, bits: fc.integer({ min: 1, max: 255 }) }),
  },
  { weight: 2, arbitrary: fc.record({ kind: fc.constant('truncate'), at }) },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('length'),
      nth: fc.nat({ max: 64 }),
      delta: fc.integer({ min: -3, max: 300 }),
    }),
  },
  {
    weight: 3,
    arbitrary: fc.record({
      kind: fc.constant('varint'),
      at,
      bytes: fc.constantFrom(
        [0xff, 0xff, 0xff, 0xff, 0x0f],
        [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01],
        [0x80, 0x80, 0x80, 0x80, 0x80, 0x80],
        [0x80],
        [0x7f],
        [0x00],
      ),
    }),
  },
  {
    weight: 2,
    arbitrary: fc.record({ kind: fc.constant('insert'), at, bytes: fc.uint8Array({ maxLength: 24 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({ kind: fc.constant('duplicate'), at, length: fc.integer({ min: 1, max: 64 }) }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('deep'),
      shape: fc.constantFrom('template', 'propertyset', 'propertysetlist', 'groups'),
      depth: fc.oneof(fc.integer({ min: 1, max: 40 }), fc.integer({ min: 1000, max: 30_000 })),
    }),
  },
  {
    weight: 1,
    arbitrary: fc.record({
      kind: fc.constant('many'),
      shape: fc.constantFrom('metrics', 'aliases', 'booleans', 'rows'),
      count: fc.oneof(fc.integer({ min: 0, max: 100 }), fc.integer({ min: 9_990, max: 60_000 })),
    }),
  },
)

/** Offsets of the bytes that follow a length-delimited tag byte: likely lengths. */
function lengthOffsets(b: Uint8Array): number[] {
  const out: number[] = []
  for (let i = 0; i + 1 < b.byteLength; i++) if (((b[i] ?? 0) & 7) === 2) out.push(i + 1)
  return out
}

function repeat(chunk: Uint8Array, count: number, head: Uint8Array = new Uint8Array(0)): Uint8Array {
  const out = new Uint8Array(head.byteLength + chunk.byteLength * count)
  out.set(head, 0)
  for (let i = 0; i < count; i++) out.set(chunk, head.byteLength + i * chunk.byteLength)
  return out
}

function apply(base: Uint8Array, m: Mutation): Uint8Array {
  const b = Uint8Array.from(base)
  const pos = b.byteLength === 0 ? 0 : ('at' in m ? m.at : 0) % b.byteLength
  switch (m.kind) {
    case 'flip':
      if (b.byteLength > 0) b[pos] = (b[pos] ?? 0) ^ m.bits
      return b
    case 'truncate':
      return b.subarray(0, pos)
    case 'length': {
      const offsets = lengthOffsets(b)
      const o = offsets[m.nth % Math.max(1, offsets.length)]
      if (o !== undefined) b[o] = ((b[o] ?? 0) + m.delta) & 0xff
      return b
    }
    case 'varint':
      return Uint8Array.from([...b.subarray(0, pos), ...m.bytes, ...b.subarray(pos + 1)])
    case 'insert':
      return Uint8Array.from([...b.subarray(0, pos), ...m.bytes, ...b.subarray(pos)])
    case 'duplicate':
      return Uint8Array.from([...b.subarray(0, pos + m.length), ...b.subarray(pos)])
    case 'field':
      return mutateField(b, m)
    case 'deep':
      if (m.shape === 'template') return rawDeepTemplateBirth(m.depth)
      if (m.shape === 'groups') return nestedGroups(m.depth)
      return rawDeepPropertySetBirth(m.depth, m.shape === 'propertysetlist')
    case 'many': {
      const seq = Uint8Array.from([0x18, 1]) // seq 1
      if (m.shape === 'metrics')
        return repeat(field(2, Uint8Array.from([0x0a, 1, 0x6d, 0x20, DT.Int32, 0x50, 1])), m.count, seq)
      if (m.shape === 'aliases') return repeat(field(2, Uint8Array.from([0x10, 0x7f, 0x50, 1])), m.count, seq)
      if (m.shape === 'booleans') {
        // A BooleanArray announcing `count` * 1000 values with 4 bytes of them.
        const n = m.count * 1000
        const bits = Uint8Array.from([
          n & 0xff,
          (n >> 8) & 0xff,
          (n >> 16) & 0xff,
          (n >>> 24) & 0xff,
          1,
          2,
          3,
          4,
        ])
        return rawBirth(Uint8Array.from([0x0a, 1, 0x62, 0x20, DT.BooleanArray, ...field(16, bits)]))
      }
      // A DataSet of `count` one-cell rows inside one metric.
      const row = field(4, field(1, Uint8Array.from([0x08, 1]))) // rows: [{ elements: [{ int_value: 1 }] }]
      const ds = repeat(row, m.count, Uint8Array.from([0x08, 1, 0x12, 1, 0x61, 0x18, DT.Int32]))
      return rawBirth(Uint8Array.from([0x0a, 1, 0x64, 0x20, DT.DataSet, ...nest(ds, [17], 1)]))
    }
  }
}

type WireMetric = ReturnType<typeof P.Payload.decode>['metrics'][number]

function mutateField(bytes: Uint8Array, m: Extract<Mutation, { kind: 'field' }>): Uint8Array {
  let p: ReturnType<typeof P.Payload.decode>
  try {
    p = P.Payload.decode(bytes)
  } catch {
    return bytes // an earlier mutation broke the bytes: nothing to edit
  }
  const all: WireMetric[] = []
  const walk = (ms: WireMetric[]) => {
    for (const x of ms) {
      all.push(x)
      if (x.templateValue?.metrics) walk(x.templateValue.metrics as WireMetric[])
    }
  }
  walk(p.metrics)
  const x = all[m.metric % Math.max(1, all.length)]
  if (x === undefined) return bytes
  switch (m.op) {
    case 'datatype':
      x.datatype = m.n % 40
      break
    case 'propertyType':
      x.properties = {
        keys: ['k', 'Quality'],
        values: [
          { type: m.n % 40, intValue: m.n },
          { type: DT.Int32, intValue: m.n },
        ],
      }
      break
    case 'alias':
      x.alias = m.n % 32
      break
    case 'dropValue':
      for (const k of [
        'intValue',
        'longValue',
        'floatValue',
        'doubleValue',
        'booleanValue',
        'stringValue',
        'bytesValue',
      ] as const)
        delete (x as Record<string, unknown>)[k]
      break
    case 'bytes':
      x.bytesValue = Uint8Array.from({ length: m.n % 40 }, (_, i) => (m.n * (i + 7)) & 0xff)
      break
    case 'isNull':
      x.isNull = !x.isNull
      break
    case 'columnType':
      x.datasetValue = {
        numOfColumns: 2,
        columns: ['a', 'b'],
        types: [m.n % 40, DT.String],
        rows: [{ elements: [{ intValue: m.n }, { stringValue: 's' }] }],
      }
      break
    case 'name':
      x.name = ['', 'a//b', '/x', 'bdSeq', 'Node Control/Rebirth', `m${m.n}`][m.n % 6] ?? 'z'
      break
  }
  return P.Payload.encode(p).finish()
}

function protobufjsDecodes(bytes: Uint8Array): boolean {
  try {
    P.Payload.decode(bytes)
    return true
  } catch {
    return false
  }
}

function heapAfterGc(): number {
  setFlagsFromString('--expose-gc')
  const gc = runInNewContext('gc') as () => void
  gc()
  gc()
  return process.memoryUsage().heapUsed
}

test('the unmutated corpus is accepted without problems', () => {
  const clock = createFakeClock()
  const host = createSparkplugHost(
    { clock, hostId: 'uns-bridge' },
    { reorderTimeoutMs: 50, rebirthMinIntervalMs: 0 },
  )
  const order: [string, Uint8Array][] = [
    [TOPICS[0], CORPUS[7] ?? new Uint8Array(0)], // compressed NBIRTH (seq 0)
    [TOPICS[0], CORPUS[0] ?? new Uint8Array(0)], // NBIRTH again, seq 0
    [TOPICS[2], CORPUS[1] ?? new Uint8Array(0)],
    [TOPICS[1], CORPUS[2] ?? new Uint8Array(0)],
    [TOPICS[3], CORPUS[3] ?? new Uint8Array(0)],
    [TOPICS[1], CORPUS[4] ?? new Uint8Array(0)],
    [TOPICS[5], CORPUS[6] ?? new Uint8Array(0)],
    [TOPICS[4], CORPUS[5] ?? new Uint8Array(0)],
  ]
  for (const [topic, bytes] of order) {
    const o = host.handle(topic, bytes, clock.now())
    assert.deepEqual(o.problems, [], topic)
    assert.ok(o.updates.length + o.statuses.length > 0, `${topic} did something`)
  }
  host.close()
})

test(`${RUNS} mutated Sparkplug payloads (seed ${SEED}) never throw, are never dropped silently and leave the heap bounded`, () => {
  const clock = createFakeClock()
  const host = createSparkplugHost(
    { clock, hostId: 'uns-bridge' },
    { reorderTimeoutMs: 50, rebirthMinIntervalMs: 1000 },
  )
  const revive = () => {
    host.handle(TOPICS[0], nbirth(), clock.now())
    host.handle(TOPICS[2], dbirth(1), clock.now())
  }
  revive()
  const heapBefore = heapAfterGc()
  let slowest = 0
  let handled = 0
  const seen = new Map<string, number>()

  fc.assert(
    fc.property(
      fc.nat({ max: CORPUS.length - 1 }),
      fc.array(mutation, { minLength: 1, maxLength: 3 }),
      fc.nat({ max: TOPICS.length - 1 }),
      fc.boolean(),
      (baseIndex, mutations, topicIndex, reviveFirst) => {
        if (reviveFirst) revive()
        const bytes = mutations.reduce(apply, CORPUS[baseIndex] ?? new Uint8Array(0))
        const topic = TOPICS[topicIndex] ?? TOPICS[0]
        clock.advance(10) // lets reorder timers and rebirth rate limits run as they would
        const started = performance.now()
        let o: HostOutcome
        try {
          o = host.handle(topic, bytes, clock.now())
        } catch (err) {
          assert.fail(`handle threw on ${topic}: ${(err as Error).stack ?? String(err)}`)
        }
        slowest = Math.max(slowest, performance.now() - started)
        handled++
        for (const p of o.problems) {
          assert.match(p.code, /^UNS_ERR_SPB_/)
          seen.set(p.code, (seen.get(p.code) ?? 0) + 1)
        }
        if (topic.includes('/STATE/')) return
        // What protobufjs cannot read is always reported (counted by the service, dead-lettered).
        if (!protobufjsDecodes(bytes)) {
          assert.ok(
            o.problems.some(
              (p) => p.code === 'UNS_ERR_SPB_PAYLOAD_INVALID' || p.code === 'UNS_ERR_SPB_PAYLOAD_LIMIT',
            ),
            `undecodable bytes on ${topic} not reported: ${o.problems.map((p) => p.code).join()}`,
          )
        }
        // Nothing disappears without a trace: a message either changes something or says why not.
        // Legitimately silent: an empty DATA, a DATA of session metrics only (bdSeq, alias 1 in the
        // corpus; they are no UNS values), the death of a device that is not online, and a message
        // held in the reorder buffer while a sequence gap is open (a reorder timer is pending).
        const silent = o.updates.length === 0 && o.statuses.length === 0 && o.problems.length === 0
        if (silent && !topic.includes('DDEATH') && clock.pending === 0) {
          const metrics = P.Payload.decode(bytes).metrics.filter(
            (m) => !(m.name === 'bdSeq' || m.name?.startsWith('Node Control/') || Number(m.alias) === 1),
          ).length
          assert.equal(metrics, 0, `${topic} with ${metrics} metrics changed nothing and reported nothing`)
        }
      },
    ),
    { numRuns: RUNS, seed: SEED, endOnFailure: true, includeErrorInReport: true },
  )
  host.close()
  const growth = heapAfterGc() - heapBefore
  console.log(
    `fuzz: ${handled} messages, slowest ${slowest.toFixed(0)} ms, heap growth ${(growth / 1e6).toFixed(1)} MB, problems ${JSON.stringify(Object.fromEntries(seen))}`,
  )
  assert.ok(slowest < 5000, `one message took ${slowest.toFixed(0)} ms`)
  assert.ok(growth < 32e6, `heap grew by ${(growth / 1e6).toFixed(1)} MB`)
  if (RUNS >= 200) {
    // The mutations really reach the refusals (guards against a generator that stopped mutating).
    assert.ok((seen.get('UNS_ERR_SPB_PAYLOAD_LIMIT') ?? 0) > 0, 'the runs reached the limits')
    assert.ok((seen.get('UNS_ERR_SPB_PAYLOAD_INVALID') ?? 0) > 0, 'the runs produced invalid payloads')
  }
})
