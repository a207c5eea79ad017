import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  createConnectionLimiter,
  createTokenBucket,
  originAllowed,
  topicLimitProblem,
} from '../../src/security/index.js'

describe('publish rate: token bucket per client', () => {
  test('allows the burst at once, then the sustained rate, and refills over time', () => {
    let now = 0
    const bucket = createTokenBucket({ ratePerSecond: 100, burst: 10 }, () => now)
    let taken = 0
    while (bucket.take()) taken++
    assert.equal(taken, 10)
    now += 50 // 5 tokens
    assert.equal([1, 2, 3, 4, 5, 6].filter(() => bucket.take()).length, 5)
    now += 10_000 // refills only up to the burst
    taken = 0
    while (bucket.take()) taken++
    assert.equal(taken, 10)
  })
})

describe('connections in total and per identity', () => {
  test('refuses beyond the limits, and a released connection frees its place once', () => {
    const limiter = createConnectionLimiter({ total: 3, perIdentity: 2 })
    const a1 = limiter.acquire('alice')
    const a2 = limiter.acquire('alice')
    const a3 = limiter.acquire('alice')
    assert.ok(a1.ok && a2.ok)
    assert.deepEqual(a3, { ok: false, reason: 'alice has 2 connections open (the per-user limit)' })
    const b1 = limiter.acquire('bob')
    assert.ok(b1.ok)
    assert.deepEqual(limiter.acquire('carol'), {
      ok: false,
      reason: '3 connections are open (the total limit)',
    })
    if (a1.ok) {
      a1.release()
      a1.release()
    }
    assert.equal(limiter.open, 2)
    assert.ok(limiter.acquire('alice').ok)
    assert.equal(limiter.acquire('dave').ok, false)
  })

  test('anonymous clients count in the total only', () => {
    const limiter = createConnectionLimiter({ total: 3, perIdentity: 1 })
    const a = limiter.acquire(undefined)
    assert.ok(limiter.acquire(undefined).ok)
    assert.ok(limiter.acquire('alice').ok)
    assert.equal(limiter.acquire(undefined).ok, false)
    if (a.ok) a.release()
    assert.equal(limiter.open, 2)
    assert.ok(limiter.acquire(undefined).ok)
  })
})

describe('topic size', () => {
  const limits = { maxLevels: 32, maxLength: 1024 }
  test('a 1,000-level topic and an over-long topic are refused with the reason', () => {
    assert.equal(
      topicLimitProblem('a/'.repeat(999) + 'a', { maxLevels: 32, maxLength: 10_000 }),
      'more than 32 levels',
    )
    assert.equal(topicLimitProblem('x'.repeat(1025), limits), 'longer than 1024 characters')
    assert.equal(topicLimitProblem('acme/berlin/packaging/line1/temp', limits), undefined)
    assert.equal(topicLimitProblem('a/'.repeat(31) + 'a', limits), undefined)
  })
})

describe('WebSocket Origin allowlist', () => {
  test('non-browser clients (no Origin) and the server’s own origin are allowed', () => {
    assert.equal(originAllowed(undefined, 'uns.acme.example:8080', []), true)
    assert.equal(originAllowed('http://uns.acme.example:8080', 'uns.acme.example:8080', []), true)
    assert.equal(originAllowed('https://uns.acme.example', 'UNS.acme.example', []), true)
  })
  test('another origin needs an exact allowlist entry (or *)', () => {
    assert.equal(originAllowed('https://evil.example', 'uns.acme.example:8080', []), false)
    assert.equal(
      originAllowed('https://scada.acme.example', 'uns:8080', ['https://scada.acme.example']),
      true,
    )
    assert.equal(
      originAllowed('https://scada.acme.example:444', 'uns:8080', ['https://scada.acme.example']),
      false,
    )
    assert.equal(
      originAllowed('http://scada.acme.example', 'uns:8080', ['https://scada.acme.example']),
      false,
    )
    assert.equal(originAllowed('https://anything.example', 'uns:8080', ['*']), true)
    assert.equal(originAllowed('null', 'uns:8080', ['https://scada.acme.example']), false)
  })
})
