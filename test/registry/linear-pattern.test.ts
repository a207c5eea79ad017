// Schema `pattern` and `patternProperties` run in linear time (issue 12): a catastrophic-backtracking
// pattern registered through the API cannot stall the process on a long hostile string.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createMemoryStore, createRegistry } from '../../src/registry/index.js'
import { createMemoryLog } from '../../src/registry/memory-store.js'

const fresh = () =>
  createRegistry(
    { store: createMemoryStore({ log: createMemoryLog() }), clock: () => 1000 },
    { builtins: false },
  )
// V8's backtracking engine needs about 2^n steps for `^(a+)+$` on n a's and a non-matching end.
const hostile = 'a'.repeat(50_000) + '!'
const BOUND_MS = 5000 // generous for a loaded machine; the measured time is printed

describe('linear-time schema patterns', () => {
  test('^(a+)+$ against a 50,000-character hostile string is answered correctly and at once', async (t) => {
    const registry = await fresh()
    await registry.register('redos', { type: 'string', pattern: '^(a+)+$' })
    const started = performance.now()
    const bad = registry.validate('redos', 'latest', hostile)
    const good = registry.validate('redos', 'latest', 'a'.repeat(50_000))
    const ms = performance.now() - started
    t.diagnostic(`pattern: 2 validations of 50,000 characters took ${ms.toFixed(1)} ms`)
    assert.equal(bad.ok, false)
    assert.match(bad.ok ? '' : (bad.errors[0]?.message ?? ''), /must match pattern/)
    assert.equal(good.ok, true)
    assert.ok(ms < BOUND_MS, `${ms} ms`)
  })

  test('patternProperties with the same pattern on a 50,000-character key is answered at once', async (t) => {
    const registry = await fresh()
    await registry.register('redos-keys', {
      type: 'object',
      patternProperties: { '^(a+)+$': { type: 'integer' } },
    })
    const started = performance.now()
    const hostileKey = registry.validate('redos-keys', 'latest', {
      [hostile]: 'not checked: the key does not match',
    })
    const matchingKey = registry.validate('redos-keys', 'latest', { aaaa: 'x' })
    const ms = performance.now() - started
    t.diagnostic(`patternProperties: 2 validations took ${ms.toFixed(1)} ms`)
    assert.equal(hostileKey.ok, true)
    assert.deepEqual(matchingKey.ok ? [] : matchingKey.errors, [
      { instancePath: '/aaaa', message: 'must be integer' },
    ])
    assert.ok(ms < BOUND_MS, `${ms} ms`)
  })

  test('ordinary patterns keep their ECMAScript meaning (escapes, classes, unicode, anchors)', async () => {
    const registry = await fresh()
    const cases: [string, string, boolean][] = [
      ['^[A-Z]{2}-\\d{4}$', 'AB-1234', true],
      ['^[A-Z]{2}-\\d{4}$', 'AB-12345', false],
      ['\\u00e9', 'café', true],
      ['^.$', '😀', true],
      ['^\\/api\\/', '/api/x', true],
      ['^(?<unit>[a-z]+)$', 'bar', true],
      ['line', 'packaging/line1', true],
    ]
    for (const [i, [pattern, value, expected]] of cases.entries()) {
      await registry.register(`p${i}`, { type: 'string', pattern })
      assert.equal(registry.validate(`p${i}`, 'latest', value).ok, expected, `${pattern} on ${value}`)
    }
  })

  test('a pattern that cannot run in linear time (lookahead, backreference) is refused with the reason', async () => {
    const registry = await fresh()
    for (const pattern of ['^(?=.*\\d)\\w+$', '^(a)\\1$']) {
      await assert.rejects(
        registry.register('bad', { type: 'string', pattern }),
        (err: Error & { code?: string }) => {
          assert.equal(err.code, 'UNS_ERR_REGISTRY_SCHEMA_INVALID')
          assert.match(err.message, /cannot be run in linear time/)
          return true
        },
      )
    }
  })
})
