// Issue 11: one JSON form per datatype, against named golden envelopes (test/fixtures/envelopes/*.json,
// byte-exact). Int64/UInt64 values (and their arrays, and DataSet columns of those types) are decimal
// strings whatever their magnitude; DateTime is a number; a stale value keeps its sample time and
// says since when it is stale.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, test } from 'node:test'
import { parseUnsPayload, toEnvelopeJson } from '../../src/uns/index.js'
import type { UnsEvent } from '../../src/uns/index.js'

const T0 = 1764072000000
const golden = (name: string): string =>
  readFileSync(new URL(`../fixtures/envelopes/${name}.json`, import.meta.url), 'utf8').trimEnd()

type Case = Pick<UnsEvent, 'value' | 'timestamp' | 'quality' | 'datatype' | 'staleSince'>
const CASES: [string, Case][] = [
  ['uint64-small', { value: 42, timestamp: T0, quality: 'good', datatype: 'UInt64' }],
  ['uint64-max', { value: 2n ** 64n - 1n, timestamp: T0, quality: 'good', datatype: 'UInt64' }],
  ['int64-negative', { value: -5, timestamp: T0, quality: 'good', datatype: 'Int64' }],
  [
    'uint64-array-mixed',
    { value: [52, 16444743074749521625n], timestamp: T0, quality: 'good', datatype: 'UInt64Array' },
  ],
  ['datetime', { value: T0, timestamp: T0, quality: 'good', datatype: 'DateTime' }],
  [
    'dataset-uint64-column',
    {
      value: {
        columns: ['id', 'total'],
        types: ['Int32', 'UInt64'],
        rows: [
          [1, 5],
          [2, 2n ** 64n - 1n],
        ],
      },
      timestamp: T0,
      quality: 'good',
      datatype: 'DataSet',
    },
  ],
  ['stale', { value: 21.5, timestamp: T0, quality: 'stale', datatype: 'Double', staleSince: T0 + 600_000 }],
  ['untyped-bigint', { value: 9007199254740993n, timestamp: T0, quality: 'good' }],
]

describe('golden JSON envelopes', () => {
  for (const [name, event] of CASES) {
    test(`${name}: the envelope is byte-identical to the golden file and reads back to the same value`, () => {
      assert.equal(toEnvelopeJson(event), golden(name))
      const back = parseUnsPayload(Buffer.from(golden(name)), 0)
      assert.ok(back.ok, back.ok ? '' : back.error.message)
      // Without a datatype a reader cannot tell a number from text: the untyped bigint reads back as its string.
      const expected = event.datatype === undefined ? String(event.value) : event.value
      assert.deepEqual(back.value.value, expected)
      assert.equal(back.value.timestamp, event.timestamp)
      assert.equal(back.value.staleSince, event.staleSince)
    })
  }

  test('small and large UInt64 values have the same JSON type', () => {
    const small = JSON.parse(golden('uint64-small')) as { value: unknown }
    const large = JSON.parse(golden('uint64-max')) as { value: unknown }
    assert.equal(typeof small.value, typeof large.value)
    const mixed = JSON.parse(golden('uint64-array-mixed')) as { value: unknown[] }
    assert.deepEqual(
      mixed.value.map((v) => typeof v),
      ['string', 'string'],
    )
  })
})
