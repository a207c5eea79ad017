import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createLogger } from '../../src/logger.js'
import { loadNamespace } from '../../src/namespace/index.js'
import { createServiceRegistry } from '../../src/registry/index.js'

const definition = await loadNamespace('namespace')
const logger = createLogger('silent')
const unreachable = {
  brokers: ['127.0.0.1:1'],
  clientId: 'test',
  connectTimeoutMs: 200,
  requestTimeoutMs: 500,
  ssl: false,
  topic: 'uns.schemas',
  restoreTimeoutMs: 1000,
  reconnectInitialMs: 50,
  reconnectMaxMs: 200,
}

describe('the registry as the service runs it', () => {
  test('without Kafka it lives in memory, is ready at once and takes writes', async () => {
    const s = await createServiceRegistry({ logger, definition }, { modelPolicy: 'reject' })
    assert.deepEqual(s.health(), { state: 'memory', ready: true })
    assert.deepEqual(s.registry.listVersions('model.Filler'), [1, 2])
    assert.equal((await s.registry.register('t', { type: 'number' })).version, 1)
    await s.close()
    assert.equal(s.health().ready, false)
  })

  test('with Kafka unreachable it starts at once on the interim registry, not ready, refusing writes with 503', async () => {
    const started = Date.now()
    const s = await createServiceRegistry(
      { logger, definition },
      { modelPolicy: 'reject', kafka: unreachable },
    )
    assert.ok(Date.now() - started < 1000, 'start does not wait for Kafka')
    assert.equal(s.health().state, 'restoring')
    assert.equal(s.health().ready, false)
    // Reads and checks work: model subjects and their validation are there from the start.
    assert.deepEqual(s.registry.listVersions('model.Filler'), [1, 2])
    const verdict = s.registry.check({ path: 'acme/berlin/packaging/line-1/filler/temperature', value: 500 })
    assert.equal(verdict.verdict, 'reject')
    await assert.rejects(
      s.registry.register('t', { type: 'number' }),
      (err: Error & Record<string, unknown>) => {
        assert.equal(err['code'], 'UNS_ERR_REGISTRY_STORE_UNAVAILABLE')
        assert.equal(err['statusCode'], 503)
        assert.match(err.message, /uns\.schemas.*still being restored from Kafka/)
        return true
      },
    )
    // It keeps retrying in the background and reports why.
    const deadline = Date.now() + 10_000
    while ((s.health().attempts ?? 0) < 2 && Date.now() < deadline)
      await new Promise((r) => setTimeout(r, 50))
    assert.ok((s.health().attempts ?? 0) >= 2, 'retried')
    assert.ok(s.health().lastError, 'reports the last error')
    const closing = Date.now()
    await s.close()
    assert.ok(Date.now() - closing < 3000, 'close does not wait for Kafka timeouts')
    assert.equal(s.health().state, 'closed')
  })
})
