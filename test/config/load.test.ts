import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig, redactConfig, envSettings, ConfigSchema } from '../../src/config/index.js'
import { UnsError } from '../../src/errors.js'

const yamlFile = (text: string): string => {
  const file = join(mkdtempSync(join(tmpdir(), 'uns-config-')), 'config.yaml')
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

describe('loadConfig', () => {
  it('applies the documented defaults when nothing is set', () => {
    const config = loadConfig({ env: {} })
    assert.equal(config.mqtt.port, 1883)
    assert.equal(config.http.port, 8080)
    // Loopback unless said otherwise (the Mosquitto 2 default): see the security tests for the rule.
    assert.equal(config.host, '127.0.0.1')
    assert.deepEqual(config.kafka.brokers, [])
    assert.equal(config.namespace.dir, './namespace')
    assert.equal(config.log.level, 'info')
    assert.equal(config.kafka.topics.telemetry, 'uns.telemetry')
    assert.equal(config.kafka.topics.commands, 'uns.commands')
    assert.ok(Object.isFrozen(config.kafka.topics), 'the result is deep-frozen')
  })

  it('takes the file over the defaults and the environment over the file', () => {
    const file = yamlFile('mqtt:\n  port: 2883\nhttp:\n  port: 9090\nkafka:\n  brokers: [k1:9092, k2:9092]\n')
    const config = loadConfig({ file, env: { UNS_HTTP_PORT: '7070', UNS_INSTANCE_ID: 'plant-7' } })
    assert.equal(config.mqtt.port, 2883)
    assert.equal(config.http.port, 7070)
    assert.deepEqual(config.kafka.brokers, ['k1:9092', 'k2:9092'])
    assert.equal(config.instanceId, 'plant-7')
  })

  it('reads the fixed environment names operators rely on', () => {
    const config = loadConfig({
      env: {
        UNS_MQTT_PORT: '11883',
        UNS_HTTP_PORT: '18080',
        UNS_HOST: '127.0.0.1',
        UNS_KAFKA_BROKERS: 'a:9092, b:9093',
        UNS_NAMESPACE_DIR: '/etc/uns/namespace',
        UNS_LOG_LEVEL: 'debug',
        UNS_INSTANCE_ID: 'edge-1',
      },
    })
    assert.equal(config.mqtt.port, 11883)
    assert.equal(config.http.port, 18080)
    assert.equal(config.host, '127.0.0.1')
    assert.deepEqual(config.kafka.brokers, ['a:9092', 'b:9093'])
    assert.equal(config.namespace.dir, '/etc/uns/namespace')
    assert.equal(config.log.level, 'debug')
    assert.equal(config.instanceId, 'edge-1')
  })

  it('treats an empty UNS_KAFKA_BROKERS as running without Kafka', () => {
    assert.deepEqual(loadConfig({ env: { UNS_KAFKA_BROKERS: '' } }).kafka.brokers, [])
  })

  it('names the setting, the bad value, where it came from and what is allowed', () => {
    const err = failure(() => loadConfig({ env: { UNS_MQTT_PORT: '70000', UNS_LOG_LEVEL: 'loud' } }))
    assert.equal(err.code, 'UNS_ERR_CONFIG_INVALID')
    assert.match(err.message, /mqtt\.port = 70000 \(from UNS_MQTT_PORT\): must be <= 65535/)
    assert.match(
      err.message,
      /log\.level = "loud" \(from UNS_LOG_LEVEL\): must be equal to one of the allowed values: fatal, error, warn, info, debug, trace, silent/,
    )
  })

  it('reports every problem of a file together, unknown settings included', () => {
    const file = yamlFile('mqtt:\n  prot: 1\nhttp:\n  port: abc\n')
    const err = failure(() => loadConfig({ file, env: {} }))
    assert.match(
      err.message,
      new RegExp(
        `mqtt\\.prot \\(from ${file}\\): unknown setting; allowed here: port, external, maxPayloadBytes, plaintext, tls`,
      ),
    )
    assert.match(err.message, new RegExp(`http\\.port = "abc" \\(from ${file}\\): must be integer`))
  })

  it('reports a YAML syntax error with the file and line', () => {
    const file = yamlFile('mqtt:\n  port: 1883\n bad: [\n')
    const err = failure(() => loadConfig({ file, env: {} }))
    assert.equal(err.code, 'UNS_ERR_CONFIG_FILE')
    assert.match(err.message, new RegExp(`Cannot read config file ${file}: line \\d+:`))
  })

  it('reports a missing config file by name', () => {
    const err = failure(() => loadConfig({ file: '/nonexistent/uns.yaml', env: {} }))
    assert.match(err.message, /Cannot read config file \/nonexistent\/uns\.yaml: ENOENT/)
  })

  it('redacts secrets in the printed config and in error messages', () => {
    const env = {
      UNS_KAFKA_SASL_MECHANISM: 'plain',
      UNS_KAFKA_SASL_USERNAME: 'bridge',
      UNS_KAFKA_SASL_PASSWORD: 's3cret',
    }
    const printed = JSON.stringify(redactConfig(loadConfig({ env })))
    assert.doesNotMatch(printed, /s3cret/)
    assert.match(printed, /"password":"\[redacted\]"/)
    assert.match(printed, /"username":"bridge"/)
  })

  it('derives an environment name for every setting from its path', () => {
    const names = envSettings(ConfigSchema).map((s) => s.name)
    assert.ok(names.includes('UNS_KAFKA_TOPICS_TELEMETRY'))
    assert.ok(names.includes('UNS_KAFKA_SASL_PASSWORD'))
    assert.equal(new Set(names).size, names.length, 'names are unique')
  })
})

describe('configuration reference', () => {
  it('docs/configuration.md matches the schema (defaults changes show up in review)', async () => {
    const { readFileSync } = await import('node:fs')
    const { configReferenceMarkdown } = await import('../../src/config/index.js')
    assert.equal(
      readFileSync('docs/configuration.md', 'utf8'),
      configReferenceMarkdown(),
      'run `npm run docs:config` and commit docs/configuration.md',
    )
  })
})
