// Kafka TLS and SASL settings: checked at load with the setting named, secrets never shown.
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../../src/config/index.js'
import { UnsError } from '../../src/errors.js'

const failure = (env: Record<string, string>): UnsError => {
  try {
    loadConfig({ env })
  } catch (err) {
    assert.ok(err instanceof UnsError)
    return err
  }
  assert.fail('expected loadConfig to throw')
}

const pemDir = mkdtempSync(join(tmpdir(), 'uns-config-tls-'))
const pem = (name: string): string => {
  const file = join(pemDir, name)
  writeFileSync(file, '-----BEGIN CERTIFICATE-----\n-----END CERTIFICATE-----\n')
  return file
}

describe('kafka.tls and kafka.sasl', () => {
  it('accepts CA, certificate and key files and verifies brokers by default', () => {
    const [ca, cert, key] = [pem('ca.pem'), pem('client.pem'), pem('client-key.pem')]
    const config = loadConfig({
      env: { UNS_KAFKA_TLS_CA: ca, UNS_KAFKA_TLS_CERT: cert, UNS_KAFKA_TLS_KEY: key },
    })
    assert.deepEqual(config.kafka.tls, { ca, cert, key, rejectUnauthorized: true })
  })

  it('names a TLS file that is missing, with the variable it came from', () => {
    const err = failure({ UNS_KAFKA_TLS_CA: '/nonexistent/ca.pem' })
    assert.match(
      err.message,
      /kafka\.tls\.ca = "\/nonexistent\/ca\.pem" \(from UNS_KAFKA_TLS_CA\): no readable file there/,
    )
  })

  it('refuses a client certificate without its key', () => {
    const err = failure({ UNS_KAFKA_TLS_CERT: pem('lonely.pem') })
    assert.match(err.message, /kafka\.tls .*must have property key when property cert is present/)
  })

  it('refuses an unknown SASL mechanism and lists the supported ones', () => {
    const err = failure({
      UNS_KAFKA_SASL_MECHANISM: 'scram-sha-1',
      UNS_KAFKA_SASL_USERNAME: 'bridge',
      UNS_KAFKA_SASL_PASSWORD: 'pw',
    })
    assert.match(err.message, /kafka\.sasl\.mechanism = "scram-sha-1".*plain, scram-sha-256, scram-sha-512/)
  })

  it('never shows the SASL password in an error about the SASL settings', () => {
    const err = failure({
      UNS_KAFKA_SASL_MECHANISM: 'scram-sha-512',
      UNS_KAFKA_SASL_PASSWORD: 'hunter2-kafka',
    })
    assert.match(err.message, /must have required property 'username'/)
    assert.doesNotMatch(err.message, /hunter2-kafka/)
    assert.match(err.message, /"password":"\[redacted\]"/)
  })
})
