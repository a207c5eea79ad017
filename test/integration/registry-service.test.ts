// Issue 5 acceptance through the real service and Kafka: validation on ingest with dead letters,
// warnings, model fields, the registry kept in uns.schemas across a restart, the Confluent subset on
// the service's own HTTP port, and writes refused while Kafka is unreachable.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { Kafka, logLevel } from 'kafkajs'
import { readTopic, testBrokers, uniqueName, type ReadRecord } from '../helpers/kafka.js'
import { eventually, kafkaEnv, startService, uniqueTopics, type TestService } from '../helpers/service.js'

const FILLER_TEMP = 'acme/berlin/packaging/line-1/filler/temperature'

/** Reads `topic` from the beginning until a record with `key` arrives (undefined after `timeoutMs`). */
async function findRecord(topic: string, key: string, timeoutMs = 15000): Promise<ReadRecord | undefined> {
  const kafka = new Kafka({ brokers: [testBrokers()], logLevel: logLevel.NOTHING, clientId: 'test' })
  const consumer = kafka.consumer({ groupId: uniqueName('test-find') })
  await consumer.connect()
  await consumer.subscribe({ topic, fromBeginning: true })
  const found = await new Promise<ReadRecord | undefined>((resolve) => {
    const timer = setTimeout(() => resolve(undefined), timeoutMs)
    void consumer.run({
      eachMessage: async ({ message, partition }) => {
        if (message.key?.toString() !== key) return
        clearTimeout(timer)
        const headers: Record<string, string> = {}
        for (const [k, v] of Object.entries(message.headers ?? {})) headers[k] = String(v)
        resolve({ key, value: message.value, headers, partition, offset: message.offset })
      },
    })
  })
  await consumer.disconnect()
  return found
}

describe('the schema registry in the running service', () => {
  const topics = uniqueTopics()
  const env = () => kafkaEnv({ UNS_REGISTRY_MODEL_POLICY: 'reject' }, topics)
  let svc: TestService
  const api = (path: string, init?: RequestInit) => fetch(`${svc.httpUrl}${path}`, init)
  const post = (path: string, body: unknown) =>
    api(path, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify(body) })
  const ready = () => svc.ready()
  const hasValue = (path: string): boolean => {
    try {
      return svc.service.tree.node(path).value !== undefined
    } catch {
      return false
    }
  }
  const recordOf = findRecord

  before(async () => {
    svc = await startService(env())
    await ready()
  })
  after(() => svc.close())

  test('is ready only with the registry restored from the registry topic', async () => {
    const res = await api('/health/ready')
    assert.equal(res.status, 200)
    const body = (await res.json()) as { registry: { state: string; topic: string } }
    assert.equal(body.registry.state, 'persistent')
    assert.equal(body.registry.topic, topics.schemas)
  })

  test('a schema and a reject binding registered over REST keep an invalid payload out of the tree and telemetry, into the DLQ', async () => {
    const created = await post('/api/v1/schemas/line.temp/versions', {
      schema: { type: 'number', minimum: -40, maximum: 100 },
    })
    assert.equal(created.status, 201)
    const bound = await post('/api/v1/schemas/bindings', {
      subject: 'line.temp',
      filter: 'acme/test/+/temp',
      policy: 'reject',
    })
    assert.equal(bound.status, 201)
    const plc = await svc.connect('plc-reject')
    await plc.publishAsync('acme/test/bad/temp', '{"value": 250}', { qos: 1 })
    await plc.publishAsync('acme/test/good/temp', '{"value": 21.5}', { qos: 1 })

    const dead = await recordOf(topics.dlq, 'acme/test/bad/temp')
    assert.ok(dead, 'the rejected payload is in the DLQ')
    assert.equal(dead.value?.toString(), '{"value": 250}', 'original payload bytes')
    assert.equal(dead.headers.schema, 'line.temp')
    assert.equal(dead.headers['schema-version'], '1')
    assert.equal(dead.headers.source, 'plc-reject')
    assert.deepEqual(JSON.parse(dead.headers['validation-errors'] ?? '[]'), [
      { instancePath: '', message: 'must be <= 100' },
    ])
    const good = await recordOf(topics.telemetry, 'acme/test/good/temp')
    assert.ok(good, 'the valid payload is in telemetry')
    assert.equal(good.headers.schema, 'line.temp@1')
    assert.equal(hasValue('acme/test/good/temp'), true)
    assert.equal(hasValue('acme/test/bad/temp'), false, 'not in the tree')
    const telemetry = await readTopic(topics.telemetry, 10_000, 3000)
    assert.equal(telemetry.filter((r) => r.key === 'acme/test/bad/temp').length, 0, 'not in telemetry')
  })

  test('under warn an invalid payload passes, flagged with a header and counted in /metrics', async () => {
    await post('/api/v1/schemas/line.speed/versions', { schema: { type: 'integer' } })
    const bound = await post('/api/v1/schemas/bindings', {
      subject: 'line.speed',
      prefix: 'acme/test/warned',
      policy: 'warn',
    })
    assert.equal(bound.status, 201)
    const plc = await svc.connect('plc-warn')
    await plc.publishAsync('acme/test/warned/speed', '{"value": 1.5}', { qos: 1 })
    const rec = await recordOf(topics.telemetry, 'acme/test/warned/speed')
    assert.ok(rec, 'passed into telemetry')
    assert.deepEqual(JSON.parse(rec.headers['validation-warning'] ?? '[]'), [
      { instancePath: '', message: 'must be integer' },
    ])
    assert.equal(hasValue('acme/test/warned/speed'), true)
    const metrics = await (await api('/metrics')).text()
    assert.match(metrics, /uns_ingest_events_total\{result="warned",reason="schema"\} [1-9]/)
  })

  test('a model field violation (filler temperature out of range) is caught under modelPolicy reject', async () => {
    const plc = await svc.connect('filler-plc')
    await plc.publishAsync(FILLER_TEMP, '{"value": 130}', { qos: 1 })
    const dead = await recordOf(topics.dlq, FILLER_TEMP)
    assert.ok(dead)
    assert.equal(dead.headers.schema, 'model.Filler')
    assert.equal(dead.headers['schema-version'], '2')
    assert.equal(dead.headers['error-code'], 'UNS_ERR_REGISTRY_VALIDATION_FAILED')
    assert.equal(
      dead.headers['error-reason'],
      'value does not match schema model.Filler version 2: (value) must be <= 95',
    )
    assert.deepEqual(JSON.parse(dead.headers['validation-errors'] ?? '[]'), [
      { instancePath: '', message: 'must be <= 95' },
    ])
    assert.equal(hasValue(FILLER_TEMP), false)
    await plc.publishAsync(FILLER_TEMP, '{"value": 71}', { qos: 1 })
    await eventually(() => (hasValue(FILLER_TEMP) ? true : undefined))
    const versions = (await (await api('/api/v1/schemas/model.Filler/versions')).json()) as number[]
    assert.deepEqual(versions, [1, 2])
  })

  test('the Confluent client registers and fetches a JSON schema on the service HTTP port', async () => {
    const client = () =>
      new SchemaRegistry(
        { host: svc.httpUrl, clientId: 'itest' },
        { [SchemaType.JSON]: { ajvInstance: new Ajv2020({ strict: false }) as never } },
      )
    const schema = { type: 'object', properties: { rpm: { type: 'number' } }, additionalProperties: false }
    const { id } = await client().register(
      { type: SchemaType.JSON, schema: JSON.stringify(schema) },
      { subject: 'motor-value' },
    )
    const fresh = client()
    assert.deepEqual(await fresh.decode(await client().encode(id, { rpm: 1500 })), { rpm: 1500 })
    assert.equal(await fresh.getLatestSchemaId('motor-value'), id)
  })

  test('schemas and bindings survive a restart: restored from the registry topic', async () => {
    await svc.close()
    svc = await startService(env())
    await ready()
    const versions = await (await api('/api/v1/schemas/line.temp/versions')).json()
    assert.deepEqual(versions, [1])
    const bindings = (await (await api('/api/v1/schemas/bindings')).json()) as { id: string }[]
    assert.deepEqual(bindings.map((b) => b.id).sort(), ['path:acme/test/warned', 'topic:acme/test/+/temp'])
    // Model subjects are not registered twice.
    assert.deepEqual(await (await api('/api/v1/schemas/model.Filler/versions')).json(), [1, 2])
    const verdict = svc.service.registry.check({ path: 'acme/test/x/temp', value: 500 })
    assert.equal(verdict.verdict, 'reject')
  })
})

describe('the schema registry while Kafka is unreachable', () => {
  test('the service starts, is not ready, and a registry write gets 503 with a clear reason', async () => {
    const svc = await startService({
      UNS_KAFKA_BROKERS: '127.0.0.1:1',
      UNS_KAFKA_CONNECT_TIMEOUT_MS: '200',
      // A long backoff so that close() falls between the bridge's reconnect attempts: a close during an
      // attempt leaves the bridge producer retrying (reported to the bridge owner).
      UNS_KAFKA_RECONNECT_INITIAL_MS: '60000',
      UNS_KAFKA_RECONNECT_MAX_MS: '60000',
    })
    try {
      await eventually(() => (svc.service.health().kafka.state === 'disconnected' ? true : undefined))
      const ready = await fetch(`${svc.httpUrl}/health/ready`)
      assert.equal(ready.status, 503)
      const report = (await ready.json()) as { registry: { state: string; ready: boolean } }
      assert.deepEqual([report.registry.state, report.registry.ready], ['restoring', false])
      const res = await fetch(`${svc.httpUrl}/api/v1/schemas/t/versions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ schema: { type: 'number' } }),
      })
      assert.equal(res.status, 503)
      assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/)
      const problem = (await res.json()) as { code: string; detail: string }
      assert.equal(problem.code, 'UNS_ERR_REGISTRY_STORE_UNAVAILABLE')
      assert.match(problem.detail, /still being restored from Kafka/)
      // Reads still work: the built-ins and the model subjects are served meanwhile.
      assert.equal((await fetch(`${svc.httpUrl}/api/v1/schemas/model.Filler/versions`)).status, 200)
    } finally {
      await svc.close()
    }
  })
})
