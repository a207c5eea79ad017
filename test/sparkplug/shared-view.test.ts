// [issue 15] The Sparkplug node view shared between instances through Redis (decision 0050): every
// instance shows every instance's nodes; a node seen by two instances (it moved after a failover) shows
// as the one with its latest birth or death; a view leaves with its instance.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createSharedNodeView } from '../../src/sparkplug/index.js'
import { mergeNodeViews } from '../../src/sparkplug/shared-view.js'
import type { NodeInfo } from '../../src/sparkplug/index.js'
import { createLogger } from '../../src/logger.js'
import { startRedis, type TestRedis } from '../helpers/redis.js'
import { eventually } from '../helpers/service.js'

const node = (edge: string, o: Partial<NodeInfo> = {}): NodeInfo => ({
  group: 'G',
  edge,
  online: true,
  bdSeq: 0,
  lastSeq: 0,
  birthTime: 1000,
  deathTime: undefined,
  metricCount: 1,
  devices: [],
  templates: [],
  ...o,
})

describe('mergeNodeViews', () => {
  it('keeps the view with the latest birth or death of a node', () => {
    const died = node('E1', { online: false, birthTime: 1000, deathTime: 5000 })
    const reborn = node('E1', { online: true, birthTime: 6000 })
    assert.deepEqual(
      mergeNodeViews(
        new Map([
          ['a', [died]],
          ['b', [reborn]],
        ]),
      ),
      [reborn],
    )
    const later = node('E1', { online: false, birthTime: 6000, deathTime: 7000 })
    assert.deepEqual(
      mergeNodeViews(
        new Map([
          ['a', [later]],
          ['b', [reborn]],
        ]),
      ),
      [later],
    )
  })
})

describe('createSharedNodeView over a real Redis', () => {
  let redis: TestRedis
  const logger = createLogger('silent')
  before(async () => {
    redis = await startRedis()
  })
  after(async () => {
    await redis?.stop()
  })

  it('shows the nodes of every instance on each, keeps UInt64 bdSeq exact, and drops a closed instance', async () => {
    const bd = 2n ** 63n + 5n
    const a = createSharedNodeView(
      { logger, local: () => [node('on-a', { bdSeq: bd })] },
      { url: redis.url, intervalMs: 100 },
    )
    const b = createSharedNodeView(
      { logger, local: () => [node('on-b')] },
      { url: redis.url, intervalMs: 100 },
    )
    try {
      const edges = (v: { nodes(): NodeInfo[] }) =>
        v
          .nodes()
          .map((n) => n.edge)
          .sort()
          .join(',')
      await eventually(
        () => (edges(a) === 'on-a,on-b' && edges(b) === 'on-a,on-b' ? true : undefined),
        10_000,
      )
      assert.equal(b.nodes().find((n) => n.edge === 'on-a')?.bdSeq, bd)
      await a.close()
      await eventually(() => (edges(b) === 'on-b' ? true : undefined), 10_000)
    } finally {
      await a.close()
      await b.close()
    }
  })
})
