// The security stage as the broker hooks and the API hook will use it, built from a loaded config.
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { before, describe, test } from 'node:test'
import { loadConfig } from '../../src/config/index.js'
import { createLogger } from '../../src/logger.js'
import { createMetrics } from '../../src/metrics.js'
import {
  createSecurity,
  hashPassword,
  type AuditEvent,
  type ClientSession,
  type Security,
} from '../../src/security/index.js'

const FAST = { ln: 10, r: 8, p: 1 }
let security: Security
const events: AuditEvent[] = []
const metrics = createMetrics()

before(async () => {
  const dir = mkdtempSync(join(tmpdir(), 'uns-sec-'))
  const file = join(dir, 'config.yaml')
  writeFileSync(
    file,
    `
host: 0.0.0.0
security:
  users:
    - { username: plc-berlin-1, password: "${await hashPassword('berlin-pw', FAST)}", roles: [edge-berlin] }
    - { username: plc-berlin-2, password: "${await hashPassword('berlin-pw2', FAST)}", roles: [edge-berlin] }
    - { username: ops, password: "${await hashPassword('ops-pw', FAST)}", roles: [reader] }
  tokens:
    - { name: mes, token: "${await hashPassword('mes-token-1f2e', FAST)}", roles: [operator] }
  roles:
    edge-berlin: { publish: ["acme/berlin/#", "spBv1.0/acme-berlin/#"], subscribe: ["spBv1.0/STATE/#", "spBv1.0/acme-berlin/NCMD/#"] }
    reader: { subscribe: ["acme/#"], read: ["acme/#"] }
    operator: { read: ["acme/#"], write: ["acme/berlin/packaging/#"] }
`,
  )
  const config = loadConfig({ file, env: {} })
  security = await createSecurity(
    {
      logger: createLogger('silent'),
      auditSink: (e) => void events.push(e),
      auditCounter: metrics.auditEvents,
    },
    { security: config.security, sparkplugHostId: 'uns-bridge' },
  )
})
const last = () => events[events.length - 1]

describe('security stage: MQTT', () => {
  test('a refused CONNECT is audited with the presented name and address', async () => {
    const r = await security.authenticate({
      username: 'plc-berlin-1',
      password: 'wrong',
      address: '10.0.0.7:5000',
    })
    assert.equal(r.ok, false)
    assert.deepEqual(
      { ...last(), time: undefined },
      {
        time: undefined,
        identity: 'plc-berlin-1',
        address: '10.0.0.7:5000',
        action: 'connect',
        target: 'mqtt',
        result: 'refused',
        reason: 'wrong username or password',
      },
    )
    const anon = await security.authenticate({ address: '10.0.0.8:5000' })
    assert.equal(anon.ok ? '' : anon.reason, 'not_authorized')
  })

  test('publish checks the role grants, then the Sparkplug guard; each refusal is audited', async () => {
    const a = await security.authenticate({ username: 'plc-berlin-1', password: 'berlin-pw', address: 'a' })
    const b = await security.authenticate({ username: 'plc-berlin-2', password: 'berlin-pw2', address: 'b' })
    assert.ok(a.ok && b.ok)
    const s1: ClientSession = { identity: a.identity, clientId: 'plc1', address: '10.0.0.7:5001' }
    const s2: ClientSession = { identity: b.identity, clientId: 'plc2', address: '10.0.0.9:5002' }
    security.clientConnected(s1)
    security.clientConnected(s2)
    const before = events.length
    assert.equal(security.authorizePublish(s1, 'acme/berlin/line1/temp').allowed, true)
    assert.equal(security.authorizePublish(s1, 'spBv1.0/acme-berlin/NBIRTH/plc1').allowed, true)
    assert.equal(events.length, before, 'allowed publishes are not audited one by one')

    assert.equal(security.authorizePublish(s1, 'acme/hamburg/x').allowed, false)
    assert.equal(last()?.reason, 'no role grants publish on acme/hamburg/x')
    // plc-berlin-2 holds the same grants, but cannot speak for plc1's edge node while it is connected.
    assert.equal(security.authorizePublish(s2, 'spBv1.0/acme-berlin/NDEATH/plc1').allowed, false)
    assert.deepEqual(
      {
        identity: last()?.identity,
        address: last()?.address,
        action: last()?.action,
        reason: last()?.reason,
      },
      {
        identity: 'plc-berlin-2',
        address: '10.0.0.9:5002',
        action: 'publish',
        reason: 'edge node acme-berlin/plc1 belongs to connected client plc1',
      },
    )
    // NCMD needs a write grant, which the edge role does not have.
    assert.equal(security.authorizePublish(s1, 'spBv1.0/acme-berlin/NCMD/plc2').allowed, false)
    security.clientDisconnected('plc1')
    assert.equal(security.authorizePublish(s2, 'spBv1.0/acme-berlin/NBIRTH/plc1').allowed, true)
  })

  test('subscribe and forward refusals are audited', async () => {
    const r = await security.authenticate({ username: 'ops', password: 'ops-pw', address: 'x' })
    assert.ok(r.ok)
    const s: ClientSession = { identity: r.identity, clientId: 'dash', address: '10.1.1.1:1' }
    assert.equal(security.authorizeSubscribe(s, 'acme/+/packaging/#').allowed, true)
    assert.equal(security.authorizeSubscribe(s, '#').allowed, false)
    assert.equal(last()?.action, 'subscribe')
    assert.equal(security.authorizeForward(s, 'acme/berlin/x'), true)
    assert.equal(security.authorizeForward(s, 'globex/retained/value'), false)
    assert.deepEqual([last()?.action, last()?.target], ['forward', 'globex/retained/value'])
  })
})

describe('security stage: HTTP', () => {
  test('a bearer token is the identity of its name and roles; a wrong one is refused and audited', async () => {
    const ok = await security.authenticateHttp(
      'Bearer mes-token-1f2e',
      '10.2.0.1:3',
      'POST /api/v1/nodes/:path/write',
    )
    assert.ok(ok.ok)
    assert.deepEqual(ok.identity, { name: 'mes', kind: 'token', via: 'token', roles: ['operator'] })
    const bad = await security.authenticateHttp('Bearer mes-token-1f2f', '10.2.0.1:3', 'GET /api/v1/tree')
    assert.equal(bad.ok ? '' : bad.reason, 'bad_credentials')
    assert.deepEqual(
      [last()?.action, last()?.target, last()?.identity],
      ['connect', 'GET /api/v1/tree', 'token'],
    )
    assert.doesNotMatch(JSON.stringify(events), /mes-token/)
  })

  test('Basic credentials of a user work; no header is anonymous, refused here; other schemes are refused', async () => {
    const basic = `Basic ${Buffer.from('ops:ops-pw').toString('base64')}`
    const ok = await security.authenticateHttp(basic, 'a', 'GET /api/v1/tree')
    assert.ok(ok.ok)
    assert.equal(ok.identity.name, 'ops')
    const none = await security.authenticateHttp(undefined, 'a', 'GET /api/v1/tree')
    assert.equal(none.ok ? '' : none.reason, 'not_authorized')
    const digest = await security.authenticateHttp('Digest x', 'a', 'GET /api/v1/tree')
    assert.match(digest.ok ? '' : digest.message, /unsupported Authorization scheme/)
  })

  test('authorize answers REST questions; writes that happen are recorded as allowed', async () => {
    const r = await security.authenticateHttp('Bearer mes-token-1f2e', 'a', 'w')
    assert.ok(r.ok)
    const q = { identity: r.identity, address: '10.2.0.1:3' }
    assert.equal(
      security.authorize({ ...q, action: 'write', target: 'acme/berlin/packaging/line1/sp' }).allowed,
      true,
    )
    assert.equal(
      security.authorize({ ...q, action: 'write', target: 'acme/berlin/assembly/line1/sp' }).allowed,
      false,
    )
    assert.equal(
      security.authorize({ ...q, action: 'admin', target: 'PUT /api/v1/schemas/bindings' }).allowed,
      false,
    )
    assert.equal(last()?.reason, 'no role grants admin')
    security.recordAllowed(q, 'write', 'acme/berlin/packaging/line1/sp')
    assert.deepEqual([last()?.result, last()?.identity], ['allowed', 'mes'])
  })

  test('every audited event is counted', async () => {
    const text = await metrics.registry.metrics()
    assert.match(text, /uns_audit_events_total\{action="connect",result="refused"\} \d+/)
    assert.match(text, /uns_audit_events_total\{action="write",result="allowed"\} 1/)
  })

  test('in open mode (nothing configured) every request is anonymous with full access', async () => {
    const open = await createSecurity(
      { logger: createLogger('silent') },
      { security: loadConfig({ env: {} }).security, sparkplugHostId: 'uns-bridge' },
    )
    assert.equal(open.open, true)
    const r = await open.authenticateHttp('Bearer whatever', 'a', 'GET /')
    assert.ok(r.ok)
    assert.equal(
      open.authorize({ identity: r.identity, address: 'a', action: 'admin', target: 'registry' }).allowed,
      true,
    )
    const m = await open.authenticate({ address: 'a' })
    assert.ok(m.ok)
    const s = { identity: m.identity, clientId: 'x', address: 'a' }
    // The Sparkplug guard applies even then: nobody fakes uns-bridge's STATE.
    assert.equal(open.authorizePublish(s, 'spBv1.0/STATE/uns-bridge').allowed, false)
  })
})
