import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createRetainedCount } from '../../src/broker/retained.js'

test('refuses a new retained topic at the message limit but lets an existing one be replaced', () => {
  const r = createRetainedCount({ maxMessages: 2, maxBytes: 1000 })
  r.note('a', true, 10)
  r.note('b', true, 10)
  assert.match(String(r.problem('c', 1)), /2 retained messages are held/)
  assert.equal(r.problem('a', 20), undefined, 'replacing a held topic adds no message')
  r.note('x', false, 500) // not retained: changes nothing
  assert.deepEqual([r.messages, r.bytes], [2, 20])
})

test('counts bytes as replaced, frees them on an empty retained payload, and never refuses a removal', () => {
  const r = createRetainedCount({ maxMessages: 10, maxBytes: 100 })
  r.note('a', true, 60)
  assert.match(String(r.problem('b', 50)), /exceed 100 bytes/)
  assert.equal(r.problem('a', 90), undefined, 'the old 60 bytes are replaced, not added')
  assert.equal(r.problem('b', 0), undefined)
  r.note('a', true, 0) // [MQTT-3.3.1-10] removes the retained message
  assert.deepEqual([r.messages, r.bytes], [0, 0])
  assert.equal(r.problem('b', 100), undefined)
})
