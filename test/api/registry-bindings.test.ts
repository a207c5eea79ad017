import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Registry as MetricsRegistry } from 'prom-client'
import { buildApi } from '../../src/api/index.js'
import { createLogger } from '../../src/logger.js'
import { createDeferredRegistry, createMemoryStore, createRegistry } from '../../src/registry/index.js'

async function build() {
  const registry = await createRegistry({ store: createMemoryStore() })
  await registry.register('temp', { type: 'number' })
  const app = await buildApi({
    logger: createLogger('silent'),
    health: () => ({ ready: true, mqtt: { listening: true, clients: 0 }, kafka: { state: 'disabled' } }),
    metricsRegistry: new MetricsRegistry(),
    handleMqttStream: () => {},
    schemaRegistry: registry,
  })
  return { app, registry }
}

describe('REST for schema bindings under /api/v1/schemas/bindings', () => {
  test('creates a binding by topic filter, lists it, and it takes effect on check()', async () => {
    const { app, registry } = await build()
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/schemas/bindings',
      payload: { subject: 'temp', filter: 'acme/+/temp', policy: 'reject' },
    })
    assert.equal(created.statusCode, 201)
    const expected = {
      id: 'topic:acme/+/temp',
      subject: 'temp',
      version: 'latest',
      policy: 'reject',
      target: 'value',
      filter: 'acme/+/temp',
    }
    assert.deepEqual(created.json(), expected)
    assert.deepEqual((await app.inject({ url: '/api/v1/schemas/bindings' })).json(), [expected])
    assert.equal(registry.check({ path: 'acme/berlin/temp', value: 'hot' }).verdict, 'reject')
  })

  test('binds by subtree and by model with a pinned version and envelope target', async () => {
    const { app } = await build()
    const bySubtree = await app.inject({
      method: 'POST',
      url: '/api/v1/schemas/bindings',
      payload: { subject: 'temp', version: 1, prefix: 'acme/berlin', policy: 'warn' },
    })
    assert.equal(bySubtree.json().id, 'path:acme/berlin')
    assert.equal(bySubtree.json().version, 1)
    const byModel = await app.inject({
      method: 'POST',
      url: '/api/v1/schemas/bindings',
      payload: { subject: 'uns.envelope', model: 'Filler@2', policy: 'off', target: 'envelope' },
    })
    assert.equal(byModel.statusCode, 201)
    assert.equal(byModel.json().model, 'Filler@2')
    assert.equal(byModel.json().target, 'envelope')
  })

  test('deletes a binding by its URL-encoded id, then 404 with problem+json', async () => {
    const { app, registry } = await build()
    await app.inject({
      method: 'POST',
      url: '/api/v1/schemas/bindings',
      payload: { subject: 'temp', filter: 'acme/+/temp', policy: 'reject' },
    })
    const url = `/api/v1/schemas/bindings/${encodeURIComponent('topic:acme/+/temp')}`
    const deleted = await app.inject({ method: 'DELETE', url })
    assert.equal(deleted.statusCode, 204)
    assert.deepEqual(registry.listBindings(), [])
    const again = await app.inject({ method: 'DELETE', url })
    assert.equal(again.statusCode, 404)
    assert.match(String(again.headers['content-type']), /application\/problem\+json/)
    assert.equal(again.json().code, 'UNS_ERR_REGISTRY_BINDING_NOT_FOUND')
  })

  test('refuses a binding with two matches, a bad policy, a bad filter or an unknown subject', async () => {
    const { app } = await build()
    const post = (payload: object) => app.inject({ method: 'POST', url: '/api/v1/schemas/bindings', payload })
    const two = await post({ subject: 'temp', filter: 'a/#', model: 'Filler', policy: 'warn' })
    assert.equal(two.statusCode, 400)
    assert.equal(two.json().code, 'UNS_ERR_REGISTRY_BINDING_INVALID')
    assert.match(two.json().detail, /exactly one of filter, prefix, model/)
    const policy = await post({ subject: 'temp', filter: 'a/#', policy: 'drop' })
    assert.equal(policy.statusCode, 400)
    assert.match(String(policy.headers['content-type']), /application\/problem\+json/)
    const filter = await post({ subject: 'temp', filter: 'a/#/b', policy: 'warn' })
    assert.equal(filter.statusCode, 400)
    assert.equal(filter.json().code, 'UNS_ERR_REGISTRY_BINDING_INVALID')
    const unknown = await post({ subject: 'nope', filter: 'a/#', policy: 'warn' })
    assert.equal(unknown.statusCode, 404)
    assert.equal(unknown.json().code, 'UNS_ERR_REGISTRY_SUBJECT_NOT_FOUND')
  })
})

describe('registry writes while the registry topic is not open', () => {
  test('are a 503 problem+json with the reason and Retry-After', async () => {
    const interim = await createRegistry({ store: createMemoryStore() })
    const deferred = createDeferredRegistry(interim, 'uns.schemas')
    const app = await buildApi({
      logger: createLogger('silent'),
      health: () => ({ ready: false, mqtt: { listening: true, clients: 0 }, kafka: { state: 'connecting' } }),
      metricsRegistry: new MetricsRegistry(),
      handleMqttStream: () => {},
      schemaRegistry: deferred.registry,
    })
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/schemas/bindings',
      payload: { subject: 'uns.envelope', filter: 'a/#', policy: 'warn' },
    })
    assert.equal(res.statusCode, 503)
    assert.equal(res.headers['retry-after'], '5')
    assert.match(String(res.headers['content-type']), /application\/problem\+json/)
    assert.equal(res.json().code, 'UNS_ERR_REGISTRY_STORE_UNAVAILABLE')
    assert.match(res.json().detail, /uns\.schemas.*still being restored from Kafka/)
    // Reads are served meanwhile.
    assert.equal((await app.inject({ url: '/api/v1/schemas/uns.envelope/versions' })).statusCode, 200)
  })
})
