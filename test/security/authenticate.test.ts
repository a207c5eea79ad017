import assert from 'node:assert/strict'
import { before, describe, test } from 'node:test'
import {
  createAuthenticator,
  createPasswordVerifier,
  hashPassword,
  type AuthenticatorConfig,
  type UserConfig,
} from '../../src/security/index.js'

const FAST = { ln: 10, r: 8, p: 1 }
let users: UserConfig[]
before(async () => {
  users = [
    { username: 'plc-berlin-1', password: await hashPassword('berlin-pw', FAST), roles: ['edge-berlin'] },
    { username: 'dashboard', password: await hashPassword('dash-pw', FAST), roles: ['reader'] },
  ]
})
const make = (over: Partial<AuthenticatorConfig> = {}) =>
  createAuthenticator(
    { verifier: createPasswordVerifier() },
    { users, anonymous: false, anonymousRoles: [], open: false, ...over },
  )

describe('authenticate', () => {
  test('a configured user with the right password gets its roles', async () => {
    const r = await make().authenticate({ username: 'plc-berlin-1', password: Buffer.from('berlin-pw') })
    assert.deepEqual(r, {
      ok: true,
      identity: { name: 'plc-berlin-1', kind: 'user', via: 'password', roles: ['edge-berlin'] },
    })
  })

  test('a wrong password, an unknown user and a missing password are bad credentials (CONNACK 4)', async () => {
    const auth = make()
    for (const c of [
      { username: 'plc-berlin-1', password: 'nope' },
      { username: 'plc-berlin-1', password: 'dash-pw' },
      { username: 'mallory', password: 'berlin-pw' },
      { username: 'dashboard' },
    ]) {
      const r = await auth.authenticate(c)
      assert.equal(r.ok, false)
      assert.equal(r.ok ? '' : r.reason, 'bad_credentials')
      assert.equal(r.ok ? '' : r.presented, c.username)
      assert.doesNotMatch(JSON.stringify(r), /pw|nope/)
    }
  })

  test('an unknown user takes as long as a known one (a scrypt runs either way)', async () => {
    const auth = make({ cacheSize: 0 })
    const time = async (username: string) => {
      const t = performance.now()
      for (let i = 0; i < 5; i++) await auth.authenticate({ username, password: 'wrong' })
      return performance.now() - t
    }
    const known = await time('dashboard')
    const unknown = await time('nobody-here')
    // Generous: the point is that the unknown user is not answered at once (a scrypt is > 1 ms each).
    assert.ok(unknown > known / 4, `known ${known.toFixed(1)} ms, unknown ${unknown.toFixed(1)} ms`)
  })

  test('anonymous is refused (CONNACK 5) unless allowed, and then gets the anonymous roles', async () => {
    const refused = await make().authenticate({})
    assert.equal(refused.ok ? '' : refused.reason, 'not_authorized')
    assert.match(refused.ok ? '' : refused.message, /anonymous access is off/)
    const allowed = await make({ anonymous: true, anonymousRoles: ['guest'] }).authenticate({})
    assert.deepEqual(allowed, {
      ok: true,
      identity: { name: 'anonymous', kind: 'anonymous', via: 'none', roles: ['guest'] },
    })
  })

  test('a password without a username is refused as bad credentials [MQTT-3.1.2-22]', async () => {
    const r = await make({ anonymous: true }).authenticate({ password: 'berlin-pw' })
    assert.equal(r.ok ? '' : r.reason, 'bad_credentials')
  })

  test('open mode admits every client as anonymous, whatever it presents', async () => {
    const auth = make({ users: [], open: true })
    for (const c of [{}, { username: 'x', password: 'y' }]) {
      const r = await auth.authenticate(c)
      assert.ok(r.ok)
      assert.equal(r.identity.kind, 'anonymous')
    }
  })

  test('a verified certificate naming a user logs in without a password; a different username is refused', async () => {
    const auth = make()
    const ok = await auth.authenticate({ certificateIdentities: ['plc-berlin-1'] })
    assert.ok(ok.ok)
    assert.equal(ok.identity.via, 'certificate')
    const same = await auth.authenticate({
      username: 'plc-berlin-1',
      certificateIdentities: ['plc-berlin-1'],
    })
    assert.ok(same.ok)
    const other = await auth.authenticate({
      username: 'dashboard',
      password: 'dash-pw',
      certificateIdentities: ['plc-berlin-1'],
    })
    assert.equal(other.ok ? '' : other.reason, 'not_authorized')
    const two = await auth.authenticate({ certificateIdentities: ['plc-berlin-1', 'dashboard'] })
    assert.match(two.ok ? '' : two.message, /more than one user/)
  })

  test('a certificate that names no user falls back to the password', async () => {
    const r = await make().authenticate({
      username: 'dashboard',
      password: 'dash-pw',
      certificateIdentities: ['someone-else'],
    })
    assert.ok(r.ok)
    assert.equal(r.identity.via, 'password')
  })

  test('a reconnect with the same credentials is answered from memory, not by another scrypt', async () => {
    const auth = make()
    await auth.authenticate({ username: 'dashboard', password: 'dash-pw' })
    const t = performance.now()
    for (let i = 0; i < 200; i++)
      assert.ok((await auth.authenticate({ username: 'dashboard', password: 'dash-pw' })).ok)
    const perLogin = (performance.now() - t) / 200
    assert.ok(perLogin < 1, `${perLogin.toFixed(3)} ms per cached login`)
    // The cache never admits a wrong password.
    assert.equal((await auth.authenticate({ username: 'dashboard', password: 'dash-pw!' })).ok, false)
  })

  test('a configured password that is not a hash is refused at creation, naming the setting', () => {
    assert.throws(
      () => make({ users: [{ username: 'bob', password: 'hunter2', roles: [] }] }),
      (err: Error & { code?: string }) =>
        err.code === 'UNS_ERR_SECURITY_HASH_INVALID' &&
        err.message.startsWith('security.users[0].password (bob)'),
    )
  })
})
