import assert from 'node:assert/strict'
import { test } from 'node:test'
import { createSparkplugMapper, loadNamespace } from '../../src/namespace/index.js'

const def = await loadNamespace('namespace')
const mapper = createSparkplugMapper(def.sparkplug)

function path(id: Parameters<typeof mapper.toUnsPath>[0]): string {
  const r = mapper.toUnsPath(id)
  assert.ok(r.ok, r.ok ? '' : r.error.message)
  return r.value.text
}

test('maps a mapped device and renames its metrics onto the model fields', () => {
  const id = { group: 'acme-berlin', edge: 'plc-packaging-1', device: 'filler-1' }
  assert.equal(path({ ...id, metric: 'Temperature' }), 'acme/berlin/packaging/line-1/filler/temperature')
  assert.equal(path({ ...id, metric: 'Motor/Speed' }), 'acme/berlin/packaging/line-1/filler/motor/speed')
  // A metric without a rename keeps its name below the mapped path.
  assert.equal(path({ ...id, metric: 'state' }), 'acme/berlin/packaging/line-1/filler/state')
})

test('maps an edge node mapping for node metrics and each of its devices', () => {
  const id = { group: 'acme-austin', edge: 'plc-assembly-1' }
  assert.equal(path({ ...id, metric: 'oee' }), 'acme/austin/assembly/line-1/oee')
  assert.equal(
    path({ ...id, device: 'press-1', metric: 'force' }),
    'acme/austin/assembly/line-1/press-1/force',
  )
})

test('falls back to {group}/{edge}/{device}/{metric} and drops the device level for node metrics', () => {
  assert.equal(
    path({ group: 'g', edge: 'e', device: 'd', metric: 'Node Control/Rebirth' }),
    'g/e/d/Node Control/Rebirth',
  )
  assert.equal(path({ group: 'g', edge: 'e', metric: 'bdSeq' }), 'g/e/bdSeq')
  const custom = createSparkplugMapper({
    pathTemplate: 'sparkplug/{group}/{edge}/{device}/{metric}',
    mappings: [],
  })
  const r = custom.toUnsPath({ group: 'g', edge: 'e', metric: 'm' })
  assert.ok(r.ok && r.value.text === 'sparkplug/g/e/m')
})

test('returns a coded error for a metric name that cannot be a UNS path', () => {
  const r = mapper.toUnsPath({ group: 'g', edge: 'e', device: 'd', metric: 'a//b' })
  assert.equal(r.ok, false)
  if (r.ok) return
  assert.equal(r.error.code, 'UNS_ERR_NAMESPACE_SPARKPLUG_UNMAPPABLE')
  assert.equal(
    r.error.message,
    'Sparkplug metric g/e/d/a//b cannot be mapped onto a UNS path: Invalid UNS path "g/e/d/a//b": level 5 is empty (leading, trailing or double slash)',
  )
})
