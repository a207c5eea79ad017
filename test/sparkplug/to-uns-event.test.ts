import assert from 'node:assert/strict'
import { test } from 'node:test'
import { toUnsEvent } from '../../src/sparkplug/to-uns-event.js'
import type { MetricUpdate } from '../../src/sparkplug/host-types.js'

function update(properties: MetricUpdate['properties'], extra: Partial<MetricUpdate> = {}): MetricUpdate {
  return {
    group: 'G1',
    edge: 'E1',
    device: 'D1',
    metric: 'Temp',
    value: 21.5,
    datatype: 'Float',
    timestamp: 1764072000000,
    quality: 'good',
    historical: false,
    transient: false,
    properties,
    source: 'G1/E1/D1',
    cause: 'birth',
    ...extra,
  }
}

test('a metric with an engUnit property becomes an event with that unit', () => {
  const e = toUnsEvent(update({ engUnit: 'degC', engLow: 0 }), 'acme/temp', 'uns-1')
  assert.deepEqual(e, {
    path: 'acme/temp',
    value: 21.5,
    timestamp: 1764072000000,
    quality: 'good',
    datatype: 'Float',
    unit: 'degC',
    source: 'G1/E1/D1',
    origin: 'uns-1',
  })
})

test('a metric without properties, or with an empty or non-text engUnit, gets no unit', () => {
  assert.equal('unit' in toUnsEvent(update(undefined), 'a/b', 'u'), false)
  assert.equal('unit' in toUnsEvent(update({ Quality: 192 }), 'a/b', 'u'), false)
  assert.equal('unit' in toUnsEvent(update({ engUnit: '' }), 'a/b', 'u'), false)
  assert.equal('unit' in toUnsEvent(update({ engUnit: 5 }), 'a/b', 'u'), false)
})

test('a transient metric keeps its unit next to the transient flag', () => {
  const e = toUnsEvent(update({ engUnit: 'rpm' }, { transient: true, cause: 'data' }), 'a/b', 'u')
  assert.equal(e.unit, 'rpm')
  assert.equal(e.transient, true)
})
