import assert from 'node:assert/strict'
import { test } from 'node:test'
import { parseSparkplugTopic } from '../../src/sparkplug/topic.js'

test('parses node topics without a device id [tck-id-topic-structure]', () => {
  assert.deepEqual(parseSparkplugTopic('spBv1.0/Plant 1/NBIRTH/Edge-1'), {
    ok: true,
    topic: { type: 'NBIRTH', group: 'Plant 1', edge: 'Edge-1' },
  })
})

test('parses device topics with exactly one device id [tck-id-topic-structure-namespace-device-id-associated-message-types]', () => {
  assert.deepEqual(parseSparkplugTopic('spBv1.0/G1/DDATA/E1/D1'), {
    ok: true,
    topic: { type: 'DDATA', group: 'G1', edge: 'E1', device: 'D1' },
  })
})

test('parses the Sparkplug 3.0 STATE topic', () => {
  assert.deepEqual(parseSparkplugTopic('spBv1.0/STATE/scada-1'), {
    ok: true,
    topic: { type: 'STATE', hostId: 'scada-1' },
  })
})

const malformed: [string, RegExp][] = [
  ['spBv1.0/G1/NBIRTH/E1/X', /must not carry a device id/], // [tck-id-topic-structure-namespace-device-id-non-associated-message-types]
  ['spBv1.0/G1/DDATA/E1', /exactly one device id/],
  ['spBv1.0/G1/DDATA/E1/D1/extra', /exactly one device id/],
  ['spBv1.0/G1/FOO/E1', /unknown message type/],
  ['spBv1.0/STATE/x/y', /STATE topic/],
  ['spAv1.0/G1/NDATA/E1', /namespace/], // [tck-id-topic-structure-namespace-a]
  ['spBv1.0//NDATA/E1', /group id is empty/],
  ['spBv1.0/G1/NDATA/', /edge node id is empty/],
  ['spBv1.0/G+/NDATA/E1', /contains \+, #/], // [tck-id-topic-structure-namespace-valid-group-id]
  ['spBv1.0/G1/DDATA/E1/D#', /contains \+, #/], // [tck-id-topic-structure-namespace-valid-device-id]
  ['spBv1.0/G1/NDATA/E\u00001', /NUL/], // [tck-id-intro-edge-node-id-chars]
  ['spBv1.0/G1/NDATA/E\uD800', /UTF-8/],
  ['spBv1.0/G1', /expected spBv1.0/],
  ['', /namespace/],
]
for (const [topic, reason] of malformed) {
  test(`rejects ${JSON.stringify(topic)} with a reason instead of throwing`, () => {
    const r = parseSparkplugTopic(topic)
    assert.equal(r.ok, false)
    assert.match(r.ok ? '' : r.reason, reason)
  })
}
