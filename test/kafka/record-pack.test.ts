// Records cross to the producer thread (kafka.producerThread) packed in one buffer: every field must come
// back exactly, including what JSON would lose (null key and value, bytes that are not UTF-8, non-ASCII).
import assert from 'node:assert/strict'
import { test } from 'node:test'
import type { KafkaRecord } from '../../src/kafka/kafka-client.js'
import { packRecords, unpackRecords } from '../../src/kafka/record-pack.js'

test('records come back from their packed form exactly, and the buffer can be transferred whole', () => {
  const records: KafkaRecord[] = [
    {
      topic: 'uns.telemetry',
      key: 'acme/berlin/packaging/line-1/filler/temperature',
      value: Buffer.from('{"value":70.5}'),
      headers: { schema: 'model.Filler@2', 'validation-warning': '[]' },
    },
    { topic: 'uns.state', key: 'acme/köln/Ω', value: null, headers: {} },
    { topic: 'uns.sparkplug', key: null, value: Buffer.from([0, 255, 128, 10]), headers: { ü: 'ß€' } },
    { topic: 'uns.dlq', key: '', value: Buffer.alloc(0), headers: { empty: '' } },
  ]
  const packed = packRecords(records)
  assert.equal(packed.byteOffset, 0)
  assert.equal(packed.byteLength, packed.buffer.byteLength, 'the buffer owns its ArrayBuffer alone')
  const whole = packed.buffer as ArrayBuffer
  const back = unpackRecords(Buffer.from(structuredClone(whole, { transfer: [whole] })))
  assert.deepEqual(back, records)
})

test('an empty send packs to a count of zero', () => {
  assert.deepEqual(unpackRecords(packRecords([])), [])
})
