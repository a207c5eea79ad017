import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { loadNamespace } from '../../src/namespace/index.js'
import { createMemoryStore, createRegistry } from '../../src/registry/index.js'
import { createMemoryLog } from '../../src/registry/memory-store.js'
import type { BindingPolicy } from '../../src/registry/types.js'

const definition = await loadNamespace('namespace')
const FILLER = 'acme/berlin/packaging/line-1/filler'

const withModels = (policy: BindingPolicy, store = createMemoryStore()) =>
  createRegistry({ store }, { models: { definition, policy } })
const at = (path: string, value: unknown) => ({ path, value, timestamp: 1, quality: 'good' })

describe('namespace models in the registry', () => {
  test('registers every model version in order as subject model.<Name>', async () => {
    const registry = await withModels('warn')
    assert.deepEqual(registry.listVersions('model.Filler'), [1, 2])
    assert.deepEqual(registry.listVersions('model.Motor'), [1])
    const v2 = JSON.parse(registry.getVersion('model.Filler', 2).schema) as {
      properties: Record<string, unknown>
    }
    assert.ok('fillLevelLow' in v2.properties, 'version 2 carries the field it added')
    assert.ok(registry.listSubjects().includes('uns.envelope'))
  })

  test('a second start on the same log adds no versions (registration is idempotent)', async () => {
    const log = createMemoryLog()
    await withModels('warn', createMemoryStore({ log }))
    const again = await withModels('warn', createMemoryStore({ log }))
    assert.deepEqual(again.listVersions('model.Filler'), [1, 2])
  })

  test('under reject, a tag value out of its field range is rejected naming model.Filler and its version', async () => {
    const registry = await withModels('reject')
    const result = registry.check(at(`${FILLER}/temperature`, 120))
    assert.equal(result.verdict, 'reject')
    assert.equal(result.subject, 'model.Filler')
    assert.equal(result.version, 2)
    assert.deepEqual(result.errors, [{ instancePath: '', message: 'must be <= 95' }])
  })

  test('a valid tag value is accepted and still names the schema that checked it', async () => {
    const registry = await withModels('reject')
    const result = registry.check(at(`${FILLER}/temperature`, 72.5))
    assert.equal(result.verdict, 'accept')
    assert.equal(result.subject, 'model.Filler')
    assert.equal(result.version, 2)
    assert.equal(registry.check(at(`${FILLER}/state`, 'running')).verdict, 'accept')
    assert.equal(registry.check(at(`${FILLER}/state`, 'dancing')).verdict, 'reject')
  })

  test('fields of a sub-model are checked against that model (Motor below the filler)', async () => {
    const registry = await withModels('reject')
    const result = registry.check(at(`${FILLER}/motor/speed`, 5000))
    assert.equal(result.verdict, 'reject')
    assert.equal(result.subject, 'model.Motor')
    assert.equal(result.version, 1)
  })

  test('warn flags an invalid value without rejecting it; off does not check', async () => {
    const warn = await withModels('warn')
    const warned = warn.check(at(`${FILLER}/temperature`, 'hot'))
    assert.equal(warned.verdict, 'warn')
    assert.match(warned.errors[0]?.message ?? '', /must be number/)
    const off = await withModels('off')
    assert.equal(off.check(at(`${FILLER}/temperature`, 'hot')).verdict, 'accept')
  })

  test('paths that are not declared tags are not checked by the model policy', async () => {
    const registry = await withModels('reject')
    assert.deepEqual(registry.check(at('acme/berlin/unknown/thing', 'anything')), {
      verdict: 'accept',
      errors: [],
    })
  })

  test('an explicit binding takes precedence over the model field, by subtree or by model', async () => {
    const registry = await withModels('reject')
    await registry.register('hot-filler', { type: 'number', maximum: 200 })
    await registry.bind({ subject: 'hot-filler', policy: 'warn', pathPrefix: FILLER })
    const bySubtree = registry.check(at(`${FILLER}/temperature`, 120))
    assert.equal(bySubtree.verdict, 'accept')
    assert.equal(bySubtree.subject, 'hot-filler')
    await registry.register('any-filler', true)
    await registry.bind({ subject: 'any-filler', policy: 'reject', model: 'Filler' })
    assert.equal(registry.check(at(`${FILLER}/temperature`, 'x')).subject, 'any-filler')
    // Without the bindings the model field applies again.
    await registry.unbind('model:Filler')
    await registry.unbind(`path:${FILLER}`)
    assert.equal(registry.check(at(`${FILLER}/temperature`, 120)).subject, 'model.Filler')
  })

  test('each field schema is compiled once, not per message', async () => {
    const registry = await withModels('reject')
    registry.check(at(`${FILLER}/temperature`, 1))
    const compiled = registry.stats().compiledValidators
    for (let i = 0; i < 1000; i++) registry.check(at(`${FILLER}/temperature`, i % 200))
    assert.equal(registry.stats().compiledValidators, compiled)
  })
})
