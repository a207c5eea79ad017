import assert from 'node:assert/strict'
import { test } from 'node:test'
import { UnsError } from '../../src/errors.js'
import { findModelVersion, loadNamespace } from '../../src/namespace/index.js'

const FIX = 'test/fixtures/namespace'

async function loadError(dir: string): Promise<UnsError> {
  const err: unknown = await loadNamespace(dir).then(
    () => undefined,
    (e: unknown) => e,
  )
  assert.ok(err instanceof UnsError, `expected an UnsError from ${dir}, got ${String(err)}`)
  return err
}

test('loads the demo namespace from several files, merged', async () => {
  const def = await loadNamespace('namespace')
  assert.deepEqual(def.levels, ['enterprise', 'site', 'area', 'line', 'cell', 'equipment'])
  assert.equal(def.files.length, 5)
  const paths = new Set(def.nodes.map((n) => n.path))
  for (const p of ['acme', 'acme/berlin', 'acme/austin', 'acme/berlin/packaging/line-1/filler'])
    assert.ok(paths.has(p), p)
  const filler = findModelVersion(def, { name: 'Filler', version: 2 })
  assert.ok(filler)
  const setpoint = filler.fields.find((f) => f.name === 'speedSetpoint')
  assert.deepEqual(
    { writable: setpoint?.writable, unit: setpoint?.unit, range: setpoint?.range },
    { writable: true, unit: 'bottles/min', range: { min: 0, max: 1200 } },
  )
  // Defaults: class telemetry, not writable.
  assert.deepEqual(
    filler.fields.find((f) => f.name === 'pressure'),
    {
      name: 'pressure',
      type: 'number',
      unit: 'bar',
      range: { min: 0, max: 10 },
      class: 'telemetry',
      writable: false,
    },
  )
  const node = def.nodes.find((n) => n.path === 'acme/berlin')
  assert.deepEqual(node?.attributes, { timezone: 'Europe/Berlin' })
  assert.deepEqual(node?.source, { file: 'namespace/10-berlin.yaml', line: 3 })
  assert.equal(def.sparkplug.mappings.length, 2)
})

const broken: { dir: string; code: string; file: string; line: number; path: string; reason: string }[] = [
  {
    dir: 'yaml-syntax',
    code: 'UNS_ERR_NAMESPACE_YAML_SYNTAX',
    file: 'plant.yaml',
    line: 6,
    path: 'document',
    reason: 'Map keys must be unique',
  },
  {
    dir: 'schema-invalid',
    code: 'UNS_ERR_NAMESPACE_FILE_INVALID',
    file: 'models.yaml',
    line: 10,
    path: 'models.Pump.versions[0].fields.pressure.class',
    reason:
      'must be one of telemetry, state, event, alarm, counter, order, command, config, got "measurement"',
  },
  {
    dir: 'unknown-model',
    code: 'UNS_ERR_NAMESPACE_MODEL_UNKNOWN',
    file: 'nodes.yaml',
    line: 6,
    path: 'nodes[1].model',
    reason: 'unknown model Pump@2: declared versions are Pump@1',
  },
  {
    dir: 'duplicate-node',
    code: 'UNS_ERR_NAMESPACE_NODE_DUPLICATE',
    file: 'b-more.yaml',
    line: 6,
    path: 'nodes[1]',
    reason: `node path acme/berlin/packaging is already declared in ${FIX}/duplicate-node/a-berlin.yaml:4`,
  },
  {
    dir: 'not-add-only',
    code: 'UNS_ERR_NAMESPACE_MODEL_NOT_ADD_ONLY',
    file: 'models.yaml',
    line: 10,
    path: 'models.Oven.versions[1].fields.temperature',
    reason:
      'Oven@2 changes field "temperature" of Oven@1 (unit "degC" -> "degF"); models are add-only: keep it unchanged and add new fields, or declare a new model',
  },
  {
    dir: 'level-mismatch',
    code: 'UNS_ERR_NAMESPACE_LEVEL_MISMATCH',
    file: 'nodes.yaml',
    line: 6,
    path: 'nodes[1].level',
    reason: 'level "line" is level 4, but path acme/berlin/packaging has 3 levels (expected level "area")',
  },
  {
    dir: 'model-cycle',
    code: 'UNS_ERR_NAMESPACE_MODEL_CYCLE',
    file: 'models.yaml',
    line: 12,
    path: 'models.Gearbox.versions[0].fields.drive.model',
    reason: 'sub-model cycle Motor@1 -> Gearbox@1 -> Motor@1; a model cannot contain itself',
  },
  {
    dir: 'sparkplug-path',
    code: 'UNS_ERR_NAMESPACE_FILE_INVALID',
    file: 'sparkplug.yaml',
    line: 5,
    path: 'sparkplug.mappings[0].path',
    reason:
      'must be a UNS path without wildcards (+ #) that does not start with / or $, got "acme/berlin/+/line-1"',
  },
]

for (const b of broken) {
  test(`rejects the ${b.dir} fixture naming file, line ${b.line}, ${b.path} and the reason`, async () => {
    const err = await loadError(`${FIX}/${b.dir}`)
    const file = `${FIX}/${b.dir}/${b.file}`
    assert.equal(err.code, b.code)
    const prefix = b.code === 'UNS_ERR_NAMESPACE_YAML_SYNTAX' ? 'YAML syntax error: ' : ''
    assert.equal(err.message, `${file}:${b.line} at ${b.path}: ${prefix}${b.reason}`)
    assert.deepEqual(
      { file: err.details.file, line: err.details.line, path: err.details.path, reason: err.details.reason },
      { file, line: b.line, path: b.path, reason: b.reason },
    )
  })
}

test('reports every problem of a run at once, not only the first', async () => {
  const err = await loadError(`${FIX}/missing-path`)
  const file = `${FIX}/missing-path/nodes.yaml`
  assert.equal(err.code, 'UNS_ERR_NAMESPACE_FILE_INVALID')
  assert.equal(
    err.message,
    `${file}:2 at nodes[0]: missing required property "path"\n(1 more: \n  ${file}:5 at nodes[1].levle: unknown property "levle" (allowed: path, level, model, displayName, attributes))`,
  )
  assert.equal((err.details.problems as unknown[]).length, 2)
})

test('says when the folder is missing or holds no namespace files', async () => {
  const missing = await loadError(`${FIX}/does-not-exist`)
  assert.equal(missing.code, 'UNS_ERR_NAMESPACE_FILE_UNREADABLE')
  assert.match(
    missing.message,
    /^Cannot read namespace file test\/fixtures\/namespace\/does-not-exist: ENOENT/,
  )
  const empty = await loadError('test/namespace')
  assert.equal(empty.code, 'UNS_ERR_NAMESPACE_DIR_EMPTY')
})
