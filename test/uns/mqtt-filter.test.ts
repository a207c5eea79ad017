import assert from 'node:assert/strict'
import { test } from 'node:test'
import { matchesFilter, parseTopicFilter } from '../../src/uns/index.js'

function matches(filter: string, topic: string): boolean {
  const f = parseTopicFilter(filter)
  assert.ok(f.ok)
  return matchesFilter(f.value, topic.split('/'))
}

test('+ matches exactly one level and # the rest, including the parent level itself', () => {
  assert.equal(matches('acme/+/packaging', 'acme/berlin/packaging'), true)
  assert.equal(matches('acme/+/packaging', 'acme/berlin/x/packaging'), false)
  assert.equal(matches('acme/berlin/#', 'acme/berlin'), true)
  assert.equal(matches('acme/berlin/#', 'acme/berlin/a/b/c'), true)
  assert.equal(matches('acme/berlin/#', 'acme/austin/a'), false)
  assert.equal(matches('acme/+', 'acme/berlin/line'), false)
  assert.equal(matches('#', 'anything/at/all'), true)
})

test('rejects filters whose wildcards are not whole levels', () => {
  for (const [filter, reason] of [
    ['', 'the filter is empty'],
    ['acme/#/line', '# must be the last level on its own'],
    ['acme/line#', '# must be the last level on its own'],
    ['acme/li+ne', '+ must be a whole level'],
  ]) {
    const r = parseTopicFilter(filter as string)
    assert.ok(!r.ok, filter)
    assert.equal(r.error.message, `Invalid MQTT filter ${JSON.stringify(filter)}: ${reason}`)
  }
})
