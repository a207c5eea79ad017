// Decoding what other writers may have put on the uns.schemas topic.
import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseRecordBytes, toRecordBytes } from '../../src/registry/record-codec.js'
import { recordKey, type RegistryRecord } from '../../src/registry/store.js'

const schema: RegistryRecord = {
  type: 'schema',
  subject: 'line.speed',
  version: 2,
  id: 5,
  schemaType: 'JSON',
  schema: '{"type":"number"}',
  registeredAt: 1_764_072_000_000,
}

test('every record type survives encoding and decoding under its compaction key', () => {
  const records: RegistryRecord[] = [
    schema,
    { type: 'config', subject: null, compatibility: 'FULL' },
    { type: 'config', subject: 'line.speed', compatibility: null },
    {
      type: 'binding',
      id: 'topic:a/#',
      binding: { subject: 'line.speed', policy: 'warn', topicFilter: 'a/#' },
    },
    { type: 'binding', id: 'topic:a/#', binding: null },
  ]
  for (const r of records) assert.deepEqual(parseRecordBytes(recordKey(r), toRecordBytes(r)), r)
})

test('a value that is not a usable record is refused with the reason', () => {
  const bytes = (v: unknown): Buffer => Buffer.from(typeof v === 'string' ? v : JSON.stringify(v))
  const cases: [string | null, Buffer, RegExp][] = [
    ['schema/x/1', bytes('{oops'), /not JSON/],
    ['schema/x/1', bytes([1, 2]), /not a JSON object/],
    ['x', bytes({ type: 'delete' }), /unknown record type delete/],
    ['schema/line.speed/2', bytes({ ...schema, version: 0 }), /positive integer version/],
    ['schema/line.speed/2', bytes({ ...schema, schemaType: 'AVRO' }), /AVRO is not supported/],
    ['schema/line.speed/2', bytes({ ...schema, schema: '{' }), /schema text is not JSON/],
    ['config', bytes({ type: 'config', subject: null, compatibility: 'SOMETIMES' }), /unknown compatibility/],
    ['binding/b', bytes({ type: 'binding', id: 'b', binding: 3 }), /bad binding/],
    ['schema/other/2', toRecordBytes(schema), /does not match schema\/line.speed\/2/],
    [null, toRecordBytes(schema), /key null does not match/],
  ]
  for (const [key, value, reason] of cases) {
    const outcome = parseRecordBytes(key, value)
    assert.equal(typeof outcome, 'string', `${value.toString()} should be refused`)
    assert.match(outcome as string, reason)
  }
})
