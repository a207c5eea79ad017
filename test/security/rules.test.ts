import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createAccessRules, internalIdentity, type Action, type Identity } from '../../src/security/index.js'

// The roles of issue 12's configuration contract, plus placeholder roles.
const roles = {
  'edge-berlin': {
    publish: ['acme/berlin/#', 'spBv1.0/acme-berlin/#'],
    subscribe: ['spBv1.0/STATE/#', 'spBv1.0/acme-berlin/NCMD/#', 'spBv1.0/acme-berlin/DCMD/#'],
  },
  reader: { subscribe: ['acme/#'], read: ['acme/#'] },
  operator: { read: ['acme/#'], write: ['acme/berlin/packaging/#'] },
  admin: { admin: true, publish: ['#'], subscribe: ['#'], read: ['#'], write: ['#'] },
  own: { publish: ['devices/${clientid}/#', 'users/${username}/out'], subscribe: ['users/${username}/#'] },
  prefixed: { subscribe: ['${username}/#', 'x/dev-${clientid}/+'] },
}
const rules = createAccessRules({ roles })
const user = (name: string, ...r: string[]): Identity => ({ name, kind: 'user', via: 'password', roles: r })
const ask = (identity: Identity, action: Action, target: string, clientId = 'c1') =>
  rules.check({ identity, action, target, clientId }).allowed

describe('role grants, deny by default', () => {
  const edge = user('plc-berlin-1', 'edge-berlin')
  const reader = user('dashboard', 'reader')
  const operator = user('mes', 'operator')
  const admin = user('root', 'admin')
  const nobody = user('nobody')

  const matrix: [Identity, Action, string, boolean][] = [
    [edge, 'publish', 'acme/berlin/packaging/line1/temp', true],
    [edge, 'publish', 'acme/berlin', true],
    [edge, 'publish', 'acme/hamburg/line1/temp', false],
    [edge, 'publish', 'spBv1.0/acme-berlin/NDATA/plc1', true],
    [edge, 'publish', 'spBv1.0/acme-hamburg/NDATA/plc1', false],
    [edge, 'subscribe', 'spBv1.0/STATE/uns-bridge', true],
    [edge, 'subscribe', 'spBv1.0/acme-berlin/NCMD/#', true],
    [edge, 'subscribe', 'spBv1.0/acme-berlin/#', false],
    [edge, 'subscribe', 'acme/#', false],
    [edge, 'read', 'acme/berlin/packaging', false],
    [edge, 'write', 'acme/berlin/packaging/line1/setpoint', false],
    [edge, 'admin', 'registry', false],
    [reader, 'subscribe', 'acme/#', true],
    [reader, 'subscribe', 'acme/+/packaging/#', true],
    [reader, 'subscribe', '#', false],
    [reader, 'subscribe', '+/berlin/#', false],
    [reader, 'publish', 'acme/berlin/x', false],
    [reader, 'read', 'acme/berlin/packaging/line1/temp', true],
    [reader, 'read', 'globex/plant', false],
    [reader, 'forward', 'acme/berlin/packaging/line1/temp', true],
    [reader, 'forward', 'globex/plant/temp', false],
    [reader, 'write', 'acme/berlin/packaging/line1/setpoint', false],
    [operator, 'write', 'acme/berlin/packaging/line1/setpoint', true],
    [operator, 'write', 'acme/berlin/assembly/line1/setpoint', false],
    [operator, 'read', 'acme/#', true],
    [operator, 'subscribe', 'acme/#', false],
    [admin, 'admin', 'registry', true],
    [admin, 'publish', 'anything/at/all', true],
    [admin, 'subscribe', '#', true],
    [admin, 'subscribe', '$SYS/#', true],
    [nobody, 'publish', 'acme/berlin/x', false],
    [nobody, 'subscribe', 'acme/#', false],
    [nobody, 'read', 'acme', false],
    [nobody, 'admin', 'bindings', false],
  ]
  for (const [identity, action, target, expected] of matrix) {
    test(`${identity.name} (${identity.roles.join(',') || 'no roles'}) ${expected ? 'may' : 'may not'} ${action} ${target}`, () => {
      assert.equal(ask(identity, action, target), expected)
    })
  }

  test('the grants of several roles add up', () => {
    const both = user('both', 'reader', 'operator')
    assert.equal(ask(both, 'subscribe', 'acme/#'), true)
    assert.equal(ask(both, 'write', 'acme/berlin/packaging/x'), true)
    assert.equal(ask(both, 'admin', 'registry'), false)
  })

  test('a role name that is not defined grants nothing', () => {
    assert.equal(ask(user('ghost', 'no-such-role'), 'read', 'acme'), false)
  })

  test('a refusal says which grant is missing', () => {
    const d = rules.check({ identity: reader, action: 'publish', target: 'acme/berlin/x' })
    assert.deepEqual(d, { allowed: false, reason: 'no role grants publish on acme/berlin/x' })
  })

  test('a publish topic with a wildcard, or an invalid filter, is refused, never matched', () => {
    assert.equal(ask(admin, 'publish', 'acme/#'), false)
    assert.equal(ask(admin, 'publish', ''), false)
    assert.equal(ask(admin, 'subscribe', 'acme/#/x'), false)
    assert.equal(ask(admin, 'subscribe', 'acme/x+'), false)
  })
})

describe('$ topics [MQTT-4.7.2-1]', () => {
  const everything = createAccessRules({ roles: { all: { publish: ['#'], subscribe: ['#', '+/+'] } } })
  const u = user('u', 'all')
  test('a grant of # or + does not reach $SYS topics, by subscription or by delivery', () => {
    assert.equal(everything.check({ identity: u, action: 'subscribe', target: '$SYS/#' }).allowed, false)
    assert.equal(
      everything.check({ identity: u, action: 'subscribe', target: '$SYS/broker/clients' }).allowed,
      false,
    )
    assert.equal(
      everything.check({ identity: u, action: 'forward', target: '$SYS/broker/clients' }).allowed,
      false,
    )
    assert.equal(everything.check({ identity: u, action: 'subscribe', target: 'a/#' }).allowed, true)
  })
  test('a grant that writes the $ level reaches it', () => {
    const sys = createAccessRules({ roles: { mon: { subscribe: ['$SYS/#'] } } })
    assert.equal(
      sys.check({ identity: user('m', 'mon'), action: 'subscribe', target: '$SYS/broker/+' }).allowed,
      true,
    )
  })
})

describe('${username} and ${clientid} placeholders', () => {
  const own = user('alice', 'own')
  test('stand for the client’s own username and client id', () => {
    assert.equal(ask(own, 'publish', 'devices/c1/temp', 'c1'), true)
    assert.equal(ask(own, 'publish', 'devices/c2/temp', 'c1'), false)
    assert.equal(ask(own, 'publish', 'users/alice/out'), true)
    assert.equal(ask(own, 'publish', 'users/bob/out'), false)
    assert.equal(ask(own, 'subscribe', 'users/alice/#'), true)
    assert.equal(ask(own, 'subscribe', 'users/alice/inbox/+'), true)
    assert.equal(ask(own, 'subscribe', 'users/+/#'), false)
  })

  test('work inside a level and at the first level', () => {
    const p = user('plant7', 'prefixed')
    assert.equal(ask(p, 'subscribe', 'plant7/#', 'gw'), true)
    assert.equal(ask(p, 'subscribe', 'x/dev-gw/temp', 'gw'), true)
    assert.equal(ask(p, 'subscribe', 'x/dev-other/temp', 'gw'), false)
  })

  for (const trick of ['#', '+', 'a/b', 'a+b', '']) {
    test(`a username ${JSON.stringify(trick)} never satisfies a placeholder rule (no widening)`, () => {
      const evil = user(trick, 'own', 'prefixed')
      assert.equal(ask(evil, 'subscribe', 'users/#'), false)
      assert.equal(ask(evil, 'subscribe', 'users/+/#'), false)
      assert.equal(ask(evil, 'subscribe', `users/${trick}/#`), false)
      assert.equal(ask(evil, 'publish', `users/${trick}/out`), false)
      assert.equal(ask(evil, 'subscribe', '#'), false)
      assert.equal(ask(evil, 'forward', 'users/alice/secret'), false)
    })
    test(`a client id ${JSON.stringify(trick)} never satisfies a placeholder rule`, () => {
      const own2 = user('alice', 'own')
      assert.equal(ask(own2, 'publish', `devices/${trick}/temp`, trick), false)
      assert.equal(ask(own2, 'publish', 'devices/x/temp', trick), false)
    })
  }

  test('a username starting with $ cannot turn a first-level placeholder into a $SYS grant', () => {
    assert.equal(ask(user('$SYS', 'prefixed'), 'subscribe', '$SYS/#'), false)
    assert.equal(ask(user('$SYS', 'prefixed'), 'forward', '$SYS/broker/clients'), false)
  })

  test('a token or anonymous identity has no username: placeholder rules never match for it', () => {
    const token: Identity = { name: 'alice', kind: 'token', via: 'token', roles: ['own'] }
    assert.equal(ask(token, 'publish', 'users/alice/out'), false)
  })

  test('without an MQTT client id, ${clientid} rules never match (REST)', () => {
    assert.equal(
      rules.check({ identity: user('alice', 'own'), action: 'publish', target: 'devices/undefined/x' })
        .allowed,
      false,
    )
  })

  test('an unknown placeholder is a rule error naming it', () => {
    assert.throws(
      () => createAccessRules({ roles: { r: { publish: ['a/${user}/#'] } } }),
      (err: Error & { code?: string }) =>
        err.code === 'UNS_ERR_SECURITY_RULE_INVALID' && /unknown placeholder \$\{user\}/.test(err.message),
    )
  })
})

describe('subscribe: the requested filter must lie within a granted filter', () => {
  const cases: [string, string, boolean][] = [
    ['acme/#', 'acme/#', true],
    ['acme/#', 'acme', true],
    ['acme/#', 'acme/+/x', true],
    ['acme/#', 'acme/berlin/#', true],
    ['acme/#', '#', false],
    ['acme/#', '+/berlin', false],
    ['acme/#', 'acme2/x', false],
    ['acme/+', 'acme/line1', true],
    ['acme/+', 'acme/+', true],
    ['acme/+', 'acme/#', false],
    ['acme/+', 'acme', false],
    ['acme/+', 'acme/a/b', false],
    ['acme/+/temp', 'acme/+/temp', true],
    ['acme/+/temp', 'acme/x/+', false],
    ['acme/x', 'acme/x', true],
    ['acme/x', 'acme/+', false],
    ['acme/x', 'acme/x/#', false],
    ['+/+/#', 'a/b', true],
    ['+/+/#', 'a', false],
    ['#', '#', true],
    ['#', '+/x/#', true],
  ]
  for (const [grant, requested, expected] of cases) {
    test(`grant ${grant} ${expected ? 'covers' : 'does not cover'} ${requested}`, () => {
      const r = createAccessRules({ roles: { r: { subscribe: [grant] } } })
      assert.equal(
        r.check({ identity: user('u', 'r'), action: 'subscribe', target: requested }).allowed,
        expected,
      )
    })
  }
})

describe('open mode and internal identities', () => {
  test('open mode allows everything, including admin', () => {
    const open = createAccessRules({ roles: {}, open: true })
    const anon: Identity = { name: 'anonymous', kind: 'anonymous', via: 'none', roles: [] }
    for (const action of ['publish', 'subscribe', 'read', 'write', 'admin', 'forward'] as const) {
      assert.equal(open.check({ identity: anon, action, target: 'a/b' }).allowed, true)
    }
  })
  test('uns-bridge’s own clients are allowed everything', () => {
    assert.equal(ask(internalIdentity('uns-bridge-host'), 'write', 'spBv1.0/g/NCMD/e'), true)
  })
})

describe('permissions: what an identity may do outside MQTT (GET /api/v1/me)', () => {
  test('lists the granted filters of all roles, with ${username} filled and ${clientid} rules left out', () => {
    const r = createAccessRules({
      roles: {
        ...roles,
        home: { read: ['users/${username}/#', 'devices/${clientid}/#'], write: ['users/${username}/cmd'] },
      },
    })
    assert.deepEqual(r.permissions(user('anna', 'operator', 'home')), {
      publish: [],
      subscribe: [],
      read: ['acme/#', 'users/anna/#'],
      write: ['acme/berlin/packaging/#', 'users/anna/cmd'],
      admin: false,
    })
    // A token has no username: its ${username} rules never apply, so they are not listed.
    const token: Identity = { name: 'mes', kind: 'token', via: 'token', roles: ['home'] }
    assert.deepEqual(r.permissions(token).read, [])
    // A username that would widen the rule never fills it.
    assert.deepEqual(r.permissions(user('#', 'home')).write, [])
    assert.equal(r.permissions(user('root', 'admin')).admin, true)
  })
  test('open mode and internal identities may do everything', () => {
    const open = createAccessRules({ roles: {}, open: true })
    const anon: Identity = { name: 'anonymous', kind: 'anonymous', via: 'none', roles: [] }
    assert.deepEqual(open.permissions(anon).write, ['#'])
    assert.equal(rules.permissions(internalIdentity('uns-bridge-host')).admin, true)
  })
})
