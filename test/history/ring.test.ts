import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createTagRings } from '../../src/history/ring.js'

const T = 1_764_072_000_000

describe('per-tag ring of the latest points', () => {
  it('keeps the newest points up to the bound, oldest first, any value type', () => {
    const rings = createTagRings({ points: 20, minutes: 10 }, T)
    for (let i = 0; i < 30; i++)
      rings.push('a/b', {
        timestamp: T + i,
        value: i % 10 === 0 ? `s${i}` : i,
        quality: i === 29 ? 'bad' : 'good',
      })
    const points = rings.read('a/b', 0, Infinity)
    assert.equal(points.length, 20)
    assert.deepEqual(
      points.map((p) => p.value),
      [10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 's20', 21, 22, 23, 24, 25, 26, 27, 28, 29].map((v) =>
        v === 10 ? 's10' : v,
      ),
    )
    assert.equal(points[19]?.quality, 'bad')
    assert.equal(rings.coveredSince('a/b'), T + 10, 'holds everything after the newest dropped point')
  })

  it("drops points older than the tag's newest minus the minutes, and reads a time window", () => {
    const rings = createTagRings({ points: 100, minutes: 1 }, T)
    rings.push('x', { timestamp: T, value: 1, quality: 'good' })
    rings.push('x', { timestamp: T + 30_000, value: 2, quality: 'good' })
    rings.push('x', { timestamp: T + 90_000, value: 3, quality: 'uncertain' })
    assert.deepEqual(
      rings.read('x', 0, Infinity).map((p) => p.value),
      [2, 3],
    )
    assert.deepEqual(
      rings.read('x', T + 60_000, T + 120_000).map((p) => p.value),
      [3],
    )
    assert.deepEqual(rings.read('unknown', 0, Infinity), [])
    assert.equal(rings.coveredSince('unknown'), T, 'a tag never seen: everything since the start')
  })

  it('keeps nothing when the ring is off, and counts what it holds', () => {
    const off = createTagRings({ points: 0, minutes: 10 }, T)
    off.push('x', { timestamp: T, value: 1, quality: 'good' })
    assert.deepEqual(off.stats(), { tags: 0, points: 0 })
    const on = createTagRings({ points: 5, minutes: 10 }, T)
    for (let i = 0; i < 9; i++) on.push(`t${i % 3}`, { timestamp: T + i, value: i, quality: 'good' })
    assert.deepEqual(on.stats(), { tags: 3, points: 9 })
  })
})
