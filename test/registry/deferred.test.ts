import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createDeferredRegistry, createMemoryStore, createRegistry } from '../../src/registry/index.js'

describe('the deferred registry', () => {
  test('serves the interim registry and refuses every write until settled', async () => {
    const interim = await createRegistry({ store: createMemoryStore() })
    const { registry, persistent } = createDeferredRegistry(interim, 'uns.schemas')
    assert.equal(persistent, false)
    assert.deepEqual(registry.listSubjects(), ['uns.envelope'])
    const writes = [
      registry.register('t', true),
      registry.setCompatibility(null, 'NONE'),
      registry.bind({ subject: 'uns.envelope', policy: 'warn', topicFilter: '#' }),
      registry.unbind('x'),
    ]
    for (const w of writes) {
      await assert.rejects(w, {
        code: 'UNS_ERR_REGISTRY_STORE_UNAVAILABLE',
        statusCode: 503,
        retriable: true,
      })
    }
    assert.deepEqual(interim.listSubjects(), ['uns.envelope'], 'nothing reached the interim registry')
  })

  test('after settle the same reference reads and writes the persistent registry, and the interim one is closed', async () => {
    const interim = await createRegistry({ store: createMemoryStore() })
    const deferred = createDeferredRegistry(interim, 'uns.schemas')
    const { registry } = deferred
    const next = await createRegistry({ store: createMemoryStore() }, { builtins: false })
    await next.register('restored', { type: 'number' })
    await deferred.settle(next)
    assert.equal(deferred.persistent, true)
    assert.deepEqual(registry.listSubjects(), ['restored'])
    assert.equal((await registry.register('later', true)).version, 1)
    assert.deepEqual(next.listSubjects(), ['later', 'restored'])
    await registry.bind({ subject: 'restored', policy: 'reject', topicFilter: 'a/#' })
    assert.equal(registry.check({ path: 'a/b', value: 'x' }).verdict, 'reject')
    await assert.rejects(interim.register('x', true), { code: 'UNS_ERR_REGISTRY_CLOSED' })
  })
})
