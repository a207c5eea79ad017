import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { filterProblem, topicProblem } from '../../src/broker/topic-check.js'

// What mqtt-packet hands the broker for these bytes: it decodes topics with toString('utf8').
const decoded = (raw: Buffer) => raw.toString('utf8')

describe('topicProblem (client PUBLISH topic names)', () => {
  test('accepts ordinary UNS and Sparkplug topics, including non-ASCII text', () => {
    for (const t of [
      'acme/berlin/line-1/temp',
      'spBv1.0/G1/NDATA/E1',
      'spBv1.0/STATE/host',
      'Köln/Straße/温度',
      'a',
    ])
      assert.equal(topicProblem(t), undefined, t)
  })

  test('refuses ill-formed UTF-8 from its raw bytes [MQTT-1.5.3-1]', () => {
    for (const hex of ['61ff', 'c0af', 'eda080', 'f4908080', 'e282']) {
      const raw = Buffer.from(hex, 'hex')
      assert.match(topicProblem(decoded(raw), raw) ?? '', /not well-formed UTF-8/, hex)
    }
  })

  test('without raw bytes, refuses the U+FFFD the decoder put in place of ill-formed UTF-8', () => {
    assert.match(topicProblem(decoded(Buffer.from('70726f62652fff', 'hex'))) ?? '', /MQTT-1\.5\.3-1/)
  })

  test('with raw bytes, a real U+FFFD (EF BF BD) is well-formed and accepted', () => {
    const raw = Buffer.from('probe/\uFFFD')
    assert.equal(topicProblem(decoded(raw), raw), undefined)
  })

  test('refuses lone surrogates in topics that did not come from the wire', () => {
    assert.match(topicProblem('probe/\uD800x') ?? '', /MQTT-1\.5\.3-1/)
    assert.match(topicProblem('probe/\uDC00') ?? '', /MQTT-1\.5\.3-1/)
    assert.equal(topicProblem('probe/\uD83D\uDE00'), undefined) // a valid pair (an emoji)
  })

  test('refuses U+0000 [MQTT-1.5.3-2]', () => {
    assert.match(topicProblem('probe/a\u0000b') ?? '', /U\+0000/)
  })

  test('refuses empty topics and wildcards', () => {
    assert.match(topicProblem('') ?? '', /empty/)
    assert.match(topicProblem('a/+/b') ?? '', /wildcard/)
    assert.match(topicProblem('a/#') ?? '', /wildcard/)
  })

  test('refuses every topic starting with $ from clients, not only $SYS/ and $sparkplug/ [MQTT-4.7.2-1]', () => {
    for (const t of ['$foo/bar', '$SYS/broker', '$sparkplug/certificates/spBv1.0/G/NBIRTH/E', '$'])
      assert.match(topicProblem(t) ?? '', /reserved to the server/, t)
    assert.equal(topicProblem('a/$foo'), undefined)
  })

  test('refuses topics longer than 65535 bytes', () => {
    assert.match(topicProblem('é'.repeat(40000)) ?? '', /65535 bytes/)
  })
})

describe('filterProblem (client SUBSCRIBE filters)', () => {
  test('accepts wildcards and $ filters', () => {
    for (const f of ['#', '+/x', '$SYS/#', '$sparkplug/certificates/#', 'spBv1.0/+/NBIRTH/#'])
      assert.equal(filterProblem(f), undefined, f)
  })

  test('refuses U+0000 and ill-formed UTF-8 [MQTT-1.5.3-1, MQTT-1.5.3-2, MQTT-4.7.3-2]', () => {
    assert.match(filterProblem('a/\u0000/#') ?? '', /U\+0000/)
    const raw = Buffer.from('612fff2f23', 'hex')
    assert.match(filterProblem(decoded(raw), raw) ?? '', /not well-formed UTF-8/)
  })
})
