import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createMemoryStore, createRegistry, UNS_ENVELOPE_SUBJECT } from '../../src/registry/index.js'

async function setup() {
  const registry = await createRegistry({ store: createMemoryStore() })
  for (const s of ['broad', 'site', 'line', 'plus', 'exact', 'model', 'model2']) {
    await registry.register(s, { type: 'number', title: s })
  }
  return registry
}

describe('binding resolution (most specific wins)', () => {
  test('more literal levels beat fewer; an exact topic beats wildcards', async () => {
    const r = await setup()
    await r.bind({ subject: 'broad', policy: 'warn', topicFilter: 'acme/#' })
    await r.bind({ subject: 'site', policy: 'warn', pathPrefix: 'acme/berlin' })
    await r.bind({ subject: 'line', policy: 'warn', topicFilter: 'acme/berlin/packaging/+/filler/#' })
    await r.bind({
      subject: 'exact',
      policy: 'warn',
      topicFilter: 'acme/berlin/packaging/line-1/filler/temp',
    })
    assert.equal(r.resolveBinding('acme/hamburg/x')?.subject, 'broad')
    assert.equal(r.resolveBinding('acme/berlin')?.subject, 'site')
    assert.equal(r.resolveBinding('acme/berlin/packaging/line-2/filler/temp')?.subject, 'line')
    assert.equal(r.resolveBinding('acme/berlin/packaging/line-1/filler/temp')?.subject, 'exact')
    assert.equal(r.resolveBinding('other/site'), undefined)
  })

  test('with equal literal levels, no # beats #, fewer + beats more, and a later first wildcard wins', async () => {
    const r = await setup()
    await r.bind({ subject: 'broad', policy: 'warn', topicFilter: 'a/b/#' })
    await r.bind({ subject: 'plus', policy: 'warn', topicFilter: 'a/b/+' })
    assert.equal(r.resolveBinding('a/b/c')?.subject, 'plus')
    await r.bind({ subject: 'site', policy: 'warn', topicFilter: '+/b/c' })
    await r.bind({ subject: 'line', policy: 'warn', topicFilter: 'a/+/c' })
    assert.equal(r.resolveBinding('x/b/c')?.subject, 'site')
    // a/b/+ (2 literals) vs +/b/c and a/+/c (2 literals, 1 plus each): a/b/+ has its wildcard last.
    assert.equal(r.resolveBinding('a/b/c')?.subject, 'plus')
    assert.equal(r.resolveBinding('a/z/c')?.subject, 'line')
  })

  test('a model binding beats any path binding; an exact model@version beats the bare model name', async () => {
    const r = await setup()
    await r.bind({ subject: 'exact', policy: 'warn', topicFilter: 'acme/line/filler' })
    await r.bind({ subject: 'model', policy: 'warn', model: 'Filler' })
    await r.bind({ subject: 'model2', policy: 'warn', model: 'Filler@2' })
    assert.equal(r.resolveBinding('acme/line/filler')?.subject, 'exact')
    assert.equal(r.resolveBinding('acme/line/filler', 'Filler@1')?.subject, 'model')
    assert.equal(r.resolveBinding('acme/line/filler', 'Filler@2')?.subject, 'model2')
    assert.equal(r.resolveBinding('acme/line/filler', 'Capper@1')?.subject, 'exact')
  })

  test('wildcards follow MQTT: # matches the parent level, + one level, and neither matches $ topics', async () => {
    const r = await setup()
    await r.bind({ subject: 'broad', policy: 'warn', topicFilter: '#' })
    await r.bind({ subject: 'line', policy: 'warn', topicFilter: 'a/#' })
    assert.equal(r.resolveBinding('a')?.subject, 'line')
    assert.equal(r.resolveBinding('$SYS/broker/load'), undefined)
    await r.bind({ subject: 'plus', policy: 'warn', topicFilter: 'x/+' })
    assert.equal(r.resolveBinding('x/y/z')?.subject, 'broad')
  })

  test('rebinding, unbinding and a later, more specific binding all take effect at once despite the cache', async () => {
    const r = await setup()
    await r.bind({ subject: 'broad', policy: 'warn', topicFilter: 'a/#' })
    assert.equal(r.resolveBinding('a/b')?.subject, 'broad')
    await r.bind({ subject: 'site', policy: 'warn', topicFilter: 'a/b' })
    assert.equal(r.resolveBinding('a/b')?.subject, 'site')
    await r.bind({ id: 'topic:a/b', subject: 'line', policy: 'reject', topicFilter: 'a/b' })
    assert.equal(r.resolveBinding('a/b')?.subject, 'line')
    assert.equal(await r.unbind('topic:a/b'), true)
    assert.equal(await r.unbind('topic:a/b'), false)
    assert.equal(r.resolveBinding('a/b')?.subject, 'broad')
    assert.deepEqual(
      r.listBindings().map((b) => b.id),
      ['topic:a/#'],
    )
  })

  test('invalid bindings are refused with coded errors', async () => {
    const r = await setup()
    const invalid = { code: 'UNS_ERR_REGISTRY_BINDING_INVALID', statusCode: 400 }
    await assert.rejects(r.bind({ subject: 'broad', policy: 'warn', topicFilter: 'a/#/b' }), invalid)
    await assert.rejects(r.bind({ subject: 'broad', policy: 'warn', topicFilter: 'a/b+' }), invalid)
    await assert.rejects(r.bind({ subject: 'broad', policy: 'warn', pathPrefix: 'a/+' }), invalid)
    await assert.rejects(r.bind({ subject: 'broad', policy: 'drop' as never, model: 'M' }), invalid)
    await assert.rejects(r.bind({ subject: 'broad', policy: 'warn', model: 'M', pathPrefix: 'a' }), invalid)
    await assert.rejects(r.bind({ subject: 'ghost', policy: 'warn', model: 'M' }), {
      code: 'UNS_ERR_REGISTRY_SUBJECT_NOT_FOUND',
    })
    await assert.rejects(r.bind({ subject: 'broad', version: 7, policy: 'warn', model: 'M' }), {
      code: 'UNS_ERR_REGISTRY_VERSION_NOT_FOUND',
    })
  })
})

describe('check: policy to verdict', () => {
  const event = { path: 'plant/line/temp', timestamp: 1764072000000, quality: 'good' }

  test('reject refuses an invalid value with the subject, version and errors, and accepts a valid one', async () => {
    const r = await setup()
    await r.bind({ subject: 'site', policy: 'reject', pathPrefix: 'plant' })
    assert.deepEqual(r.check({ ...event, value: 21.5 }), {
      verdict: 'accept',
      subject: 'site',
      version: 1,
      policy: 'reject',
      errors: [],
    })
    assert.deepEqual(r.check({ ...event, value: 'hot' }), {
      verdict: 'reject',
      subject: 'site',
      version: 1,
      policy: 'reject',
      errors: [{ instancePath: '', message: 'must be number' }],
    })
  })

  test('warn passes an invalid value flagged as warn; off accepts without validating', async () => {
    const r = await setup()
    await r.bind({ subject: 'site', policy: 'warn', pathPrefix: 'plant' })
    const warned = r.check({ ...event, value: 'hot' })
    assert.equal(warned.verdict, 'warn')
    assert.equal(warned.errors.length, 1)
    await r.bind({ subject: 'line', policy: 'off', pathPrefix: 'plant/line' })
    const before = r.stats().compiledValidators
    assert.equal(r.check({ ...event, value: 'hot' }).verdict, 'accept')
    assert.equal(r.stats().compiledValidators, before)
  })

  test('an unbound path is accepted without a subject', async () => {
    const r = await setup()
    assert.deepEqual(r.check({ ...event, value: 'anything' }), { verdict: 'accept', errors: [] })
  })

  test('a pinned version keeps validating against that version after the subject evolves', async () => {
    const r = await createRegistry(
      { store: createMemoryStore() },
      { defaultCompatibility: 'NONE', builtins: false },
    )
    await r.register('v', { type: 'integer' })
    await r.bind({ subject: 'v', version: 1, policy: 'reject', pathPrefix: 'pinned' })
    await r.bind({ subject: 'v', policy: 'reject', pathPrefix: 'floating' })
    await r.register('v', { type: 'string' })
    assert.equal(r.check({ path: 'pinned/x', value: 5 }).verdict, 'accept')
    assert.equal(r.check({ path: 'floating/x', value: 5 }).verdict, 'reject')
    assert.equal(r.check({ path: 'floating/x', value: 'five' }).version, 2)
  })

  test('an envelope binding validates timestamp and quality, and 64-bit values as decimal strings', async () => {
    const r = await setup()
    await r.bind({ subject: UNS_ENVELOPE_SUBJECT, policy: 'reject', target: 'envelope', topicFilter: '#' })
    assert.equal(r.check({ ...event, value: 2n ** 63n - 1n, datatype: 'Int64' }).verdict, 'accept')
    const bad = r.check({ ...event, quality: 'excellent', value: 1 })
    assert.equal(bad.verdict, 'reject')
    assert.deepEqual(bad.errors, [
      { instancePath: '/quality', message: 'must be one of ["good","uncertain","bad","stale"]' },
    ])
    const noTime = r.check({ path: 'a', value: 1, quality: 'good' })
    assert.deepEqual(noTime.errors, [
      { instancePath: '', message: "must have required property 'timestamp'" },
    ])
  })

  test('a value binding sees bigint as a decimal string and bytes as base64', async () => {
    const r = await createRegistry({ store: createMemoryStore() }, { builtins: false })
    await r.register('big', {
      type: 'object',
      properties: {
        count: { type: 'string', pattern: '^[0-9]+$' },
        raw: { type: 'string', contentEncoding: 'base64' },
      },
    })
    await r.bind({ subject: 'big', policy: 'reject', pathPrefix: 'p' })
    const value = { count: 18446744073709551615n, raw: new Uint8Array([1, 2, 3]) }
    assert.equal(r.check({ path: 'p/q', value }).verdict, 'accept')
    assert.equal(r.check({ path: 'p/q', value: { count: -1n } }).verdict, 'reject')
  })
})
