import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createSequenceTracker } from '../../src/sparkplug/sequence.js'

test('in-order messages wrap from 255 to 0 without a gap [tck-id-payloads-sequence-num-incrementing]', () => {
  const s = createSequenceTracker<number>(253)
  for (const seq of [254, 255, 0, 1]) {
    const r = s.accept(seq, seq)
    assert.deepEqual(r, { ready: [seq], gap: false, late: false })
  }
  assert.equal(s.last, 1)
})

test('a message ahead of the expected seq waits until the gap fills, then both come out in order', () => {
  const s = createSequenceTracker<string>(0)
  assert.deepEqual(s.accept(2, 'two'), { ready: [], gap: true, late: false })
  assert.deepEqual(s.accept(1, 'one'), { ready: ['one', 'two'], gap: false, late: false })
  assert.equal(s.expected, 3)
})

test('flush gives up on the gap, returns waiting items in seq order across the wrap, and continues after them', () => {
  const s = createSequenceTracker<number>(250)
  s.accept(1, 1)
  s.accept(254, 254)
  assert.deepEqual(s.flush(), [254, 1])
  assert.equal(s.expected, 2)
})

test('a message behind the expected seq is a late duplicate and is dropped', () => {
  const s = createSequenceTracker<number>(10)
  assert.deepEqual(s.accept(9, 9), { ready: [], gap: false, late: true })
})
