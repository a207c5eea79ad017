import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { checkCompatibility } from '../../src/registry/compatibility.js'
import type { Compatibility } from '../../src/registry/index.js'

// Compares `candidate` with `history` (oldest first, versions 1..n) and returns the reason messages.
function reasons(level: Compatibility, history: unknown[], candidate: unknown): string[] {
  const previous = history.map((schema, i) => ({ version: i + 1, schema }))
  const result = checkCompatibility(level, candidate, previous)
  assert.equal(result.compatible, result.reasons.length === 0)
  return result.reasons.map((r) => r.message)
}

const obj = (properties: Record<string, unknown>, extra: Record<string, unknown> = {}) => ({
  type: 'object',
  properties,
  ...extra,
})
const closed = { additionalProperties: false }

describe('compatibility of JSON Schema changes', () => {
  test('an optional property added to a closed object is BACKWARD but not FORWARD compatible', () => {
    const v1 = obj({ temp: { type: 'number' } }, closed)
    const v2 = obj({ temp: { type: 'number' }, unit: { type: 'string' } }, closed)
    assert.deepEqual(reasons('BACKWARD', [v1], v2), [])
    assert.deepEqual(reasons('FORWARD', [v1], v2), [
      '/properties/unit: property added to closed content model (against version 1)',
    ])
  })

  test('an optional property added to an open object breaks BACKWARD, because old data may hold any value there', () => {
    const v1 = obj({ temp: { type: 'number' } })
    const v2 = obj({ temp: { type: 'number' }, speed: { type: 'number' } })
    assert.deepEqual(reasons('BACKWARD', [v1], v2), [
      '/properties/speed: property added to open content model (against version 1)',
    ])
    assert.deepEqual(reasons('FORWARD', [v1], v2), [])
  })

  test('a required property added breaks BACKWARD and names the property', () => {
    const v1 = obj({ temp: { type: 'number' } }, closed)
    const v2 = obj(
      { temp: { type: 'number' }, speed: { type: 'number' } },
      { ...closed, required: ['speed'] },
    )
    assert.deepEqual(reasons('BACKWARD', [v1], v2), [
      '/properties/speed: required property added (against version 1)',
    ])
  })

  test('making an existing property required breaks BACKWARD, making it optional breaks FORWARD', () => {
    const optional = obj({ temp: { type: 'number' } })
    const required = obj({ temp: { type: 'number' } }, { required: ['temp'] })
    assert.deepEqual(reasons('BACKWARD', [optional], required), [
      '/properties/temp: property made required (against version 1)',
    ])
    assert.deepEqual(reasons('FORWARD', [required], optional), [
      '/properties/temp: property made optional (against version 1)',
    ])
  })

  test('a property removed from a closed object breaks BACKWARD; from an open object only FORWARD', () => {
    const props = { temp: { type: 'number' }, unit: { type: 'string' } }
    assert.deepEqual(reasons('BACKWARD', [obj(props, closed)], obj({ temp: { type: 'number' } }, closed)), [
      '/properties/unit: property removed from closed content model (against version 1)',
    ])
    assert.deepEqual(reasons('BACKWARD', [obj(props)], obj({ temp: { type: 'number' } })), [])
    assert.deepEqual(reasons('FORWARD', [obj(props)], obj({ temp: { type: 'number' } })), [
      '/properties/unit: property removed from open content model (against version 1)',
    ])
  })

  test('a type narrowed from number to integer breaks BACKWARD but keeps FORWARD', () => {
    const v1 = obj({ speed: { type: 'number' } })
    const v2 = obj({ speed: { type: 'integer' } })
    assert.deepEqual(reasons('BACKWARD', [v1], v2), [
      '/properties/speed: type narrowed from number to integer (against version 1)',
    ])
    assert.deepEqual(reasons('FORWARD', [v1], v2), [])
  })

  test('a type widened from integer to number keeps BACKWARD but breaks FORWARD', () => {
    const v1 = obj({ count: { type: 'integer' } })
    const v2 = obj({ count: { type: ['number', 'null'] } })
    assert.deepEqual(reasons('BACKWARD', [v1], v2), [])
    assert.deepEqual(reasons('FORWARD', [v1], v2), [
      '/properties/count: type widened from integer to number|null (against version 1)',
    ])
  })

  test('a type changed from string to number breaks both directions, and FULL lists it once', () => {
    const v1 = obj({ id: { type: 'string', maxLength: 10 } })
    const v2 = obj({ id: { type: 'number' } })
    const expected = ['/properties/id: type changed from string to number (against version 1)']
    assert.deepEqual(reasons('BACKWARD', [v1], v2), expected)
    assert.deepEqual(reasons('FORWARD', [v1], v2), expected)
    assert.deepEqual(reasons('FULL', [v1], v2), expected)
  })

  test('an enum value removed breaks BACKWARD and names the value', () => {
    const v1 = obj({ mode: { enum: ['auto', 'manual'] } })
    const v2 = obj({ mode: { enum: ['manual'] } })
    assert.deepEqual(reasons('BACKWARD', [v1], v2), [
      "/properties/mode/enum: value 'auto' removed (against version 1)",
    ])
  })

  test('an enum value added keeps BACKWARD but breaks FORWARD', () => {
    const v1 = obj({ mode: { type: 'string', enum: ['auto', 'manual'] } })
    const v2 = obj({ mode: { type: 'string', enum: ['auto', 'manual', 'eco'] } })
    assert.deepEqual(reasons('BACKWARD', [v1], v2), [])
    assert.deepEqual(reasons('FORWARD', [v1], v2), [
      "/properties/mode/enum: value 'eco' added (against version 1)",
    ])
  })

  test('closing an object with additionalProperties false breaks BACKWARD, opening it breaks FORWARD', () => {
    const open = obj({ temp: { type: 'number' } })
    const shut = obj({ temp: { type: 'number' } }, closed)
    assert.deepEqual(reasons('BACKWARD', [open], shut), [
      '/additionalProperties: additionalProperties set to false (content model closed) (against version 1)',
    ])
    assert.deepEqual(reasons('BACKWARD', [shut], open), [])
    assert.deepEqual(reasons('FORWARD', [shut], open), [
      '/additionalProperties: additionalProperties no longer false (content model opened) (against version 1)',
    ])
  })

  test('BACKWARD_TRANSITIVE refuses a change that only the older version forbids; BACKWARD lets it through', () => {
    // v1 → v2 was registered under NONE (auto dropped); v3 adds eco: fine for v2, still drops auto for v1.
    const v1 = obj({ mode: { enum: ['auto', 'manual'] } })
    const v2 = obj({ mode: { enum: ['manual'] } })
    const v3 = obj({ mode: { enum: ['manual', 'eco'] } })
    assert.deepEqual(reasons('BACKWARD', [v1, v2], v3), [])
    assert.deepEqual(reasons('BACKWARD_TRANSITIVE', [v1, v2], v3), [
      "/properties/mode/enum: value 'auto' removed (against version 1)",
    ])
  })

  test('FORWARD_TRANSITIVE checks that every older schema can read the new data', () => {
    const v1 = obj({ level: { type: 'integer' } })
    const v2 = obj({ level: { type: 'number' } })
    const v3 = obj({ level: { type: 'number', minimum: 0 } })
    assert.deepEqual(reasons('FORWARD', [v1, v2], v3), [])
    assert.deepEqual(reasons('FORWARD_TRANSITIVE', [v1, v2], v3), [
      '/properties/level: type widened from integer to number (against version 1)',
    ])
  })

  test('NONE accepts any change', () => {
    assert.deepEqual(reasons('NONE', [obj({ a: { type: 'string' } })], { type: 'array' }), [])
  })

  test('FULL refuses a change that is only BACKWARD compatible and accepts annotation-only edits', () => {
    const v1 = obj({ temp: { type: 'number', description: 'degC' } }, closed)
    const v2 = obj({ temp: { type: 'number', description: 'degrees Celsius', title: 'T' } }, closed)
    const v3 = obj({ temp: { type: 'number' }, unit: { type: 'string' } }, closed)
    assert.deepEqual(reasons('FULL', [v1], v2), [])
    assert.deepEqual(reasons('FULL', [v2], v3), [
      '/properties/unit: property added to closed content model (against version 1)',
    ])
  })

  test('FULL_TRANSITIVE reports the reasons against every older version, newest first', () => {
    const v1 = obj({ a: { type: 'string', maxLength: 64 } })
    const v2 = obj({ a: { type: 'string', maxLength: 64 } })
    const v3 = obj({ a: { type: 'string', maxLength: 32 } })
    assert.deepEqual(reasons('FULL_TRANSITIVE', [v1, v2], v3), [
      '/properties/a: maxLength decreased from 64 to 32 (against version 2)',
      '/properties/a: maxLength decreased from 64 to 32 (against version 1)',
    ])
  })

  test('changes inside nested objects and behind $ref are reported at their path', () => {
    const v1 = {
      $defs: { rpm: { type: 'number' } },
      type: 'object',
      properties: { motor: { type: 'object', properties: { rpm: { $ref: '#/$defs/rpm' } } } },
    }
    const v2 = structuredClone(v1)
    v2.$defs.rpm.type = 'integer'
    assert.deepEqual(reasons('BACKWARD', [v1], v2), [
      '/properties/motor/properties/rpm: type narrowed from number to integer (against version 1)',
    ])
  })

  test('a raised minimum and an added pattern break BACKWARD; a recursive $ref terminates', () => {
    const tree = (min: number, pattern?: string) => ({
      $defs: {
        node: {
          type: 'object',
          properties: {
            name: { type: 'string', ...(pattern && { pattern }) },
            weight: { type: 'number', minimum: min },
            children: { type: 'array', items: { $ref: '#/$defs/node' } },
          },
        },
      },
      $ref: '#/$defs/node',
    })
    assert.deepEqual(reasons('BACKWARD', [tree(0)], tree(5, '^[a-z]+$')), [
      "/properties/name: pattern '^[a-z]+$' added (against version 1)",
      '/properties/weight: minimum increased from 0 to 5 (against version 1)',
    ])
  })

  test('anyOf alternatives added widen (BACKWARD) and oneOf edits are refused both ways', () => {
    const a = { anyOf: [{ type: 'string' }, { type: 'number' }] }
    const b = { anyOf: [{ type: 'string' }, { type: 'number' }, { type: 'null' }] }
    assert.deepEqual(reasons('BACKWARD', [a], b), [])
    assert.deepEqual(reasons('FORWARD', [a], b), ['/anyOf: alternative added (against version 1)'])
    const c = { oneOf: [{ type: 'string' }] }
    const d = { oneOf: [{ type: 'string' }, { type: 'number' }] }
    assert.deepEqual(reasons('BACKWARD', [c], d), ['/oneOf: oneOf alternatives changed (against version 1)'])
  })

  test('multipleOf, uniqueItems, format and not are judged by whether they add or remove constraints', () => {
    const v1 = { type: 'array', items: { type: 'number', multipleOf: 0.5 } }
    const v2 = { type: 'array', uniqueItems: true, items: { type: 'number', multipleOf: 1 } }
    assert.deepEqual(reasons('BACKWARD', [v1], v2), [
      '/: uniqueItems added (against version 1)',
      '/items: multipleOf changed from 0.5 to 1 (against version 1)',
    ])
    assert.deepEqual(reasons('BACKWARD', [v2], v1), [])
    const s1 = { type: 'string', format: 'date-time' }
    const s2 = { type: 'string', not: { const: '' } }
    assert.deepEqual(reasons('FULL', [s1], s2), [
      "/: format 'date-time' removed (against version 1)",
      '/not: not added (against version 1)',
    ])
  })
})
