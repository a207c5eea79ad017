import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { toDeadLetterRecord, toRoutedRecord, toStateRecord } from '../../src/bridge/mqtt-to-kafka.js'
import { createRouter } from '../../src/bridge/rules.js'
import { toCommandPublish } from '../../src/bridge/kafka-to-mqtt.js'
import type { ConsumedRecord } from '../../src/kafka/index.js'

const publish = {
  topic: 'acme/berlin/packaging/line-1/filler/temperature',
  payload: Buffer.from('{"value":21.5}'),
  qos: 1 as const,
  retain: true,
  clientId: 'plc-7',
}

describe('MQTT -> Kafka records', () => {
  it('keeps the bytes as published and carries the MQTT, UNS and route headers (PRODUCT.md §4)', () => {
    const r = toRoutedRecord(
      publish,
      { topic: 'uns.telemetry', key: publish.topic, headers: { site: 'berlin' } },
      'bridge-1',
      'telemetry',
      { schema: 'uns.envelope@1' },
    )
    assert.equal(r.topic, 'uns.telemetry')
    assert.equal(r.key, publish.topic)
    assert.equal(r.value, publish.payload)
    assert.deepEqual(r.headers, {
      'mqtt-topic': publish.topic,
      'mqtt-qos': '1',
      'mqtt-retain': 'true',
      source: 'plc-7',
      origin: 'bridge-1',
      'uns-path': publish.topic,
      'uns-class': 'telemetry',
      'content-type': 'application/json',
      site: 'berlin',
      schema: 'uns.envelope@1',
    })
  })

  it('lean headers (the default): only what key and value do not say; origin only where read back', () => {
    const lean = { full: false, bridgedBack: false }
    const r = toRoutedRecord(
      publish,
      { topic: 'uns.telemetry', key: publish.topic, headers: { site: 'berlin' } },
      'bridge-1',
      'telemetry',
      { schema: 'uns.envelope@1', 'sparkplug-topic': 'spBv1.0/G/DDATA/E/D' },
      lean,
    )
    assert.equal(r.value, publish.payload)
    assert.deepEqual(r.headers, { site: 'berlin', schema: 'uns.envelope@1' })
    // A route keyed by something else than the path still names the path; a topic read back carries origin.
    const keyed = toRoutedRecord(
      publish,
      { topic: 'uns.machines', key: 'filler', headers: {} },
      'bridge-1',
      undefined,
      {},
      { full: false, bridgedBack: true },
    )
    assert.deepEqual(keyed.headers, { 'uns-path': publish.topic, origin: 'bridge-1' })
  })

  it('writes a tombstone (null value) to the state topic when a value is deleted', () => {
    const event = {
      path: 'a/b',
      value: null,
      timestamp: 1,
      quality: 'good' as const,
      source: 'c',
      origin: 'o',
    }
    assert.equal(toStateRecord(event, null, 'uns.state', 's1').value, null)
    assert.equal(toStateRecord(event, '{"value":1}', 'uns.state', 's1').value?.toString(), '{"value":1}')
    assert.equal(toStateRecord(event, null, 'uns.state', 's1').headers['uns-session'], 's1')
  })

  it('keeps the original bytes in a dead letter with the reason and validation errors in headers', () => {
    const r = toDeadLetterRecord(
      publish,
      {
        code: 'UNS_ERR_REGISTRY_VALIDATION_FAILED',
        reason: 'value does not match schema filler',
        subject: 'filler',
        version: 2,
        errors: [{ instancePath: '/value', message: 'must be <= 95' }],
      },
      'uns.dlq',
      'bridge-1',
      1764072000000,
    )
    assert.equal(r.value, publish.payload)
    assert.equal(r.headers['error-code'], 'UNS_ERR_REGISTRY_VALIDATION_FAILED')
    assert.equal(r.headers.schema, 'filler')
    assert.equal(r.headers['schema-version'], '2')
    assert.equal(r.headers['received-at'], '1764072000000')
    assert.deepEqual(JSON.parse(r.headers['validation-errors'] ?? ''), [
      { instancePath: '/value', message: 'must be <= 95' },
    ])
  })
})

describe('Kafka -> MQTT commands', () => {
  const record = (over: Partial<ConsumedRecord>): ConsumedRecord => ({
    topic: 'uns.commands',
    partition: 0,
    offset: '0',
    timestamp: 0,
    key: 'acme/berlin/line-1/order',
    value: Buffer.from('{"value":"PO-1"}'),
    headers: {},
    ...over,
  })
  const valid = (): undefined => undefined
  const router = createRouter({
    routes: [],
    defaultRoutes: true,
    inbound: [],
    topics: { telemetry: 't', events: 'e', alarms: 'a', commands: 'uns.commands' },
  })
  const commands = router.inbound[0]!

  it('publishes at the key with QoS 1, not retained, unless headers say otherwise', () => {
    const v = toCommandPublish(record({}), commands, 'me', valid)
    assert.deepEqual(v, {
      kind: 'publish',
      publish: {
        topic: 'acme/berlin/line-1/order',
        payload: Buffer.from('{"value":"PO-1"}'),
        qos: 1,
        retain: false,
      },
    })
    const r = toCommandPublish(
      record({ headers: { 'mqtt-qos': '0', 'mqtt-retain': 'true' } }),
      commands,
      'me',
      valid,
    )
    assert.equal(r.kind === 'publish' && r.publish.qos, 0)
    assert.equal(r.kind === 'publish' && r.publish.retain, true)
  })

  it('skips records this instance produced (loop prevention)', () => {
    assert.deepEqual(toCommandPublish(record({ headers: { origin: 'me' } }), commands, 'me', valid), {
      kind: 'skip-own-origin',
    })
  })

  it('refuses records without a key or with a key that is no topic name', () => {
    assert.equal(toCommandPublish(record({ key: null }), commands, 'me', valid).kind, 'invalid')
    const bad = toCommandPublish(record({ key: 'a/+/b' }), commands, 'me', (t: string) =>
      t.includes('+') ? 'wildcard' : undefined,
    )
    assert.deepEqual(bad, { kind: 'invalid', reason: 'wildcard' })
  })
})
