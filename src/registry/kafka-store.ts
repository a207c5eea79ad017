// RegistryStore on a compacted Kafka topic (default uns.schemas), the way Confluent Schema Registry
// keeps `_schemas`: one partition, every record keyed by recordKey() so compaction keeps the latest
// fact per key. Each store tails the whole topic with a consumer group of its own (nothing is
// committed), so every instance on one Kafka replays the same log and converges on the same registry.
import { randomUUID } from 'node:crypto'
import type { ConsumedRecord, KafkaClient, TailHandle } from '../kafka/index.js'
import { RegistryClosed, RegistryStoreUnavailable } from '../errors.js'
import { parseRecordBytes, toRecordBytes } from './record-codec.js'
import { recordKey, type RegistryRecord, type RegistryStore } from './store.js'

export interface KafkaRegistryStoreDeps {
  /** A client of its own: the store connects its producer and starts a tail on it. The caller closes it. */
  readonly client: KafkaClient
  readonly logger: {
    warn(obj: object, msg: string): void
    info(obj: object, msg: string): void
    error(obj: object, msg: string): void
  }
}

export interface KafkaRegistryStoreConfig {
  /** Compacted topic holding the registry; created (1 partition, cleanup.policy=compact) when missing. */
  readonly topic: string
  /** How long open and load() wait to read the topic to its end, in milliseconds. Default 30000. */
  readonly loadTimeoutMs?: number
  /** Prefix of the tail's consumer group id; a random suffix makes it unique. Default `uns-registry`. */
  readonly groupIdPrefix?: string
}

type Listener = (record: RegistryRecord) => void

export async function createKafkaRegistryStore(
  deps: KafkaRegistryStoreDeps,
  config: KafkaRegistryStoreConfig,
): Promise<RegistryStore> {
  const { client, logger } = deps
  const { topic } = config
  const loadTimeoutMs = config.loadTimeoutMs ?? 30_000
  const unavailable = (what: string, err: unknown): Error =>
    new RegistryStoreUnavailable([topic, `${what}: ${(err as Error).message}`], { topic }, { cause: err })

  // Everything read so far, in log order. The registry is small (schemas, levels, bindings), so the
  // whole topic fits in memory; load() hands it out, later records go to the listeners.
  const log: RegistryRecord[] = []
  const listeners = new Set<Listener>()
  // Next offset per partition: a restarted tail reads from the beginning again and skips what was seen.
  const seen = new Map<number, bigint>()
  let loadedCount: number | undefined
  let tail: TailHandle | undefined
  let closed = false

  const onRecord = (r: ConsumedRecord): void => {
    const offset = BigInt(r.offset)
    if ((seen.get(r.partition) ?? 0n) > offset) return
    seen.set(r.partition, offset + 1n)
    // A tombstone deletes a key; registry facts are never deleted, so there is nothing to replay.
    if (r.value === null) return
    const record = parseRecordBytes(r.key, r.value)
    if (typeof record === 'string') {
      logger.warn(
        { topic, partition: r.partition, offset: r.offset, reason: record },
        'registry record skipped',
      )
      return
    }
    log.push(record)
    for (const listener of listeners) listener(structuredClone(record))
  }
  // The tail starts a new reader by itself when kafkajs gives up on one; records already read are
  // not handed over again, and a caughtUp() in progress is answered by the new reader.
  const startTail = async (): Promise<TailHandle> =>
    client.tail({
      topic,
      groupId: `${config.groupIdPrefix ?? 'uns-registry'}-${randomUUID()}`,
      eachRecord: onRecord,
      onCrash: (err) => {
        if (!closed) logger.warn({ err, topic }, 'registry reader crashed; restarting')
      },
    })
  const caughtUp = async (): Promise<void> => {
    if (tail === undefined) throw new RegistryStoreUnavailable([topic, 'its reader is not open'], { topic })
    await tail.caughtUp(loadTimeoutMs).catch((err: unknown) => {
      throw unavailable('not read to its end', err)
    })
  }

  try {
    await client.ensureTopics([{ topic, compacted: true, partitions: 1 }])
    await client.connectProducer()
    tail = await startTail()
    await caughtUp()
  } catch (err) {
    await tail?.stop().catch(() => {})
    throw err instanceof RegistryStoreUnavailable ? err : unavailable('cannot open', err)
  }
  logger.info({ topic, records: log.length }, 'registry topic read')

  return {
    async load() {
      if (closed) throw new RegistryClosed(['load'])
      await caughtUp()
      loadedCount = log.length
      return log.map((r) => structuredClone(r))
    },
    async append(record) {
      if (closed) throw new RegistryClosed(['append'])
      // Serialised now, so a caller changing the object afterwards cannot change what is stored.
      const value = toRecordBytes(record)
      await client
        .send([{ topic, key: recordKey(record), value, headers: { 'content-type': 'application/json' } }])
        .catch((err: unknown) => {
          throw unavailable('append not acknowledged', err)
        })
    },
    subscribe(listener) {
      // Records read after the last load() returned but before this call are handed over first,
      // so a registry that loads and then subscribes misses nothing in between.
      if (loadedCount !== undefined) {
        for (const record of log.slice(loadedCount)) listener(structuredClone(record))
      }
      listeners.add(listener)
      return () => void listeners.delete(listener)
    },
    async close() {
      if (closed) return
      closed = true
      listeners.clear()
      await tail?.stop().catch(() => {})
      tail = undefined
    },
  }
}
