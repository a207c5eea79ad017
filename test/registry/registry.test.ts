import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { UnsError } from '../../src/errors.js'
import { createMemoryStore, createRegistry, UNS_ENVELOPE_SUBJECT } from '../../src/registry/index.js'
import { createMemoryLog } from '../../src/registry/memory-store.js'
import { recordKey, type RegistryRecord } from '../../src/registry/store.js'

const temp = { type: 'object', properties: { temp: { type: 'number' } }, additionalProperties: false }
const tempUnit = {
  type: 'object',
  properties: { temp: { type: 'number' }, unit: { type: 'string' } },
  additionalProperties: false,
}

async function fresh(config = {}) {
  const log = createMemoryLog()
  const registry = await createRegistry(
    { store: createMemoryStore({ log }), clock: () => 1000 },
    { builtins: false, ...config },
  )
  return { log, registry }
}

describe('subjects, versions and ids', () => {
  test('versions are numbered from 1 per subject and ids are global', async () => {
    const { registry } = await fresh()
    const a1 = await registry.register('a', temp)
    const a2 = await registry.register('a', tempUnit)
    const b1 = await registry.register('b', { type: 'string' })
    assert.deepEqual([a1.version, a2.version, b1.version], [1, 2, 1])
    assert.deepEqual([a1.id, a2.id, b1.id], [1, 2, 3])
    assert.deepEqual(registry.listSubjects(), ['a', 'b'])
    assert.deepEqual(registry.listVersions('a'), [1, 2])
    assert.equal(registry.getVersion('a', 'latest').id, 2)
    assert.deepEqual(JSON.parse(registry.getVersion('a', '1').schema), temp)
    assert.equal(registry.getVersion('a', -1).version, 2)
  })

  test('the same schema under another subject reuses its id, even written with other key order and spacing', async () => {
    const { registry } = await fresh()
    const a = await registry.register('a', temp)
    const reordered = `{ "additionalProperties": false, "properties": { "temp": { "type": "number" } }, "type": "object" }`
    const b = await registry.register('b', reordered)
    assert.equal(b.id, a.id)
    assert.equal(b.version, 1)
    assert.deepEqual(registry.subjectsOfId(a.id), [
      { subject: 'a', version: 1 },
      { subject: 'b', version: 1 },
    ])
    // Stored in canonical form: keys sorted, no whitespace.
    assert.deepEqual(registry.getSchemaById(a.id), {
      id: a.id,
      schemaType: 'JSON',
      schema: '{"additionalProperties":false,"properties":{"temp":{"type":"number"}},"type":"object"}',
    })
  })

  test('registering a version that already exists returns it and appends nothing', async () => {
    const { registry, log } = await fresh()
    const first = await registry.register('a', temp)
    const count = log.records.length
    const again = await registry.register('a', JSON.stringify(temp))
    assert.deepEqual(again, first)
    assert.equal(log.records.length, count)
    assert.deepEqual(registry.lookup('a', temp), first)
    assert.equal(registry.lookup('a', tempUnit), undefined)
  })

  test('an incompatible schema is refused with a 409 coded error listing the reasons, and nothing is stored', async () => {
    const { registry, log } = await fresh()
    await registry.register('speed', { type: 'object', properties: { speed: { type: 'number' } } })
    const count = log.records.length
    await assert.rejects(
      registry.register('speed', {
        type: 'object',
        properties: { speed: { type: 'integer' } },
        required: ['speed'],
      }),
      (err: unknown) => {
        assert.ok(err instanceof UnsError)
        assert.equal(err.code, 'UNS_ERR_REGISTRY_INCOMPATIBLE')
        assert.equal(err.statusCode, 409)
        const reasons = (err.details['reasons'] as { message: string }[]).map((r) => r.message)
        assert.deepEqual(reasons, [
          '/properties/speed: type narrowed from number to integer (against version 1)',
          '/properties/speed: property made required (against version 1)',
        ])
        assert.match(err.message, /type narrowed from number to integer/)
        return true
      },
    )
    assert.equal(log.records.length, count)
    assert.deepEqual(registry.listVersions('speed'), [1])
  })

  test('bad input is refused with coded errors, never a crash', async () => {
    const { registry } = await fresh()
    await assert.rejects(registry.register('a', '{not json'), {
      code: 'UNS_ERR_REGISTRY_SCHEMA_INVALID',
      statusCode: 422,
    })
    await assert.rejects(registry.register('a', { type: 'nonsense' }), {
      code: 'UNS_ERR_REGISTRY_SCHEMA_INVALID',
    })
    await assert.rejects(registry.register('a', { $ref: '#/$defs/missing' }), {
      code: 'UNS_ERR_REGISTRY_SCHEMA_INVALID',
    })
    await assert.rejects(registry.register('a', temp, { schemaType: 'AVRO' }), /only JSON/)
    await assert.rejects(registry.register('', temp), { code: 'UNS_ERR_REGISTRY_SUBJECT_INVALID' })
    assert.throws(() => registry.listVersions('nope'), {
      code: 'UNS_ERR_REGISTRY_SUBJECT_NOT_FOUND',
      statusCode: 404,
    })
    await registry.register('a', temp)
    assert.throws(() => registry.getVersion('a', 9), { code: 'UNS_ERR_REGISTRY_VERSION_NOT_FOUND' })
    assert.throws(() => registry.getVersion('a', 'first'), { code: 'UNS_ERR_REGISTRY_VERSION_INVALID' })
    assert.throws(() => registry.getSchemaById(99), { code: 'UNS_ERR_REGISTRY_SCHEMA_NOT_FOUND' })
    await assert.rejects(registry.setCompatibility('a', 'SIDEWAYS' as never), {
      code: 'UNS_ERR_REGISTRY_COMPATIBILITY_INVALID',
    })
  })
})

describe('compatibility configuration', () => {
  test('a subject level overrides the global default, and clearing it falls back', async () => {
    const { registry } = await fresh()
    assert.equal(registry.getCompatibility('a'), 'BACKWARD')
    await registry.setCompatibility(null, 'FULL')
    assert.equal(registry.getCompatibility('a'), 'FULL')
    await registry.setCompatibility('a', 'NONE')
    assert.equal(registry.getCompatibility('a'), 'NONE')
    assert.equal(registry.getOwnCompatibility('a'), 'NONE')
    assert.equal(await registry.setCompatibility('a', null), 'FULL')
    assert.equal(registry.getOwnCompatibility('a'), undefined)
  })

  test('under NONE an incompatible version is accepted; under FORWARD a widened type is refused', async () => {
    const { registry } = await fresh({ defaultCompatibility: 'FORWARD' })
    await registry.register('n', { type: 'integer' })
    await assert.rejects(registry.register('n', { type: 'number' }), /type widened from integer to number/)
    await registry.setCompatibility('n', 'NONE')
    assert.equal((await registry.register('n', { type: 'string' })).version, 2)
  })

  test('testCompatibility answers without registering', async () => {
    const { registry } = await fresh()
    await registry.register('a', temp)
    const result = registry.testCompatibility('a', { type: 'string' }, 'latest')
    assert.equal(result.compatible, false)
    assert.equal(result.reasons[0]?.message, '/: type changed from object to string (against version 1)')
    assert.equal(registry.testCompatibility('a', tempUnit).compatible, true)
    assert.deepEqual(registry.listVersions('a'), [1])
  })
})

describe('validation', () => {
  test('validate returns ok, or the instance path and message of the error, without throwing', async () => {
    const { registry } = await fresh()
    await registry.register('a', temp)
    assert.deepEqual(registry.validate('a', 'latest', { temp: 21.5 }), { ok: true })
    assert.deepEqual(registry.validate('a', 1, { temp: 'hot' }), {
      ok: false,
      errors: [{ instancePath: '/temp', message: 'must be number' }],
    })
    assert.deepEqual(registry.validate('a', 1, { temp: 1, x: 2 }), {
      ok: false,
      errors: [{ instancePath: '', message: "must NOT have additional property 'x'" }],
    })
    const missing = registry.validate('nope', 'latest', {})
    assert.equal(missing.ok, false)
    assert.equal(!missing.ok && missing.code, 'UNS_ERR_REGISTRY_SUBJECT_NOT_FOUND')
    const noVersion = registry.validate('a', 3, {})
    assert.equal(!noVersion.ok && noVersion.code, 'UNS_ERR_REGISTRY_VERSION_NOT_FOUND')
  })

  test('each schema is compiled once, however many values are validated, and versions sharing an id share it', async () => {
    const { registry } = await fresh()
    await registry.register('a', temp)
    await registry.register('b', temp)
    const before = registry.stats().compiledValidators
    for (let i = 0; i < 1000; i++) registry.validate(i % 2 ? 'a' : 'b', 'latest', { temp: i })
    assert.equal(registry.stats().compiledValidators - before, 1)
    await registry.register('a', tempUnit)
    for (let i = 0; i < 100; i++) registry.validate('a', 'latest', { temp: i, unit: 'C' })
    assert.equal(registry.stats().compiledValidators - before, 2)
  })

  test('versions that share a $id compile side by side and keep their own rules', async () => {
    const { registry } = await fresh({ defaultCompatibility: 'NONE' })
    await registry.register('m', { $id: 'https://acme.example/m.json', type: 'string' })
    await registry.register('m', { $id: 'https://acme.example/m.json', type: 'number' })
    assert.equal(registry.validate('m', 1, 'x').ok, true)
    assert.equal(registry.validate('m', 2, 'x').ok, false)
    assert.equal(registry.validate('m', 2, 3).ok, true)
  })

  test('the built-in UNS envelope is registered at start and checks value, timestamp, quality and datatype', async () => {
    const registry = await createRegistry({ store: createMemoryStore() })
    assert.deepEqual(registry.listSubjects(), [UNS_ENVELOPE_SUBJECT])
    const ok = { value: 21.5, timestamp: 1764072000000, quality: 'good', datatype: 'Float' }
    assert.deepEqual(registry.validate(UNS_ENVELOPE_SUBJECT, 'latest', ok), { ok: true })
    const bad = registry.validate(UNS_ENVELOPE_SUBJECT, 'latest', { ...ok, quality: 'fine' })
    assert.deepEqual(!bad.ok && bad.errors, [
      { instancePath: '/quality', message: 'must be one of ["good","uncertain","bad","stale"]' },
    ])
    assert.equal(
      registry.validate(UNS_ENVELOPE_SUBJECT, 'latest', { value: 1, timestamp: 1.5, quality: 'good' }).ok,
      false,
    )
    assert.equal(registry.validate(UNS_ENVELOPE_SUBJECT, 'latest', { value: 1 }).ok, false)
  })
})

describe('persistence', () => {
  test('a registry restored from the store has the same subjects, ids, levels and bindings, and continues numbering', async () => {
    const log = createMemoryLog()
    const first = await createRegistry({ store: createMemoryStore({ log }) })
    await first.register('a', temp)
    await first.register('a', tempUnit)
    await first.setCompatibility('a', 'FULL')
    await first.setCompatibility(null, 'FORWARD')
    await first.bind({ subject: 'a', policy: 'reject', pathPrefix: 'acme/berlin' })
    await first.close()

    const second = await createRegistry({ store: createMemoryStore({ log }) })
    assert.deepEqual(second.listSubjects(), ['a', UNS_ENVELOPE_SUBJECT])
    assert.deepEqual(second.getVersion('a', 2), first.getVersion('a', 2))
    assert.equal(second.getCompatibility('a'), 'FULL')
    assert.equal(second.getCompatibility(), 'FORWARD')
    assert.equal(second.resolveBinding('acme/berlin/line-1')?.subject, 'a')
    const b = await second.register('b', { type: 'boolean' })
    assert.equal(b.id, 4)
    // The restart registered nothing twice (the envelope is already in the log).
    assert.equal(log.records.filter((r) => r.type === 'schema').length, 4)
  })

  test('records carry compaction keys per subject version, config and binding', async () => {
    const { registry, log } = await fresh()
    await registry.register('a/b', temp)
    await registry.setCompatibility('a/b', 'NONE')
    await registry.setCompatibility(null, 'FULL')
    await registry.bind({ subject: 'a/b', policy: 'warn', model: 'Filler' })
    assert.deepEqual(log.records.map(recordKey), [
      'schema/a/b/1',
      'config/a/b',
      'config',
      'binding/model:Filler',
    ])
  })

  test('two instances on one log see each other’s registrations', async () => {
    const log = createMemoryLog()
    const one = await createRegistry({ store: createMemoryStore({ log }) }, { builtins: false })
    const two = await createRegistry({ store: createMemoryStore({ log }) }, { builtins: false })
    await one.register('shared', temp)
    assert.deepEqual(two.listVersions('shared'), [1])
    assert.equal((await two.register('shared', tempUnit)).version, 2)
    assert.deepEqual(one.listVersions('shared'), [1, 2])
  })

  test('a conflicting record for an existing version is ignored and logged', async () => {
    const log = createMemoryLog()
    const warnings: object[] = []
    const logger = {
      info() {},
      debug() {},
      warn: (obj: object) => warnings.push(obj),
      child() {
        return logger
      },
    }
    const record = (schema: string): RegistryRecord => ({
      type: 'schema',
      subject: 's',
      version: 1,
      id: 1,
      schemaType: 'JSON',
      schema,
      registeredAt: 1,
    })
    log.records.push(record('{"type":"string"}'), record('{"type":"number"}'))
    const registry = await createRegistry({ store: createMemoryStore({ log }), logger }, { builtins: false })
    assert.equal(registry.getVersion('s', 1).schema, '{"type":"string"}')
    assert.equal(warnings.length, 1)
  })

  test('writes after close are refused with a coded error', async () => {
    const { registry } = await fresh()
    await registry.close()
    await registry.close()
    await assert.rejects(registry.register('a', temp), { code: 'UNS_ERR_REGISTRY_CLOSED' })
  })
})
