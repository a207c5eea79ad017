// Replication of the topics uns-bridge creates (issue 15, docs/decisions/0015): a record acknowledged
// with acks=all must survive the loss of one broker, so on a cluster of 3 or more brokers topics get
// 3 replicas of which 2 must have a record before Kafka acknowledges it. A single broker (the local
// Kafka, a laptop) can only hold 1. An explicit setting wins.
import { KafkaReplicationInvalid } from '../errors.js'

export interface ReplicationSettings {
  readonly replicationFactor: number
  readonly minInsyncReplicas: number
}

/**
 * `configured` values below 1 mean "by cluster size"; `brokerCount` is how many brokers the cluster
 * reports now. Throws when min.insync.replicas exceeds the replication factor (every acks=all write
 * would then fail with NOT_ENOUGH_REPLICAS).
 */
export function toReplication(
  configured: { readonly replicationFactor?: number; readonly minInsyncReplicas?: number },
  brokerCount: number,
): ReplicationSettings {
  const replicationFactor =
    (configured.replicationFactor ?? -1) >= 1
      ? (configured.replicationFactor as number)
      : Math.min(3, Math.max(1, brokerCount))
  const minInsyncReplicas =
    (configured.minInsyncReplicas ?? -1) >= 1
      ? (configured.minInsyncReplicas as number)
      : replicationFactor >= 3
        ? 2
        : 1
  if (minInsyncReplicas > replicationFactor) {
    throw new KafkaReplicationInvalid([minInsyncReplicas, replicationFactor], {
      minInsyncReplicas,
      replicationFactor,
      brokerCount,
    })
  }
  return { replicationFactor, minInsyncReplicas }
}
