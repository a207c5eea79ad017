// Issue 11: one hostile publish must not end the service. Deep nesting and huge counts are refused
// with UNS_ERR_SPB_PAYLOAD_LIMIT before protobufjs or our recursive decoders run (decision 0020).
import assert from 'node:assert/strict'
import { deflateSync } from 'node:zlib'
import { describe, test } from 'node:test'
import { loadConfig } from '../../src/config/index.js'
import { createSparkplugHost, decodePayload } from '../../src/sparkplug/index.js'
import { type HostOutcome } from '../../src/sparkplug/host-types.js'
import { DEFAULT_DECODE_LIMITS } from '../../src/sparkplug/payload.js'
import { P, T0, encode, nbirth } from '../fixtures/sparkplug/index.js'
import {
  birthWith,
  deepPropertySet,
  deepTemplate,
  field,
  nestedGroups,
  rawDeepTemplateBirth,
} from '../fixtures/sparkplug/hostile.js'
import { createFakeClock } from './fake-clock.js'

const DT = P.DataType
const LIMIT = 'UNS_ERR_SPB_PAYLOAD_LIMIT'
const INVALID = 'UNS_ERR_SPB_PAYLOAD_INVALID'
const N = (type: string) => `spBv1.0/G1/${type}/E1`

function host(
  config: { maxNestingDepth?: number; maxMetricsPerBirth?: number; maxInflatedBytes?: number } = {},
) {
  const clock = createFakeClock()
  return {
    clock,
    host: createSparkplugHost(
      { clock, hostId: 'uns-bridge' },
      { reorderTimeoutMs: 0, rebirthMinIntervalMs: 0, ...config },
    ),
  }
}
const codes = (o: HostOutcome) => o.problems.map((p) => p.code)
const rebirths = (o: HostOutcome) => o.actions.filter((a) => a.reason === 'rebirth').map((a) => a.topic)

describe('nesting depth (sparkplug.maxNestingDepth)', () => {
  test('an NBIRTH with a Template nested 3,000 deep is refused with its own code and a rebirth request', () => {
    const bytes = birthWith(deepTemplate(3000))
    assert.ok(bytes.byteLength > 30_000, `${bytes.byteLength} bytes`)
    const { host: h, clock } = host()
    const o = h.handle(N('NBIRTH'), bytes, clock.now())
    assert.deepEqual(codes(o), [LIMIT])
    assert.match(o.problems[0]?.message ?? '', /nesting deeper than 16 levels \(sparkplug\.maxNestingDepth\)/)
    assert.deepEqual(rebirths(o), ['spBv1.0/G1/NCMD/E1'])
    assert.deepEqual(o.updates, [])
    assert.deepEqual(h.nodes(), [], 'the node is not born from a refused birth')
  })

  test('a Template nested 10 deep still decodes to its flattened member', () => {
    const { host: h, clock } = host()
    const o = h.handle(N('NBIRTH'), birthWith(deepTemplate(10, 42)), clock.now())
    assert.deepEqual(o.problems, [])
    const leaf = o.updates.find((u) => u.metric.endsWith('/leaf'))
    assert.equal(leaf?.metric, 't0/t1/t2/t3/t4/t5/t6/t7/t8/t9/leaf')
    assert.equal(leaf?.value, 42)
  })

  test('the limit is exact and configurable: 16 levels decode, 17 are refused; with 4, 5 are refused', () => {
    assert.equal(decodePayload(birthWith(deepTemplate(16))).ok, true)
    const r17 = decodePayload(birthWith(deepTemplate(17)))
    assert.equal(r17.ok ? undefined : r17.error.code, LIMIT)
    assert.equal(decodePayload(birthWith(deepTemplate(4)), undefined, { maxNestingDepth: 4 }).ok, true)
    const r5 = decodePayload(birthWith(deepTemplate(5)), undefined, { maxNestingDepth: 4 })
    assert.equal(r5.ok ? undefined : r5.error.code, LIMIT)
  })

  test('PropertySets nested 1,500 deep are refused, directly or through PropertySetLists', () => {
    for (const viaList of [false, true]) {
      const m = { name: 'x', datatype: DT.Int32, intValue: 1, properties: deepPropertySet(1500, viaList) }
      const r = decodePayload(birthWith(m))
      assert.equal(r.ok ? 'decoded' : r.error.code, LIMIT, viaList ? 'via lists' : 'direct')
    }
  })

  test('nested PropertySets within the limit decode to nested objects', () => {
    const m = { name: 'x', datatype: DT.Int32, intValue: 1, properties: deepPropertySet(3) }
    const r = decodePayload(birthWith(m))
    assert.ok(r.ok)
    assert.deepEqual(r.payload.metrics.find((x) => x.name === 'x')?.properties, {
      inner: { inner: { engUnit: 'degC' } },
    })
  })

  test('a DataSet counts as a level: inside 16 Templates it is one too many', () => {
    const ds = {
      name: 'table',
      datatype: DT.DataSet,
      datasetValue: {
        numOfColumns: 1,
        columns: ['a'],
        types: [DT.Int32],
        rows: [{ elements: [{ intValue: 5 }] }],
      },
    }
    const wrap = (depth: number) => {
      const t = deepTemplate(depth)
      let inner = t
      while (inner.templateValue?.metrics?.[0]?.templateValue) inner = inner.templateValue.metrics[0]
      if (inner.templateValue) inner.templateValue.metrics = [ds]
      return t
    }
    assert.equal(decodePayload(birthWith(wrap(15))).ok, true)
    const r = decodePayload(birthWith(wrap(16)))
    assert.equal(r.ok ? 'decoded' : r.error.code, LIMIT)
  })

  test('nesting deeper than protobufjs can decode (20,000 levels, built by hand) is refused before it runs', () => {
    const bytes = rawDeepTemplateBirth(20_000)
    const r = decodePayload(bytes)
    assert.ok(!r.ok)
    assert.equal(r.error.code, LIMIT)
    assert.doesNotMatch(r.reason, /call stack/)
    // The same bytes do overflow protobufjs' own recursive decoder: the pre-scan is needed.
    assert.throws(() => P.Payload.decode(bytes), RangeError)
  })

  test('60,000 nested protobuf groups are an invalid payload, not a stack overflow', () => {
    const bytes = nestedGroups(60_000)
    assert.throws(() => P.Payload.decode(bytes), /call stack/)
    const { host: h, clock } = host()
    const o = h.handle(N('NBIRTH'), bytes, clock.now())
    assert.deepEqual(codes(o), [INVALID])
    assert.doesNotMatch(o.problems[0]?.message ?? '', /call stack/)
  })

  test('a DATA over the depth limit is refused and the node asked to rebirth, as for invalid payloads', () => {
    const { host: h, clock } = host()
    h.handle(N('NBIRTH'), nbirth(), clock.now())
    clock.advance(10)
    const bytes = encode({ timestamp: T0, seq: 1, metrics: [deepTemplate(100)] })
    const o = h.handle(N('NDATA'), bytes, clock.now())
    assert.deepEqual(codes(o), [LIMIT])
    assert.deepEqual(rebirths(o), ['spBv1.0/G1/NCMD/E1'])
    assert.equal(h.nodes()[0]?.online, true, 'the node stays online')
  })

  test('an NDEATH over the limit is refused without a rebirth request', () => {
    const { host: h, clock } = host()
    h.handle(N('NBIRTH'), nbirth(), clock.now())
    const o = h.handle(N('NDEATH'), birthWith(deepTemplate(50)), clock.now())
    assert.deepEqual(codes(o), [LIMIT])
    assert.deepEqual(rebirths(o), [])
  })
})

describe('metric count (sparkplug.maxMetricsPerBirth)', () => {
  const many = (n: number) =>
    Array.from({ length: n }, (_, i) => ({ name: `m${i}`, datatype: DT.Int32, intValue: i }))

  test('an NBIRTH with more metrics than the limit is refused; one at the limit is born', () => {
    const { host: h, clock } = host({ maxMetricsPerBirth: 10 })
    const over = h.handle(N('NBIRTH'), birthWith(...many(10)), clock.now()) // + bdSeq = 11
    assert.deepEqual(codes(over), [LIMIT])
    assert.match(over.problems[0]?.message ?? '', /more than 10 metrics \(sparkplug\.maxMetricsPerBirth\)/)
    const ok = h.handle(N('NBIRTH'), birthWith(...many(9)), clock.now())
    assert.deepEqual(ok.problems, [])
    assert.equal(h.nodes()[0]?.metricCount, 10)
  })

  test('Template members count: one instance with 20 members is over a limit of 10', () => {
    const instance = {
      name: 'T',
      datatype: DT.Template,
      templateValue: { templateRef: 'X', metrics: many(20) },
    }
    const r = decodePayload(birthWith(instance), undefined, { maxMetricsPerBirth: 10 })
    assert.equal(r.ok ? 'decoded' : r.error.code, LIMIT)
  })

  test('the count does not apply to DATA (historical batches may be long)', () => {
    const { host: h, clock } = host({ maxMetricsPerBirth: 10 })
    h.handle(N('NBIRTH'), nbirth(), clock.now())
    const samples = Array.from({ length: 50 }, (_, i) => ({
      alias: 2,
      timestamp: T0 + i,
      doubleValue: i,
      isHistorical: true,
    }))
    const o = h.handle(N('NDATA'), encode({ timestamp: T0, seq: 1, metrics: samples }), clock.now())
    assert.deepEqual(o.problems, [])
    assert.equal(o.updates.length, 50)
  })

  test('a DATA with 100,000 unknown aliases lists 100 problems and sums up the rest in one', () => {
    const { host: h, clock } = host()
    h.handle(N('NBIRTH'), nbirth(), clock.now())
    const metrics = Array.from({ length: 100_000 }, (_, i) => ({ alias: 1000 + i, intValue: 1 }))
    const o = h.handle(N('NDATA'), encode({ timestamp: T0, seq: 1, metrics }), clock.now())
    assert.equal(o.problems.length, 101)
    assert.match(o.problems[100]?.message ?? '', /99900 more/)
    assert.equal(rebirths(o).length, 1)
  })
})

describe('compressed payloads (sparkplug.maxInflatedBytes)', () => {
  const compressed = (body: Uint8Array) =>
    encode({
      uuid: 'SPBV1.0_COMPRESSED',
      seq: 0,
      body: deflateSync(body),
      metrics: [{ name: 'algorithm', datatype: DT.String, stringValue: 'DEFLATE' }],
    })

  test('a compressed NBIRTH within the limits is born', () => {
    const { host: h, clock } = host()
    const o = h.handle(N('NBIRTH'), compressed(nbirth()), clock.now())
    assert.deepEqual(o.problems, [])
    assert.equal(h.nodes()[0]?.online, true)
  })

  test('a deflate bomb (2 MB of zeros in 2 KB) is refused at 1 MB inflated', () => {
    const bomb = compressed(new Uint8Array(2_000_000))
    assert.ok(bomb.byteLength < 5000)
    const { host: h, clock } = host({ maxInflatedBytes: 1_000_000 })
    const o = h.handle(N('NBIRTH'), bomb, clock.now())
    assert.deepEqual(codes(o), [LIMIT])
    assert.match(o.problems[0]?.message ?? '', /sparkplug\.maxInflatedBytes/)
  })

  test('the inflated body is checked for depth too', () => {
    const r = decodePayload(compressed(birthWith(deepTemplate(3000))))
    assert.equal(r.ok ? 'decoded' : r.error.code, LIMIT)
  })
})

describe('bytes protobufjs would read differently are invalid, so depth cannot hide', () => {
  const metric = (body: number[]) => decodePayload(Uint8Array.from(field(2, Uint8Array.from(body))))

  test('a scalar field with a length-delimited wire type is invalid', () => {
    // Metric.datatype (4) sent as wire type 2: protobufjs would read a varint and parse on from there.
    const r = metric([0x22, 2, 0x08, 0x01])
    assert.equal(r.ok ? 'decoded' : r.error.code, INVALID)
  })

  test('a uint32 varint longer than 5 bytes is invalid (protobufjs would skip 5 bytes blindly)', () => {
    const r = metric([0x20, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01])
    assert.equal(r.ok ? 'decoded' : r.error.code, INVALID)
  })

  test('a nested message running past its parent is invalid', () => {
    const r = decodePayload(Uint8Array.from([0x12, 2, 0x92, 0x01, 5, 0, 0, 0, 0, 0]))
    assert.equal(r.ok ? 'decoded' : r.error.code, INVALID)
  })

  test('packed DataSet types are accepted, as protobufjs decodes them', () => {
    const ds = { numOfColumns: 2, columns: ['a', 'b'], types: [DT.Int32, DT.String], rows: [] }
    const r = decodePayload(birthWith({ name: 'table', datatype: DT.DataSet, datasetValue: ds }))
    assert.ok(r.ok)
    assert.deepEqual(r.payload.metrics[1]?.value, {
      columns: ['a', 'b'],
      types: ['Int32', 'String'],
      rows: [],
    })
  })
})

test('the config defaults are the decoder defaults', () => {
  const { sparkplug } = loadConfig({ env: {} })
  assert.deepEqual(
    {
      maxNestingDepth: sparkplug.maxNestingDepth,
      maxMetricsPerBirth: sparkplug.maxMetricsPerBirth,
      maxInflatedBytes: sparkplug.maxInflatedBytes,
    },
    DEFAULT_DECODE_LIMITS,
  )
})

describe('found by the fuzz test', () => {
  test('a property whose type cannot be decoded makes its metric a problem instead of throwing out of handle()', () => {
    const { host: h, clock } = host()
    const bad = {
      name: 'x',
      datatype: DT.Int32,
      intValue: 1,
      properties: { keys: ['weird'], values: [{ type: 109, intValue: 3 }] },
    }
    const o = h.handle(
      N('NBIRTH'),
      birthWith(bad, { name: 'y', datatype: DT.Int32, intValue: 2 }),
      clock.now(),
    )
    assert.deepEqual(codes(o), [INVALID])
    assert.match(o.problems[0]?.message ?? '', /metric x: datatype 109/)
    assert.deepEqual(
      o.updates.map((u) => u.metric),
      ['y'],
    )
  })
})
