import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createBackoff } from '../../src/kafka/index.js'

const delays = (b: { nextDelayMs(): number }, n: number): number[] =>
  Array.from({ length: n }, () => b.nextDelayMs())

test('the wait doubles after each attempt and stays at the maximum', () => {
  // random() = 1: the whole interval, so the sequence shows the doubling itself.
  const b = createBackoff({ initialMs: 100, maxMs: 1000 }, () => 1)
  assert.deepEqual(delays(b, 7), [100, 200, 400, 800, 1000, 1000, 1000])
})

test('equal jitter keeps every wait between half the interval and the whole of it', () => {
  const low = createBackoff({ initialMs: 100, maxMs: 800 }, () => 0)
  assert.deepEqual(delays(low, 5), [50, 100, 200, 400, 400])
  const mid = createBackoff({ initialMs: 100, maxMs: 800 }, () => 0.5)
  assert.deepEqual(delays(mid, 5), [75, 150, 300, 600, 600])
  // With the real Math.random every wait still falls within the bounds.
  const real = createBackoff({ initialMs: 100, maxMs: 800 })
  const interval = [100, 200, 400, 800, 800, 800]
  for (const [i, d] of delays(real, interval.length).entries()) {
    const full = interval[i] as number
    assert.ok(d >= full / 2 && d <= full, `wait ${i + 1} = ${d} ms within [${full / 2}, ${full}]`)
  }
})

test('after a reset the next wait starts again at the initial interval', () => {
  const b = createBackoff({ initialMs: 10, maxMs: 1000 }, () => 1)
  assert.deepEqual(delays(b, 4), [10, 20, 40, 80])
  b.reset()
  assert.deepEqual(delays(b, 2), [10, 20])
})
