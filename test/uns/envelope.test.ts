import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseUnsPayload, toEnvelopeJson } from '../../src/uns/index.js'

const bytes = (s: string): Uint8Array => new TextEncoder().encode(s)
const RECEIVED = 1764072999000

test('reads the full JSON envelope with timestamp, quality and datatype', () => {
  const r = parseUnsPayload(
    bytes('{"value": 21.5, "timestamp": 1764072000000, "quality": "uncertain", "datatype": "Float"}'),
    RECEIVED,
  )
  assert.ok(r.ok)
  assert.deepEqual(r.value, {
    value: 21.5,
    timestamp: 1764072000000,
    quality: 'uncertain',
    datatype: 'Float',
    tombstone: false,
  })
})

test('fills the receive time and good quality when the envelope has only a value', () => {
  const r = parseUnsPayload(bytes('{"value": "running"}'), RECEIVED)
  assert.ok(r.ok)
  assert.deepEqual(r.value, { value: 'running', timestamp: RECEIVED, quality: 'good', tombstone: false })
})

test('accepts bare JSON scalars as the value with the receive time', () => {
  for (const [text, value] of [
    ['42', 42],
    ['true', true],
    ['"open"', 'open'],
    ['null', null],
  ] as const) {
    const r = parseUnsPayload(bytes(text), RECEIVED)
    assert.ok(r.ok, text)
    assert.deepEqual(r.value, { value, timestamp: RECEIVED, quality: 'good', tombstone: false })
  }
})

test('treats an empty payload as a tombstone that deletes the value', () => {
  const r = parseUnsPayload(new Uint8Array(0), RECEIVED)
  assert.ok(r.ok)
  assert.equal(r.value.tombstone, true)
})

test('keeps 64-bit integers beyond 2^53 exact as bigint, bare and inside an envelope', () => {
  const bare = parseUnsPayload(bytes('18446744073709551615'), RECEIVED)
  assert.ok(bare.ok)
  assert.equal(bare.value.value, 18446744073709551615n)
  const env = parseUnsPayload(bytes('{"value": 9007199254740993, "datatype": "Int64"}'), RECEIVED)
  assert.ok(env.ok)
  assert.equal(env.value.value, 9007199254740993n)
  // Safe integers and long fractions stay plain numbers.
  const safe = parseUnsPayload(bytes('{"value": 1234567890123456, "timestamp": 1764072000000}'), RECEIVED)
  assert.ok(safe.ok)
  assert.equal(safe.value.value, 1234567890123456)
})

test('keeps a decimal string a string, so a 64-bit id sent as text is not converted', () => {
  const r = parseUnsPayload(bytes('{"value": "9007199254740993"}'), RECEIVED)
  assert.ok(r.ok)
  assert.equal(r.value.value, '9007199254740993')
})

const invalid: [string, string][] = [
  ['{"value": 1', 'not valid JSON'],
  [
    '{"value": 1, "quality": "excellent"}',
    'quality must be one of good, uncertain, bad, stale, got "excellent"',
  ],
  [
    '{"value": 1, "timestamp": "2025-11-25T12:00:00Z"}',
    'timestamp must be epoch milliseconds as a non-negative number, got "2025-11-25T12:00:00Z"',
  ],
  ['{"temperature": 21}', 'a JSON object must be an envelope with a "value" field'],
  [
    '{"value": 1, "unit": "degC"}',
    'unknown envelope field "unit" (allowed: value, timestamp, quality, datatype, staleSince)',
  ],
  ['[1,2]', 'a JSON array is neither an envelope nor a scalar; wrap it as {"value": [...]}'],
  ['{"value": 1, "datatype": 7}', 'datatype must be a string'],
]

for (const [text, reason] of invalid) {
  test(`rejects ${text} with the reason "${reason}"`, () => {
    const r = parseUnsPayload(bytes(text), RECEIVED)
    assert.equal(r.ok, false)
    if (r.ok) return
    assert.equal(r.error.code, 'UNS_ERR_NAMESPACE_PAYLOAD_INVALID')
    assert.ok(r.error.message.startsWith(`Invalid UNS payload: ${reason}`), r.error.message)
  })
}

test('rejects bytes that are not UTF-8 without throwing', () => {
  const r = parseUnsPayload(new Uint8Array([0xff, 0xfe, 0x31]), RECEIVED)
  assert.ok(!r.ok && r.error.message.startsWith('Invalid UNS payload: not valid JSON'))
})

test('serialises bigint as a decimal string and round-trips the envelope', () => {
  const json = toEnvelopeJson({
    value: 18446744073709551615n,
    timestamp: 1,
    quality: 'good',
    datatype: 'UInt64',
  })
  assert.equal(json, '{"value":"18446744073709551615","timestamp":1,"quality":"good","datatype":"UInt64"}')
  const back = parseUnsPayload(bytes(toEnvelopeJson({ value: 21.5, timestamp: 5, quality: 'bad' })), 0)
  assert.ok(back.ok)
  assert.deepEqual(back.value, { value: 21.5, timestamp: 5, quality: 'bad', tombstone: false })
  assert.equal(
    toEnvelopeJson({ value: new Uint8Array([1, 2, 3]), timestamp: 1, quality: 'good' }),
    '{"value":"AQID","timestamp":1,"quality":"good"}',
  )
})
