import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { fieldValueProblem, type FieldConstraints } from '../../src/namespace/index.js'

describe('a written value against its model field (type, range, enum)', () => {
  const setpoint: FieldConstraints = { type: 'number', range: { min: 0, max: 1200 } }

  test('refuses a value above the maximum or below the minimum, and says which bound', () => {
    assert.equal(fieldValueProblem(setpoint, 5000), "5000 is above the model's maximum 1200")
    assert.equal(fieldValueProblem(setpoint, -1), "-1 is below the model's minimum 0")
    assert.equal(fieldValueProblem(setpoint, 1200), undefined)
    assert.equal(fieldValueProblem(setpoint, 0), undefined)
  })

  test('refuses a value of another type', () => {
    assert.equal(fieldValueProblem(setpoint, '800'), '"800" is not a number')
    assert.equal(fieldValueProblem({ type: 'integer' }, 1.5), '1.5 is not an integer')
    assert.equal(fieldValueProblem({ type: 'boolean' }, 1), '1 is not a boolean')
    assert.equal(fieldValueProblem({ type: 'string' }, true), 'true is not a string')
    assert.equal(fieldValueProblem({ type: 'datetime' }, -5), '-5 is not a datetime')
    assert.equal(fieldValueProblem({ type: 'json' }, { any: ['thing'] }), undefined)
    assert.equal(fieldValueProblem({}, null), undefined)
  })

  test('compares 64-bit integers exactly, as bigint or decimal string', () => {
    const counter: FieldConstraints = { type: 'integer', range: { max: 9007199254740992 } }
    assert.equal(fieldValueProblem(counter, 9007199254740992n), undefined)
    assert.match(fieldValueProblem(counter, 9007199254740993n) ?? '', /above the model's maximum/)
    assert.match(fieldValueProblem(counter, '9007199254740993') ?? '', /above the model's maximum/)
    assert.equal(fieldValueProblem(counter, '12'), undefined)
    assert.equal(fieldValueProblem(counter, '12a'), '"12a" is not an integer')
  })

  test('refuses a value outside the enum', () => {
    const state: FieldConstraints = { type: 'string', enum: ['idle', 'running'] }
    assert.equal(fieldValueProblem(state, 'running'), undefined)
    assert.equal(
      fieldValueProblem(state, 'exploded'),
      `"exploded" is not one of the model's values ["idle","running"]`,
    )
    assert.equal(fieldValueProblem({ type: 'integer', enum: [1, 2] }, 2n), undefined)
    assert.match(fieldValueProblem({ type: 'integer', enum: [1, 2] }, 3n) ?? '', /not one of/)
  })
})
