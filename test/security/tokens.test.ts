import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import { createPasswordVerifier, createTokenVerifier, hashPassword } from '../../src/security/index.js'

const FAST = { ln: 10, r: 8, p: 1 }
let tokens: { name: string; token: string; roles: string[] }[]
before(async () => {
  tokens = [
    { name: 'mes', token: await hashPassword('tok-mes-4f9a', FAST), roles: ['operator'] },
    { name: 'grafana', token: await hashPassword('tok-graf-77c1', FAST), roles: ['reader'] },
  ]
})

describe('API bearer tokens', () => {
  test('a valid token gives its name and roles; a wrong one gives nothing', async () => {
    const v = createTokenVerifier({ verifier: createPasswordVerifier() }, { tokens })
    assert.deepEqual(await v.verify('tok-graf-77c1'), {
      name: 'grafana',
      kind: 'token',
      via: 'token',
      roles: ['reader'],
    })
    assert.equal((await v.verify('tok-mes-4f9a'))?.name, 'mes')
    assert.equal(await v.verify('tok-mes-4f9b'), undefined)
    assert.equal(await v.verify(''), undefined)
  })

  test('a token is checked against every configured hash once, then answered from the cache', async () => {
    const v = createTokenVerifier({ verifier: createPasswordVerifier() }, { tokens })
    await v.verify('tok-mes-4f9a')
    assert.equal(v.slowChecks, 2, 'both hashes are checked, so timing does not tell which matched')
    for (let i = 0; i < 100; i++) assert.equal((await v.verify('tok-mes-4f9a'))?.name, 'mes')
    await v.verify('wrong')
    await v.verify('wrong')
    assert.equal(v.slowChecks, 4, 'a wrong token is remembered too')
  })

  test('concurrent requests with the same new token share one verification', async () => {
    const v = createTokenVerifier({ verifier: createPasswordVerifier() }, { tokens })
    const all = await Promise.all(Array.from({ length: 20 }, () => v.verify('tok-graf-77c1')))
    assert.ok(all.every((i) => i?.name === 'grafana'))
    assert.equal(v.slowChecks, 2)
  })

  test('the cache is bounded: the least recently used token is forgotten first', async () => {
    const v = createTokenVerifier({ verifier: createPasswordVerifier() }, { tokens, cacheSize: 2 })
    await v.verify('tok-mes-4f9a') // 2 checks
    await v.verify('x1') // 4
    await v.verify('tok-mes-4f9a') // cached, now most recent
    await v.verify('x2') // 6, evicts x1
    await v.verify('tok-mes-4f9a') // still cached
    assert.equal(v.slowChecks, 6)
    await v.verify('x1') // evicted: checked again
    assert.equal(v.slowChecks, 8)
  })

  test('an oversized presented token is refused without hashing', async () => {
    const v = createTokenVerifier({ verifier: createPasswordVerifier() }, { tokens })
    assert.equal(await v.verify('x'.repeat(5000)), undefined)
    assert.equal(v.slowChecks, 0)
  })

  test('a configured token that is not a hash is refused at creation, naming it', () => {
    assert.throws(
      () =>
        createTokenVerifier(
          { verifier: createPasswordVerifier() },
          { tokens: [{ name: 'raw', token: 'secret', roles: [] }] },
        ),
      (err: Error & { code?: string }) =>
        err.code === 'UNS_ERR_SECURITY_HASH_INVALID' &&
        /security\.tokens\[0\]\.token \(raw\)/.test(err.message) &&
        !/secret'/.test(err.message),
    )
  })
})
