import assert from 'node:assert/strict'
import { mock, test } from 'node:test'
import { createPathThrottle } from '../../src/api/path-throttle.js'

function setup(windowMs: number) {
  mock.timers.enable({ apis: ['setTimeout'] })
  const sent: [string, number][] = []
  const t = createPathThrottle<[string, number]>(windowMs, (item) => sent.push(item))
  const push = (key: string, n: number) => t.push(key, [key, n])
  return { sent, push, t }
}

test('sends the first change at once and the latest of a burst when the window ends', (ctx) => {
  ctx.after(() => mock.timers.reset())
  const { sent, push } = setup(100)
  for (let i = 0; i < 50; i++) push('a', i)
  assert.deepEqual(sent, [['a', 0]])
  mock.timers.tick(99)
  assert.equal(sent.length, 1)
  mock.timers.tick(1)
  assert.deepEqual(sent, [
    ['a', 0],
    ['a', 49],
  ])
  // The trailing send opened a new window: a quiet window ends it without sending anything.
  mock.timers.tick(100)
  assert.equal(sent.length, 2)
  push('a', 50)
  assert.deepEqual(sent.at(-1), ['a', 50])
})

test('throttles every path on its own', (ctx) => {
  ctx.after(() => mock.timers.reset())
  const { sent, push } = setup(100)
  push('a', 1)
  push('b', 1)
  push('a', 2)
  push('b', 2)
  push('c', 1)
  assert.deepEqual(sent, [
    ['a', 1],
    ['b', 1],
    ['c', 1],
  ])
  mock.timers.tick(100)
  assert.deepEqual(sent.slice(3), [
    ['a', 2],
    ['b', 2],
  ])
})

test('sends at most one change per path per window under a steady stream', (ctx) => {
  ctx.after(() => mock.timers.reset())
  const { sent, push } = setup(100)
  // One change every 10 ms for one second.
  for (let i = 0; i < 100; i++) {
    push('a', i)
    mock.timers.tick(10)
  }
  mock.timers.tick(200)
  assert.ok(sent.length >= 10 && sent.length <= 11, `sent ${sent.length}`)
  assert.deepEqual(sent.at(-1), ['a', 99], 'the last value always arrives')
})

test('close drops pending changes and stops its timers', (ctx) => {
  ctx.after(() => mock.timers.reset())
  const { sent, push, t } = setup(100)
  push('a', 1)
  push('a', 2)
  t.close()
  mock.timers.tick(500)
  assert.deepEqual(sent, [['a', 1]])
})

test('a window of 0 sends every change', (ctx) => {
  ctx.after(() => mock.timers.reset())
  const { sent, push } = setup(0)
  for (let i = 0; i < 5; i++) push('a', i)
  assert.equal(sent.length, 5)
})
