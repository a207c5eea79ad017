// JWT bearer tokens against a JWKS file and a JWKS served over HTTP (a real local server).
import assert from 'node:assert/strict'
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import { createServer, type Server } from 'node:http'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { exportJWK, generateKeyPair, SignJWT, type CryptoKey, type JWK } from 'jose'
import { loadConfig } from '../../src/config/index.js'
import { createLogger } from '../../src/logger.js'
import { createJwtVerifier, createSecurity } from '../../src/security/index.js'

let dir: string
let jwksFile: string
let signing: CryptoKey
let stranger: CryptoKey
let server: Server
let jwksUrl: string
let jwksRequests = 0

before(async () => {
  dir = mkdtempSync(join(tmpdir(), 'uns-jwt-'))
  const pair = await generateKeyPair('ES256')
  signing = pair.privateKey
  stranger = (await generateKeyPair('ES256')).privateKey
  const jwk: JWK = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'ES256', use: 'sig' }
  jwksFile = join(dir, 'jwks.json')
  writeFileSync(jwksFile, JSON.stringify({ keys: [jwk] }))
  server = createServer((_req, res) => {
    jwksRequests++
    res.setHeader('content-type', 'application/json')
    res.end(JSON.stringify({ keys: [jwk] }))
  })
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  jwksUrl = `http://127.0.0.1:${(server.address() as { port: number }).port}/jwks.json`
})
after(() => {
  server.close()
  rmSync(dir, { recursive: true, force: true })
})

const sign = (claims: Record<string, unknown>, key = signing, expires: string | number = '5m') =>
  new SignJWT(claims)
    .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
    .setIssuedAt()
    .setExpirationTime(expires)
    .setIssuer('https://idp.acme.example')
    .setAudience('uns-bridge')
    .sign(key)

describe('JWT bearer tokens', () => {
  const config = () => ({ jwks: jwksFile, issuer: 'https://idp.acme.example', audience: 'uns-bridge' })

  test('a token signed by a key of the JWKS gives its subject and roles', async () => {
    const v = createJwtVerifier(config())
    const r = await v.verify(await sign({ sub: 'grafana', roles: ['reader', 'viewer'] }))
    assert.deepEqual(r, {
      ok: true,
      identity: { name: 'grafana', kind: 'token', via: 'token', roles: ['reader', 'viewer'] },
    })
  })

  test('roles come from a configurable, nested claim or a space-separated string', async () => {
    const nested = createJwtVerifier({ ...config(), rolesClaim: 'realm_access.roles' })
    const r = await nested.verify(await sign({ sub: 'a', realm_access: { roles: ['operator'] } }))
    assert.deepEqual(r.ok ? r.identity.roles : [], ['operator'])
    const spaced = createJwtVerifier({ ...config(), rolesClaim: 'scope' })
    const s = await spaced.verify(await sign({ sub: 'a', scope: 'reader operator' }))
    assert.deepEqual(s.ok ? s.identity.roles : [], ['reader', 'operator'])
  })

  for (const [what, token, reason] of [
    ['signed by another key', () => sign({ sub: 'x' }, stranger), /signature verification failed/],
    [
      'expired',
      () => sign({ sub: 'x' }, signing, Math.floor(Date.now() / 1000) - 60),
      /"exp" claim timestamp check failed/,
    ],
    [
      'from another issuer',
      () =>
        new SignJWT({ sub: 'x' })
          .setProtectedHeader({ alg: 'ES256', kid: 'k1' })
          .setExpirationTime('5m')
          .setIssuer('https://evil.example')
          .setAudience('uns-bridge')
          .sign(signing),
      /unexpected "iss" claim value/,
    ],
    ['without a subject', () => sign({ roles: ['admin'] }), /no sub claim/],
    [
      'unsigned (alg none)',
      async () =>
        `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from('{"sub":"x","exp":9999999999}').toString('base64url')}.x`,
      /invalid JWT/,
    ],
  ] as const) {
    test(`a token ${what} is refused with the reason`, async () => {
      const r = await createJwtVerifier(config()).verify(await token())
      assert.equal(r.ok, false)
      assert.match(r.ok ? '' : r.reason, reason)
    })
  }

  test('a JWKS served over HTTP is fetched once and reused', async () => {
    const v = createJwtVerifier({ ...config(), jwks: jwksUrl })
    for (let i = 0; i < 5; i++) assert.equal((await v.verify(await sign({ sub: 'u', roles: [] }))).ok, true)
    assert.equal(jwksRequests, 1)
  })

  test('a missing JWKS file is a clear error naming it', () => {
    assert.throws(
      () => createJwtVerifier({ jwks: join(dir, 'nope.json') }),
      (err: Error & { code?: string }) =>
        err.code === 'UNS_ERR_SECURITY_JWKS_INVALID' &&
        err.message.includes('nope.json') &&
        err.message.includes('ENOENT'),
    )
  })

  test('the HTTP authentication accepts a JWT next to hashed tokens, and refuses a bad one', async () => {
    const file = join(dir, 'config.yaml')
    writeFileSync(
      file,
      `security:\n  jwt: { jwks: ${JSON.stringify(jwksFile)}, issuer: "https://idp.acme.example", audience: uns-bridge }\n  roles: { reader: { read: ["acme/#"] } }\n`,
    )
    const loaded = loadConfig({ file, env: {} })
    const security = await createSecurity(
      { logger: createLogger('silent') },
      { security: loaded.security, sparkplugHostId: 'h' },
    )
    assert.equal(security.open, false)
    const ok = await security.authenticateHttp(
      `Bearer ${await sign({ sub: 'grafana', roles: ['reader'] })}`,
      'a',
      'GET /api/v1/tree',
    )
    assert.ok(ok.ok)
    assert.equal(
      security.authorize({ identity: ok.identity, address: 'a', action: 'read', target: 'acme/berlin' })
        .allowed,
      true,
    )
    assert.equal(
      security.authorize({ identity: ok.identity, address: 'a', action: 'read', target: 'globex' }).allowed,
      false,
    )
    const bad = await security.authenticateHttp(
      `Bearer ${await sign({ sub: 'x' }, stranger)}`,
      'a',
      'GET /api/v1/tree',
    )
    assert.equal(bad.ok ? '' : bad.reason, 'bad_credentials')
  })
})
