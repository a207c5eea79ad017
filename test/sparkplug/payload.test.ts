import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { decodePayload, type MetricResolver } from '../../src/sparkplug/index.js'
import { type SparkplugMetric } from '../../src/sparkplug/payload.js'
import { ARRAY_VECTORS, P, T0, encode, hex, quality, u64, type IMetric } from '../fixtures/sparkplug/index.js'

const DT = P.DataType

function birthOf(metrics: IMetric[]): Map<string, SparkplugMetric> {
  const r = decodePayload(encode({ timestamp: T0, seq: 0, metrics }))
  assert.ok(r.ok, 'payload decodes')
  assert.deepEqual(r.payload.problems, [])
  return new Map(r.payload.metrics.map((m) => [m.name, m]))
}

function resolverOf(defs: { name: string; alias?: number; datatype: number }[]): MetricResolver {
  const full = defs.map((d) => ({ name: d.name, alias: d.alias, datatype: d.datatype }))
  return {
    byAlias: (a) => full.find((d) => d.alias === a),
    byName: (n) => full.find((d) => d.name === n),
  }
}

describe('datatype matrix (Sparkplug 3.0 Ch.6 datatypes, requirements §3.8)', () => {
  const m = birthOf([
    { name: 'i8', datatype: DT.Int8, intValue: 4294967295 },
    { name: 'i8narrow', datatype: DT.Int8, intValue: 255 },
    { name: 'i16', datatype: DT.Int16, intValue: -30000 >>> 0 },
    { name: 'i32', datatype: DT.Int32, intValue: -2 >>> 0 },
    { name: 'i64', datatype: DT.Int64, longValue: -5 },
    { name: 'i64min', datatype: DT.Int64, longValue: u64(0x80000000, 0) },
    { name: 'u8', datatype: DT.UInt8, intValue: 255 },
    { name: 'u16', datatype: DT.UInt16, intValue: 65535 },
    { name: 'u32int', datatype: DT.UInt32, intValue: 4294967295 },
    { name: 'u32long', datatype: DT.UInt32, longValue: 4294967295 },
    { name: 'u64max', datatype: DT.UInt64, longValue: u64(0xffffffff, 0xffffffff) },
    { name: 'u64small', datatype: DT.UInt64, longValue: 42 },
    { name: 'float', datatype: DT.Float, floatValue: 1.5 },
    { name: 'double', datatype: DT.Double, doubleValue: 1022.9123213 },
    { name: 'bool', datatype: DT.Boolean, booleanValue: true },
    { name: 'string', datatype: DT.String, stringValue: 'héllo' },
    { name: 'datetime', datatype: DT.DateTime, longValue: T0 },
    { name: 'text', datatype: DT.Text, stringValue: 'long text' },
    { name: 'uuid', datatype: DT.UUID, stringValue: '0e1f3c4a-2b5d-4e6f-8a9b-0c1d2e3f4a5b' },
    { name: 'bytes', datatype: DT.Bytes, bytesValue: new Uint8Array([0, 1, 254, 255]) },
    {
      name: 'file',
      datatype: DT.File,
      bytesValue: new Uint8Array([37, 80, 68, 70]),
      metadata: { fileName: 'a.pdf' },
    },
  ])
  const v = (name: string): unknown => m.get(name)?.value

  test('Int8 -1 decodes from the sign-extended 4294967295 and from the narrow 255', () => {
    assert.equal(v('i8'), -1)
    assert.equal(v('i8narrow'), -1)
  })
  test('Int16, Int32 and Int64 negatives keep their sign', () => {
    assert.equal(v('i16'), -30000)
    assert.equal(v('i32'), -2)
    assert.equal(v('i64'), -5)
    assert.equal(v('i64min'), -(2n ** 63n))
  })
  test('UInt32 max decodes from int_value (spec) and long_value (Tahu)', () => {
    assert.equal(v('u32int'), 4294967295)
    assert.equal(v('u32long'), 4294967295)
  })
  test('UInt64 max is exact as a bigint; small 64-bit values are plain numbers', () => {
    assert.equal(v('u64max'), 18446744073709551615n)
    assert.equal(v('u64small'), 42)
  })
  test('unsigned narrow types, floats, booleans, strings and DateTime decode to their JS values', () => {
    assert.equal(v('u8'), 255)
    assert.equal(v('u16'), 65535)
    assert.equal(v('float'), 1.5)
    assert.equal(v('double'), 1022.9123213)
    assert.equal(v('bool'), true)
    assert.equal(v('string'), 'héllo')
    assert.equal(v('datetime'), T0)
    assert.equal(v('text'), 'long text')
    assert.equal(v('uuid'), '0e1f3c4a-2b5d-4e6f-8a9b-0c1d2e3f4a5b')
  })
  test('Bytes and File decode to byte arrays and keep their datatype names', () => {
    assert.deepEqual(v('bytes'), new Uint8Array([0, 1, 254, 255]))
    assert.deepEqual(v('file'), new Uint8Array([37, 80, 68, 70]))
    assert.equal(m.get('file')?.datatype, 'File')
    assert.equal(m.get('i8')?.datatype, 'Int8')
  })
})

describe('arrays (Sparkplug 3.x errata byte layout)', () => {
  for (const vec of ARRAY_VECTORS) {
    test(`${vec.type} decodes the packed little-endian bytes ${vec.bytes}`, () => {
      const m = birthOf([{ name: 'a', datatype: vec.id, bytesValue: hex(vec.bytes) }])
      assert.deepEqual(m.get('a')?.value, [...vec.value])
      assert.equal(m.get('a')?.datatype, vec.type)
    })
  }
  test('an array whose length is not a multiple of its element width is reported, not thrown', () => {
    const r = decodePayload(
      encode({ metrics: [{ name: 'a', datatype: DT.Int32Array, bytesValue: hex('01 02 03') }] }),
    )
    assert.ok(r.ok)
    assert.equal(r.payload.metrics.length, 0)
    assert.match(r.payload.problems[0]?.reason ?? '', /not a multiple of 4/)
  })
  test('a BooleanArray announcing more values than it carries is reported', () => {
    const r = decodePayload(
      encode({ metrics: [{ name: 'b', datatype: DT.BooleanArray, bytesValue: hex('20 00 00 00 FF') }] }),
    )
    assert.ok(r.ok)
    assert.match(r.payload.problems[0]?.reason ?? '', /announces 32 values/)
  })
})

describe('flags, properties and quality', () => {
  test('is_null gives null, not 0; is_historical and is_transient are carried [tck-id-operational-behavior-data-publish-nbirth-values]', () => {
    const m = birthOf([
      { name: 'n', datatype: DT.Int32, isNull: true },
      { name: 'h', datatype: DT.Double, doubleValue: 2, isHistorical: true },
      { name: 't', datatype: DT.Double, doubleValue: 3, isTransient: true },
    ])
    assert.equal(m.get('n')?.value, null)
    assert.equal(m.get('n')?.isNull, true)
    assert.equal(m.get('h')?.isHistorical, true)
    assert.equal(m.get('h')?.isTransient, false)
    assert.equal(m.get('t')?.isTransient, true)
  })
  test('PropertySet becomes metadata and Quality 0/192/500 maps to bad/good/stale [tck-id-payloads-propertyset-quality-value-value]', () => {
    const m = birthOf([
      {
        name: 'p',
        datatype: DT.Float,
        floatValue: 2,
        properties: {
          keys: ['engUnit', 'engHigh', 'Quality'],
          values: [
            { type: DT.String, stringValue: 'bar' },
            { type: DT.Double, doubleValue: 10 },
            { type: DT.Int32, intValue: 192 },
          ],
        },
      },
      { name: 'bad', datatype: DT.Float, floatValue: 0, properties: quality(0) },
      { name: 'stale', datatype: DT.Float, floatValue: 0, properties: quality(500) },
      { name: 'plain', datatype: DT.Float, floatValue: 0 },
    ])
    assert.deepEqual(m.get('p')?.properties, { engUnit: 'bar', engHigh: 10, Quality: 192 })
    assert.equal(m.get('p')?.quality, 'good')
    assert.equal(m.get('bad')?.quality, 'bad')
    assert.equal(m.get('stale')?.quality, 'stale')
    assert.equal(m.get('plain')?.quality, 'good')
  })
})

describe('DataSet and Template', () => {
  test('a DataSet decodes to columns, type names and rows, with exact UInt64 cells [tck-id-payloads-dataset-types-def]', () => {
    const m = birthOf([
      {
        name: 'ds',
        datatype: DT.DataSet,
        datasetValue: {
          numOfColumns: 3,
          columns: ['id', 'total', 'label'],
          types: [DT.Int32, DT.UInt64, DT.String],
          rows: [
            {
              elements: [
                { intValue: -1 >>> 0 },
                { longValue: u64(0xffffffff, 0xffffffff) },
                { stringValue: 'a' },
              ],
            },
            { elements: [{ intValue: 2 }, { longValue: 5 }, { stringValue: 'b' }] },
          ],
        },
      },
    ])
    assert.deepEqual(m.get('ds')?.value, {
      columns: ['id', 'total', 'label'],
      types: ['Int32', 'UInt64', 'String'],
      rows: [
        [-1, 18446744073709551615n, 'a'],
        [2, 5, 'b'],
      ],
    })
  })

  const definition: IMetric = {
    name: 'Motor',
    datatype: DT.Template,
    templateValue: {
      isDefinition: true,
      version: '1.0',
      parameters: [{ name: 'ratedKw', type: DT.Int32, intValue: -3 >>> 0 }],
      metrics: [
        { name: 'Speed', datatype: DT.Float, floatValue: 0 },
        { name: 'Running', datatype: DT.Boolean, booleanValue: false },
      ],
    },
  }
  const instance: IMetric = {
    name: 'Motor1',
    alias: 50,
    datatype: DT.Template,
    templateValue: {
      isDefinition: false,
      templateRef: 'Motor',
      metrics: [
        { name: 'Speed', datatype: DT.Float, floatValue: 12.5 },
        { name: 'Running', datatype: DT.Boolean, booleanValue: true },
      ],
    },
  }

  test('template instances flatten to instance/member metrics; definitions are model info, not values', () => {
    const r = decodePayload(encode({ timestamp: T0, seq: 0, metrics: [definition, instance] }))
    assert.ok(r.ok)
    assert.deepEqual(
      r.payload.metrics.map((x) => [x.name, x.value, x.datatype, x.template?.ref]),
      [
        ['Motor1/Speed', 12.5, 'Float', 'Motor'],
        ['Motor1/Running', true, 'Boolean', 'Motor'],
      ],
    )
    assert.deepEqual(r.payload.templates, [
      {
        name: 'Motor',
        version: '1.0',
        parameters: { ratedKw: -3 },
        members: [
          { name: 'Speed', datatype: 'Float', templateRef: undefined },
          { name: 'Running', datatype: 'Boolean', templateRef: undefined },
        ],
      },
    ])
  })

  test('a DATA template instance by alias with a member subset resolves member datatypes from the birth [tck-id-payloads-template-instance-members-data]', () => {
    const resolver = resolverOf([
      { name: 'Motor1', alias: 50, datatype: DT.Template },
      { name: 'Motor1/Speed', datatype: DT.Float },
      { name: 'Motor1/Running', datatype: DT.Boolean },
    ])
    const bytes = encode({
      seq: 1,
      metrics: [{ alias: 50, templateValue: { metrics: [{ name: 'Running', booleanValue: false }] } }],
    })
    const r = decodePayload(bytes, resolver)
    assert.ok(r.ok)
    assert.deepEqual(
      r.payload.metrics.map((x) => [x.name, x.value]),
      [['Motor1/Running', false]],
    )
  })
})

describe('alias-only DATA and bad input', () => {
  test('alias-only, datatype-less DATA is decoded with the birth datatypes [tck-id-payloads-alias-data-cmd-requirement]', () => {
    const resolver = resolverOf([
      { name: 'Level', alias: 7, datatype: DT.Int8 },
      { name: 'Total', alias: 8, datatype: DT.UInt64 },
    ])
    const bytes = encode({
      seq: 4,
      metrics: [
        { alias: 7, intValue: 4294967295 },
        { alias: 8, longValue: u64(0xffffffff, 0xffffffff) },
      ],
    })
    const r = decodePayload(bytes, resolver)
    assert.ok(r.ok)
    assert.deepEqual(
      r.payload.metrics.map((x) => [x.name, x.value, x.datatype]),
      [
        ['Level', -1, 'Int8'],
        ['Total', 18446744073709551615n, 'UInt64'],
      ],
    )
    assert.equal(r.payload.seq, 4)
  })
  test('an unknown alias is a problem flagged unknown, never a metric named after the alias', () => {
    const r = decodePayload(encode({ seq: 1, metrics: [{ alias: 99, intValue: 1 }] }), resolverOf([]))
    assert.ok(r.ok)
    assert.deepEqual(r.payload.metrics, [])
    assert.deepEqual(r.payload.problems, [
      { metric: 'alias 99', reason: 'not in the birth certificate', unknown: true },
    ])
  })
  test('a missing seq is reported as absent, not as 0 (3.x errata #430)', () => {
    const r = decodePayload(encode({ timestamp: T0, metrics: [] }))
    assert.ok(r.ok)
    assert.equal(r.payload.seq, undefined)
    assert.equal(r.payload.timestamp, T0)
  })
  test('empty, garbage and truncated bytes give a reason instead of throwing', () => {
    const good = encode({
      timestamp: T0,
      seq: 1,
      metrics: [{ name: 'x', datatype: DT.String, stringValue: 'abcdef' }],
    })
    for (const bytes of [
      new Uint8Array(0),
      hex('FF FF FF FF FF FF'),
      good.subarray(0, good.byteLength - 3),
    ]) {
      const r = decodePayload(bytes)
      assert.equal(r.ok, false)
      assert.ok(!r.ok && r.reason.length > 0)
    }
  })
})
