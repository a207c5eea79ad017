import assert from 'node:assert/strict'
import { createRequire } from 'node:module'
import { describe, it } from 'node:test'
import { keyPartition, murmur2 } from '../../src/kafka/murmur2.js'

// kafkajs's own implementation (what its DefaultPartitioner uses), to compare against.
const kafkajsMurmur2 = createRequire(import.meta.url)(
  'kafkajs/src/producer/partitioners/default/murmur2.js',
) as (key: Buffer) => number

describe('murmur2 (the key hash of the Java and kafkajs default partitioners)', () => {
  it("gives the values of Kafka's own Utils.murmur2 test vectors", () => {
    // org.apache.kafka.common.utils.UtilsTest#testMurmur2
    const vectors: [string, number][] = [
      ['21', -973932308],
      ['foobar', -790332482],
      ['a-little-bit-long-string', -985981536],
      ['a-little-bit-longer-string', -1486304829],
      ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
      ['abc', 479470107],
    ]
    for (const [key, hash] of vectors) assert.equal(murmur2(Buffer.from(key)), hash, key)
  })

  it('agrees with kafkajs on UNS paths of every length, multi-byte characters included', () => {
    for (let i = 0; i < 2000; i++) {
      const key = `acme/site-${i % 7}/area/line-${i}/cell/tag-${'x'.repeat(i % 5)}${i % 11 === 0 ? '/température' : ''}`
      const bytes = Buffer.from(key)
      assert.equal(murmur2(bytes), kafkajsMurmur2(bytes), key)
    }
  })

  it('picks a partition in range, the same one every time', () => {
    const p = keyPartition('acme/berlin/packaging/line-1/filler/temperature', 3)
    assert.ok(p >= 0 && p < 3)
    assert.equal(keyPartition('acme/berlin/packaging/line-1/filler/temperature', 3), p)
  })
})
