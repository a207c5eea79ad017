// The security settings as an operator writes them: the configuration contract loads, and each
// cross-field mistake is one clear line in UNS_ERR_CONFIG_INVALID (exit 2 from the CLI).
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { before, describe, test } from 'node:test'
import { loadConfig, redactConfig } from '../../src/config/index.js'
import { UnsError } from '../../src/errors.js'
import { hashPassword, isLoopbackHost, isOpenMode } from '../../src/security/index.js'
import { runCli } from '../helpers/process.js'

const yamlFile = (text: string): string => {
  const file = join(mkdtempSync(join(tmpdir(), 'uns-sec-config-')), 'config.yaml')
  writeFileSync(file, text)
  return file
}
const failure = (fn: () => unknown): UnsError => {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof UnsError)
    return err
  }
  assert.fail('expected loadConfig to throw')
}

let hash: string
before(async () => {
  hash = await hashPassword('pw', { ln: 10, r: 8, p: 1 })
})

const contract = () => `
host: 0.0.0.0
security:
  anonymous: false
  users:
    - { username: plc-berlin-1, password: "${hash}", roles: [edge-berlin] }
  tokens:
    - { name: mes, token: "${hash}", roles: [operator] }
  roles:
    edge-berlin: { publish: ["acme/berlin/#", "spBv1.0/acme-berlin/#"], subscribe: ["spBv1.0/STATE/#", "spBv1.0/acme-berlin/NCMD/#", "spBv1.0/acme-berlin/DCMD/#"] }
    reader:      { subscribe: ["acme/#"], read: ["acme/#"] }
    operator:    { read: ["acme/#"], write: ["acme/berlin/packaging/#"] }
    admin:       { admin: true, publish: ["#"], subscribe: ["#"], read: ["#"], write: ["#"] }
mqtt:
  tls: { port: 8883, cert: server.pem, key: server-key.pem, ca: ca.pem, clientCertificates: optional }
http:
  tls: { cert: server.pem, key: server-key.pem }
`

describe('security configuration', () => {
  test('the configuration contract of issue 12 loads, with defaults filled in', () => {
    const config = loadConfig({ file: yamlFile(contract()), env: {} })
    assert.equal(config.security.users[0]?.username, 'plc-berlin-1')
    assert.deepEqual(config.security.roles['reader'], {
      subscribe: ['acme/#'],
      read: ['acme/#'],
      publish: [],
      write: [],
      admin: false,
    })
    assert.equal(config.mqtt.tls?.clientCertificates, 'optional')
    assert.equal(config.http.tls?.cert, 'server.pem')
    assert.equal(config.security.audit.topic, 'uns.audit')
    assert.equal(config.security.certificateIdentity, 'cn')
    assert.equal(config.security.limits.publishesPerSecond, 10000)
    assert.equal(isOpenMode(config.security), false)
  })

  test('the printed config hides password and token hashes', () => {
    const printed = JSON.stringify(redactConfig(loadConfig({ file: yamlFile(contract()), env: {} })))
    assert.doesNotMatch(printed, /scrypt\$/)
  })

  test('with nothing configured the service is open, on loopback only', () => {
    const config = loadConfig({ env: {} })
    assert.equal(config.host, '127.0.0.1')
    assert.equal(config.security.anonymous, false)
    assert.equal(isOpenMode(config.security), true)
  })

  test('binding a non-loopback address with no users or tokens is refused, saying what to set', () => {
    const err = failure(() => loadConfig({ env: { UNS_HOST: '0.0.0.0' } }))
    assert.equal(err.code, 'UNS_ERR_CONFIG_INVALID')
    assert.match(err.message, /host = "0\.0\.0\.0": no security\.users or security\.tokens are configured/)
    assert.match(err.message, /security\.anonymous: true \(UNS_SECURITY_ANONYMOUS=true\)/)
    assert.match(err.message, /host: 127\.0\.0\.1/)
  })

  test('an explicit security.anonymous: true allows any address (the demo profile)', () => {
    const config = loadConfig({ env: { UNS_HOST: '0.0.0.0', UNS_SECURITY_ANONYMOUS: 'true' } })
    assert.equal(config.security.anonymous, true)
    assert.equal(isOpenMode(config.security), true)
  })

  test('a JWT issuer counts as configured identities: not open, any address allowed', () => {
    const config = loadConfig({
      env: { UNS_HOST: '0.0.0.0', UNS_SECURITY_JWT_JWKS: 'https://idp.acme.example/jwks' },
    })
    assert.equal(config.security.jwt?.rolesClaim, 'roles')
    assert.equal(isOpenMode(config.security), false)
  })

  test('the CLI exits 2 on a non-loopback address without security, with the message', async () => {
    const run = await runCli([], { UNS_HOST: '0.0.0.0', UNS_MQTT_PORT: '0', UNS_HTTP_PORT: '0' })
    assert.equal(run.code, 2)
    assert.match(run.stderr, /host = "0\.0\.0\.0".*security\.anonymous: true.*UNS_ERR_CONFIG_INVALID/s)
  })

  test('a password that is not a hash is refused, naming the setting and never showing it', () => {
    const file = yamlFile(`security:\n  users:\n    - { username: bob, password: "hunter2", roles: [] }\n`)
    const err = failure(() => loadConfig({ file, env: {} }))
    assert.match(
      err.message,
      /security\.users\[0\]\.password \(user bob\) = \[redacted\]: not in the scrypt\$\.\.\. format/,
    )
    assert.match(err.message, /uns-bridge hash-password/)
    assert.doesNotMatch(err.message, /hunter2/)
  })

  test('a token that is not a hash is refused, naming the setting', () => {
    const file = yamlFile(`security:\n  tokens:\n    - { name: mes, token: "abc123", roles: [] }\n`)
    assert.match(
      failure(() => loadConfig({ file, env: {} })).message,
      /security\.tokens\[0\]\.token \(token mes\) = \[redacted\]/,
    )
  })

  test('roles named by users, tokens and anonymousRoles must exist', () => {
    const file = yamlFile(`
security:
  anonymous: true
  anonymousRoles: [guest]
  users: [{ username: bob, password: "${hash}", roles: [reader, writer] }]
  tokens: [{ name: t, token: "${hash}", roles: [ops] }]
  roles: { reader: { read: ["#"] } }
`)
    const err = failure(() => loadConfig({ file, env: {} }))
    assert.match(
      err.message,
      /security\.users\[0\]\.roles names role "writer", which security\.roles does not define \(defined: reader\)/,
    )
    assert.match(err.message, /security\.tokens\[0\]\.roles names role "ops"/)
    assert.match(err.message, /security\.anonymousRoles names role "guest"/)
    assert.doesNotMatch(err.message, /role "reader"/)
  })

  test('invalid role filters, duplicate users and a username with a wildcard are refused', () => {
    const file = yamlFile(`
security:
  users:
    - { username: bob, password: "${hash}" }
    - { username: bob, password: "${hash}" }
    - { username: "a/#", password: "${hash}" }
  roles: { r: { publish: ["a/#/b"], subscribe: ["x/\${user}"] } }
`)
    const err = failure(() => loadConfig({ file, env: {} }))
    assert.match(err.message, /security\.users\/2\/username|security\.users\.2\.username/)
    const err2 = failure(() =>
      loadConfig({
        file: yamlFile(`
security:
  users:
    - { username: bob, password: "${hash}" }
    - { username: bob, password: "${hash}" }
  roles: { r: { publish: ["a/#/b"], subscribe: ["x/\${user}"] } }
`),
        env: {},
      }),
    )
    assert.match(err2.message, /security\.users\[1\]\.username = "bob": another user has the same name/)
    assert.match(
      err2.message,
      /security\.roles\.r\.publish\[0\] = "a\/#\/b": # must be the last level on its own/,
    )
    assert.match(err2.message, /security\.roles\.r\.subscribe\[0\] = "x\/\$\{user\}": unknown placeholder/)
  })

  test('client certificates need a CA, and the TLS port must not clash', () => {
    const file = yamlFile(`
security: { anonymous: true }
mqtt:
  port: 1883
  tls: { port: 1883, cert: a.pem, key: b.pem, clientCertificates: required }
`)
    const err = failure(() => loadConfig({ file, env: {} }))
    assert.match(err.message, /mqtt\.tls\.clientCertificates = "required": set mqtt\.tls\.ca/)
    assert.match(err.message, /mqtt\.tls\.port = 1883: the same port as mqtt\.port or http\.port/)
  })

  test('a TLS section without its key file is a schema error', () => {
    const err = failure(() => loadConfig({ env: { UNS_MQTT_TLS_CERT: 'a.pem' } }))
    assert.match(err.message, /mqtt\.tls.*must have required property 'key'/)
  })

  test('loopback addresses are recognised', () => {
    for (const h of ['127.0.0.1', '127.1.2.3', 'localhost', '::1', '[::1]', '::ffff:127.0.0.1']) {
      assert.equal(isLoopbackHost(h), true, h)
    }
    for (const h of ['0.0.0.0', '::', '10.0.0.5', 'plant-gw.local', '128.0.0.1']) {
      assert.equal(isLoopbackHost(h), false, h)
    }
  })
})
