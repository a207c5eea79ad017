// Replication of created topics by cluster size (issue 15, docs/decisions/0015).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { toReplication } from '../../src/kafka/replication.js'
import { UnsError } from '../../src/errors.js'

const auto = { replicationFactor: -1, minInsyncReplicas: -1 }

describe('toReplication', () => {
  it('gives 3 replicas, 2 in sync, on a cluster of 3 or more brokers', () => {
    assert.deepEqual(toReplication(auto, 3), { replicationFactor: 3, minInsyncReplicas: 2 })
    assert.deepEqual(toReplication(auto, 7), { replicationFactor: 3, minInsyncReplicas: 2 })
  })

  it('gives 1/1 on a single broker and 2/1 on two', () => {
    assert.deepEqual(toReplication(auto, 1), { replicationFactor: 1, minInsyncReplicas: 1 })
    assert.deepEqual(toReplication(auto, 2), { replicationFactor: 2, minInsyncReplicas: 1 })
    assert.deepEqual(toReplication({}, 0), { replicationFactor: 1, minInsyncReplicas: 1 })
  })

  it('lets an explicit setting win, and derives the other from it', () => {
    assert.deepEqual(toReplication({ replicationFactor: 5, minInsyncReplicas: -1 }, 6), {
      replicationFactor: 5,
      minInsyncReplicas: 2,
    })
    assert.deepEqual(toReplication({ replicationFactor: -1, minInsyncReplicas: 3 }, 3), {
      replicationFactor: 3,
      minInsyncReplicas: 3,
    })
    assert.deepEqual(toReplication({ replicationFactor: 1, minInsyncReplicas: -1 }, 3), {
      replicationFactor: 1,
      minInsyncReplicas: 1,
    })
  })

  it('refuses more in-sync replicas than replicas, saying what to change', () => {
    assert.throws(
      () => toReplication({ replicationFactor: -1, minInsyncReplicas: 2 }, 1),
      (err: unknown) =>
        err instanceof UnsError &&
        err.code === 'UNS_ERR_BRIDGE_REPLICATION_INVALID' &&
        /kafka\.minInsyncReplicas \(2\) is larger than the replication factor \(1\)/.test(err.message),
    )
  })
})
