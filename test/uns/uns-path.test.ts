import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseUnsPath } from '../../src/uns/index.js'

test('accepts an ISA-95 path and splits it into levels', () => {
  const r = parseUnsPath('acme/berlin/packaging/line-1/filler/temperature')
  assert.ok(r.ok)
  assert.equal(r.value.text, 'acme/berlin/packaging/line-1/filler/temperature')
  assert.deepEqual(r.value.levels, ['acme', 'berlin', 'packaging', 'line-1', 'filler', 'temperature'])
  assert.ok(Object.isFrozen(r.value))
})

const rejected: [string, string][] = [
  ['', 'the path is empty'],
  ['acme/+/temp', 'wildcards + and # are not allowed in a path'],
  ['acme/#', 'wildcards + and # are not allowed in a path'],
  ['$SYS/broker/uptime', 'paths starting with $ are reserved for the broker'],
  ['spBv1.0/acme/NDATA/plc1', 'spBv1.0/... is a Sparkplug topic, not a UNS path'],
  ['/acme/berlin', 'level 1 is empty (leading, trailing or double slash)'],
  ['acme//berlin', 'level 2 is empty (leading, trailing or double slash)'],
  ['acme/berlin/', 'level 3 is empty (leading, trailing or double slash)'],
  ['acme/\u0000', 'the NUL character is not allowed'],
]

for (const [topic, reason] of rejected) {
  test(`rejects ${JSON.stringify(topic)} because ${reason}`, () => {
    const r = parseUnsPath(topic)
    assert.equal(r.ok, false)
    if (r.ok) return
    assert.equal(r.error.code, 'UNS_ERR_NAMESPACE_PATH_INVALID')
    assert.equal(r.error.message, `Invalid UNS path ${JSON.stringify(topic)}: ${reason}`)
  })
}

test('rejects paths deeper or longer than the configured limits', () => {
  const deep = parseUnsPath('a/b/c/d/e', { maxLevels: 4 })
  assert.ok(!deep.ok && deep.error.message.endsWith('the path has 5 levels, at most 4 allowed'))
  const long = parseUnsPath('x'.repeat(30), { maxLength: 20 })
  assert.ok(!long.ok && long.error.message.endsWith('the path is longer than 20 characters'))
  assert.ok(parseUnsPath('a/b/c/d', { maxLevels: 4 }).ok)
})
