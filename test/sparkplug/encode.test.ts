import assert from 'node:assert/strict'
import { test } from 'node:test'
import { encodeCommand, encodeRebirthRequest } from '../../src/sparkplug/encode.js'
import { ARRAY_VECTORS, P, hex } from '../fixtures/sparkplug/index.js'

const decode = (b: Uint8Array) => P.Payload.decode(b)

test('the Rebirth request is Node Control/Rebirth = true by name, with a timestamp and no seq [tck-id-operational-behavior-data-commands-ncmd-rebirth-name, tck-id-payloads-ncmd-seq]', () => {
  const p = decode(encodeRebirthRequest(1234))
  assert.equal(Number(p.timestamp), 1234)
  assert.equal(Object.prototype.hasOwnProperty.call(p, 'seq'), false)
  assert.equal(p.metrics.length, 1)
  const m = p.metrics[0]
  assert.equal(m?.name, 'Node Control/Rebirth')
  assert.equal(m?.booleanValue, true)
  assert.equal(m?.datatype, P.DataType.Boolean)
  assert.equal(Object.prototype.hasOwnProperty.call(m, 'alias'), false)
})

test('commands coerce values to the datatype: Int8 -1 is sent sign-extended, UInt64 max exact, strings to numbers', () => {
  const r = encodeCommand(
    [
      { alias: 1, datatype: 'Int8', value: -1 },
      { alias: 2, datatype: 'UInt64', value: 18446744073709551615n },
      { alias: 3, datatype: 'Double', value: '21.5' },
      { alias: 4, datatype: 'Boolean', value: 'true' },
      { alias: 5, datatype: 'Int64', value: '-9007199254740993' },
    ],
    99,
  )
  assert.ok(r.ok)
  const ms = decode(r.payload).metrics
  assert.equal(ms[0]?.intValue, 4294967295)
  assert.equal(String(ms[1]?.longValue), '18446744073709551615')
  assert.equal(ms[2]?.doubleValue, 21.5)
  assert.equal(ms[3]?.booleanValue, true)
  const l = ms[4]?.longValue as { toSigned(): { toString(): string } }
  assert.equal(l.toSigned().toString(), '-9007199254740993')
})

test('array commands use the errata byte layout', () => {
  for (const vec of ARRAY_VECTORS) {
    const r = encodeCommand([{ name: 'a', datatype: vec.type, value: [...vec.value] }], 1)
    assert.ok(r.ok, vec.type)
    const got = decode(r.payload).metrics[0]?.bytesValue
    // BooleanArray: the unused low bits of the last byte are don't-care; we write zeros like the errata.
    assert.deepEqual(new Uint8Array(got ?? []), hex(vec.bytes), vec.type)
  }
})

test('values that do not fit the datatype come back as reasons', () => {
  const cases = [
    { datatype: 'Int8', value: 200, reason: /range -128\.\.127/ },
    { datatype: 'UInt32', value: -1, reason: /range 0\.\.4294967295/ },
    { datatype: 'Int32', value: 1.5, reason: /not an integer/ },
    { datatype: 'Boolean', value: 'yes', reason: /true\/false/ },
    { datatype: 'Float', value: 'abc', reason: /not a valid Float/ },
    { datatype: 'DataSet', value: 1, reason: /not supported/ },
  ] as const
  for (const c of cases) {
    const r = encodeCommand([{ alias: 1, datatype: c.datatype, value: c.value }], 1)
    assert.equal(r.ok, false)
    assert.match(r.ok ? '' : r.reason, c.reason)
  }
})
