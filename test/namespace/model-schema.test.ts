import assert from 'node:assert/strict'
import { test } from 'node:test'
import { Ajv2020 } from 'ajv/dist/2020.js'
import { loadNamespace, modelSchema } from '../../src/namespace/index.js'
import { MODEL_SCHEMA_KEYWORDS, modelSchemaId } from '../../src/namespace/model-schema.js'

const def = await loadNamespace('namespace')
const ajv = new Ajv2020({ strict: true, allowUnionTypes: true })
ajv.addVocabulary([...MODEL_SCHEMA_KEYWORDS])

test('turns a model version into a draft 2020-12 schema with units, ranges and sub-models', () => {
  const s = modelSchema(def, 'Filler', 1)
  assert.equal(s.$schema, 'https://json-schema.org/draft/2020-12/schema')
  assert.equal(s.$id, 'urn:uns-bridge:model:Filler:1')
  const props = s.properties as Record<string, Record<string, unknown>>
  assert.deepEqual(props.temperature, {
    type: 'number',
    minimum: 0,
    maximum: 95,
    description: 'Product temperature at the filling valves',
    'x-uns-unit': 'degC',
    'x-uns-class': 'telemetry',
    readOnly: true,
  })
  // Writable setpoints are not readOnly.
  assert.equal(props.speedSetpoint?.readOnly, undefined)
  assert.deepEqual(props.motor, { $ref: '#/$defs/Motor@1', 'x-uns-class': 'telemetry', readOnly: true })
  assert.ok((s.$defs as Record<string, unknown>)['Motor@1'])
  // Version 2 adds the alarm field, version 1 does not know it.
  assert.equal(props.fillLevelLow, undefined)
  assert.ok((modelSchema(def, 'Filler', 2).properties as Record<string, unknown>).fillLevelLow)
})

test('validates values with Ajv: range, enum, sub-model and 64-bit integers as decimal strings', () => {
  const validate = ajv.compile(modelSchema(def, 'Filler', 2))
  const good = {
    temperature: 21.5,
    state: 'running',
    bottleCount: '18446744073709551615',
    motor: { speed: 1450, running: true },
    fillLevelLow: false,
  }
  assert.equal(validate(good), true, JSON.stringify(validate.errors))
  assert.equal(validate({ temperature: 120 }), false)
  assert.equal(validate.errors?.[0]?.instancePath, '/temperature')
  assert.equal(validate({ state: 'exploded' }), false)
  assert.equal(validate({ motor: { speed: -5 } }), false)
  assert.equal(validate.errors?.[0]?.instancePath, '/motor/speed')
  assert.equal(validate({ bottleCount: 1.5 }), false)
  assert.equal(validate({ unknownField: 1 }), false)
})

test('one tag is validated through the property of its model schema', () => {
  const id = modelSchemaId({ name: 'EnergyMeter', version: 1 })
  ajv.addSchema(modelSchema(def, 'EnergyMeter', 1))
  const tag = ajv.getSchema(`${id}#/properties/powerFactor`)
  assert.ok(tag)
  assert.equal(tag(0.93), true)
  assert.equal(tag(1.2), false)
})

test('throws a RangeError for a model that is not declared', () => {
  assert.throws(() => modelSchema(def, 'Filler', 9), RangeError)
})
