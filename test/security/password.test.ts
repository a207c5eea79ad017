import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import {
  createPasswordVerifier,
  DEFAULT_SCRYPT,
  hashPassword,
  parsePasswordHash,
  type PasswordHash,
} from '../../src/security/index.js'

const FAST = { ln: 10, r: 8, p: 1 } // tests only: the default costs ~0.1-0.3 s per hash
const parsed = (stored: string): PasswordHash => {
  const p = parsePasswordHash(stored)
  assert.ok(p.ok, p.ok ? '' : p.reason)
  return p.value
}

describe('password hashes', () => {
  test('a hash carries its parameters and salt, and two hashes of one password differ', async () => {
    const a = await hashPassword('hunter2', FAST)
    const b = await hashPassword('hunter2', FAST)
    assert.match(a, /^scrypt\$ln=10,r=8,p=1\$[A-Za-z0-9+/]{22}==\$[A-Za-z0-9+/]{43}=$/)
    assert.notEqual(a, b)
  })

  test('the default is scrypt 2^15, r 8, p 3', async () => {
    assert.deepEqual(DEFAULT_SCRYPT, { ln: 15, r: 8, p: 3 })
    assert.match(await hashPassword('x'), /^scrypt\$ln=15,r=8,p=3\$/)
  })

  test('verifies the right password and refuses a wrong one', async () => {
    const verifier = createPasswordVerifier()
    const stored = parsed(await hashPassword('correct horse', FAST))
    assert.equal(await verifier.verify('correct horse', stored), true)
    assert.equal(await verifier.verify('correct horsf', stored), false)
    assert.equal(await verifier.verify('', stored), false)
    assert.equal(await verifier.verify(Buffer.from('correct horse'), stored), true)
  })

  test('hashing does not block the event loop: a timer keeps firing meanwhile', async () => {
    let ticks = 0
    const timer = setInterval(() => ticks++, 5)
    try {
      await hashPassword('slow', { ln: 15, r: 8, p: 1 })
    } finally {
      clearInterval(timer)
    }
    assert.ok(ticks >= 2, `the interval fired ${ticks} times during the hash`)
  })

  for (const [text, why] of [
    ['hunter2', /not in the scrypt\$\.\.\. format/],
    ['$2b$12$abcdefghijklmnopqrstuu5L0NzMi5bI4H0LVVKQUi6a1UxYwHgq2', /not in the scrypt/],
    ['scrypt$ln=15,r=8,p=1$abc', /malformed scrypt string/],
    [
      'scrypt$ln=9,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=',
      /ln=9 is outside 10\.\.20/,
    ],
    ['scrypt$ln=20,r=32,p=1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=', /MiB/],
    ['scrypt$ln=15,r=8,p=1$c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=', /salt is shorter/],
  ] as const) {
    test(`refuses a stored hash that is not in the format: ${text.slice(0, 30)}`, () => {
      const p = parsePasswordHash(text)
      assert.equal(p.ok, false)
      assert.match(p.ok ? '' : p.reason, why)
    })
  }

  test('a flood of verifications waits in a bounded queue; beyond it the answer is "busy", not more threads', async () => {
    const verifier = createPasswordVerifier({ maxConcurrent: 1, maxQueued: 2 })
    const stored = parsed(await hashPassword('pw', { ln: 14, r: 8, p: 1 }))
    const attempts = Array.from({ length: 5 }, () => verifier.verify('wrong', stored))
    const results = await Promise.allSettled(attempts)
    const busy = results.filter((r) => r.status === 'rejected')
    assert.equal(busy.length, 2)
    for (const r of busy) assert.equal((r as PromiseRejectedResult).reason.code, 'UNS_ERR_SECURITY_BUSY')
    assert.deepEqual(
      results
        .filter((r) => r.status === 'fulfilled')
        .map((r) => (r as PromiseFulfilledResult<boolean>).value),
      [false, false, false],
    )
    // The queue drains: a later verification runs normally.
    assert.equal(await verifier.verify('pw', stored), true)
  })
})
