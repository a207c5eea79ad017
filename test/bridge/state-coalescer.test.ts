import { it } from 'node:test'
import assert from 'node:assert/strict'
import { createStateCoalescer } from '../../src/bridge/state-coalescer.js'
import type { KafkaRecord } from '../../src/kafka/index.js'

const rec = (key: string, v: string): KafkaRecord => ({
  topic: 'uns.state',
  key,
  value: Buffer.from(v),
  headers: {},
})

it('writes only the latest state per path within the interval, in the order of the latest changes', async () => {
  const batches: KafkaRecord[][] = []
  const c = createStateCoalescer({ produce: (r) => batches.push(r) }, { intervalMs: 30 })
  for (let i = 0; i < 100; i++) c.add(rec('fast/tag', String(i)))
  c.add(rec('slow/tag', 'a'))
  c.add(rec('fast/tag', 'last'))
  assert.equal(c.pending, 2)
  assert.equal(batches.length, 0, 'nothing before the interval')
  await new Promise((r) => setTimeout(r, 60))
  assert.deepEqual(
    batches.map((b) => b.map((r) => `${r.key}=${r.value?.toString()}`)),
    [['slow/tag=a', 'fast/tag=last']],
  )
})

it('flushes pending records at once on demand (shutdown), and a tombstone replaces a value', () => {
  const batches: KafkaRecord[][] = []
  const c = createStateCoalescer({ produce: (r) => batches.push(r) }, { intervalMs: 10_000 })
  c.add(rec('a', '1'))
  c.add({ topic: 'uns.state', key: 'a', value: null, headers: {} })
  c.flush()
  assert.equal(batches.length, 1)
  assert.equal(batches[0]?.[0]?.value, null)
  c.flush()
  assert.equal(batches.length, 1, 'nothing left to flush')
})
