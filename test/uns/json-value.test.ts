import assert from 'node:assert/strict'
import { test } from 'node:test'
import { toJsonValue } from '../../src/uns/json-value.js'

test('writes 64-bit integers as decimal strings and bytes as base64, also inside structures', () => {
  const value = {
    counter: 2n ** 64n - 1n,
    negative: -(2n ** 63n),
    frame: new Uint8Array([0, 255, 16]),
    nested: [1, { id: 9007199254740993n }],
  }
  assert.equal(
    JSON.stringify(toJsonValue(value)),
    '{"counter":"18446744073709551615","negative":"-9223372036854775808","frame":"AP8Q","nested":[1,{"id":"9007199254740993"}]}',
  )
})

test('returns plain JSON values unchanged without copying', () => {
  const plain = { a: [1, 'x', true, null], b: { c: 2.5 } }
  assert.equal(toJsonValue(plain), plain)
  assert.equal(toJsonValue(42), 42)
})

test('encodes a byte view into a larger buffer by its own bytes only', () => {
  const backing = new Uint8Array([1, 2, 3, 4, 5])
  assert.equal(toJsonValue(backing.subarray(1, 3)), Buffer.from([2, 3]).toString('base64'))
})

test('with an Int64/UInt64 datatype every integer is a decimal string, arrays included', () => {
  assert.equal(toJsonValue(5, 'UInt64'), '5')
  assert.equal(toJsonValue(-9007199254740991, 'Int64'), '-9007199254740991')
  assert.equal(toJsonValue(2n ** 63n, 'UInt64'), '9223372036854775808')
  assert.deepEqual(toJsonValue([1, 2n ** 64n - 1n], 'UInt64Array'), ['1', '18446744073709551615'])
  assert.deepEqual(toJsonValue([-1, 0], 'Int64Array'), ['-1', '0'])
  assert.equal(toJsonValue(null, 'Int64'), null)
})

test('other datatypes keep numbers, and DateTime stays epoch milliseconds', () => {
  assert.equal(toJsonValue(5, 'UInt32'), 5)
  assert.equal(toJsonValue(1764072000000, 'DateTime'), 1764072000000)
  assert.deepEqual(toJsonValue([1, 2], 'Int32Array'), [1, 2])
})

test('DataSet cells follow their column type', () => {
  const ds = { columns: ['a', 'b'], types: ['UInt64', 'Int32'], rows: [[7, 7]] }
  assert.deepEqual(toJsonValue(ds, 'DataSet'), {
    columns: ['a', 'b'],
    types: ['UInt64', 'Int32'],
    rows: [['7', 7]],
  })
})
