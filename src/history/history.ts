// `GET /api/v1/history/{path}` (PRODUCT.md §6, issue 14): the values of one tag between two times, from
// the in-memory ring when it holds the whole range, else read back from Kafka retention: the topic the
// path's values are routed to, the one partition of its key, from the offset of `from` (ListOffsets by
// time), bounded by a scan budget. Kafka time is the record timestamp (when the bridge produced it);
// each point carries its source timestamp. See docs/decisions/0030-history-from-kafka.md.
import type { RecordLocation } from '../bridge/index.js'
import { HistoryNotLocatable, HistoryRangeInvalid } from '../errors.js'
import type { Logger } from '../logger.js'
import type { KafkaClient } from '../kafka/index.js'
import type { NamespaceTree } from '../namespace/index.js'
import { parseUnsPayload, toJsonValue, type JsonValue, type Quality } from '../uns/index.js'
import { createTagRings, type TagRings } from './ring.js'

export interface HistoryConfig {
  /** Points kept in memory per tag; 0: no ring. */
  readonly ringPoints: number
  /** Minutes kept in memory per tag (counted back from its newest point). */
  readonly ringMinutes: number
  /** Scan budget of one Kafka read: most records looked at. */
  readonly scanMaxRecords: number
  /** Scan budget of one Kafka read: longest time, ms. */
  readonly scanMaxMs: number
  /** Largest `limit` a request may ask for. */
  readonly maxPoints: number
}

export interface HistoryDeps {
  readonly logger: Logger
  /** The live namespace feeds the ring (every accepted current value). */
  readonly tree: Pick<NamespaceTree, 'subscribe'>
  /** Absent when Kafka is off: only the ring answers. */
  readonly kafka?: Pick<KafkaClient, 'partitionOf' | 'readPartition'>
  /** Topic and key of a path's records (bridge rules); required with `kafka`. */
  readonly locate?: (path: string) => RecordLocation
  readonly now?: () => number
}

export interface HistoryQuery {
  readonly path: string
  /** Epoch ms, inclusive. */
  readonly from: number
  /** Epoch ms, inclusive. */
  readonly to: number
  /** Most points returned; default 10000 (at most history.maxPoints). */
  readonly limit?: number | undefined
  /** auto: the ring when it covers `from`, else Kafka. */
  readonly source: 'auto' | 'memory' | 'kafka'
}

export interface HistoryPoint {
  /** Source timestamp, epoch ms. */
  readonly timestamp: number
  readonly value: JsonValue
  readonly quality: Quality
  readonly datatype?: string
  /** Kafka record timestamp (when the bridge produced it); absent for points from memory. */
  readonly receivedAt?: number
}

/** Why an answer holds fewer points than the range has. */
export type TruncatedReason = 'limit' | 'scan-records' | 'scan-time' | 'memory-only' | 'kafka-error'

export interface HistorySummary {
  readonly path: string
  readonly from: number
  readonly to: number
  readonly source: 'memory' | 'kafka'
  readonly topic?: string
  readonly partition?: number
  readonly count: number
  /** Kafka records looked at (0 from memory). */
  readonly scanned: number
  readonly truncated: boolean
  readonly reason?: TruncatedReason
  /** The reason in words: what was cut and what to do. */
  readonly detail?: string
  /** Where a continuation would start (the last point's receivedAt + 1), when truncated by the budget or limit. */
  readonly resumeFrom?: number
  readonly elapsedMs: number
}

export interface History {
  /** Points in order, each given to `onPoint` as it is found (streaming); resolves with the summary. */
  read(query: HistoryQuery, onPoint: (point: HistoryPoint) => void): Promise<HistorySummary>
  /** Tags and points in the ring. */
  ringStats(): { tags: number; points: number }
  close(): void
}

const DEFAULT_LIMIT = 10_000

export function createHistory(deps: HistoryDeps, config: HistoryConfig): History {
  const logger = deps.logger.child({ stage: 'history' })
  const now = deps.now ?? Date.now
  const rings: TagRings = createTagRings({ points: config.ringPoints, minutes: config.ringMinutes }, now())
  const unsubscribe =
    config.ringPoints === 0
      ? () => {}
      : deps.tree.subscribe('#', (c) => {
          if (!c.tombstone) rings.push(c.path, { timestamp: c.timestamp, value: c.value, quality: c.quality })
        })

  function fromMemory(
    q: HistoryQuery & { limit: number },
    onPoint: (p: HistoryPoint) => void,
    started: number,
    since: number,
    reason: TruncatedReason,
    why: string,
  ): HistorySummary {
    const points = rings.read(q.path, q.from, q.to)
    const n = Math.min(points.length, q.limit)
    for (let i = 0; i < n; i++) {
      const p = points[i] as (typeof points)[number]
      onPoint({ timestamp: p.timestamp, value: toJsonValue(p.value), quality: p.quality })
    }
    const base = { path: q.path, from: q.from, to: q.to, source: 'memory' as const, count: n, scanned: 0 }
    const elapsedMs = now() - started
    const last = points[n - 1]
    if (n < points.length && last !== undefined)
      return {
        ...base,
        truncated: true,
        reason: 'limit',
        detail: `limit of ${q.limit} points reached; ask again from resumeFrom`,
        resumeFrom: last.timestamp + 1,
        elapsedMs,
      }
    if (q.from < since) {
      const held = Number.isFinite(since)
        ? `since ${new Date(since).toISOString()}`
        : 'none (history.ringPoints is 0)'
      return {
        ...base,
        truncated: true,
        reason,
        detail: `${why}: only the points held in memory are shown (${held})`,
        elapsedMs,
      }
    }
    return { ...base, truncated: false, elapsedMs }
  }

  async function fromKafka(
    q: HistoryQuery & { limit: number },
    onPoint: (p: HistoryPoint) => void,
    started: number,
    kafka: NonNullable<HistoryDeps['kafka']>,
    topic: string,
    key: string,
  ): Promise<HistorySummary> {
    let partition: number
    try {
      partition = await kafka.partitionOf(topic, key)
    } catch (err) {
      if (/does not exist/.test((err as Error).message))
        return {
          ...{ path: q.path, from: q.from, to: q.to, source: 'kafka', topic, count: 0, scanned: 0 },
          truncated: false,
          detail: `topic ${topic} does not exist yet`,
          elapsedMs: now() - started,
        }
      throw err
    }
    let count = 0
    let lastReceived = q.from
    let limitHit = false
    const read = await kafka.readPartition({
      topic,
      partition,
      from: { timestamp: q.from },
      toTimestamp: q.to,
      key,
      maxRecords: config.scanMaxRecords,
      maxMs: config.scanMaxMs,
      onRecord: (r) => {
        // Several paths may share a key (a rule keyed by a level): the uns-path header tells them apart.
        const recordPath = r.headers['uns-path']
        if (recordPath !== undefined && recordPath !== q.path) return
        if (r.value === null) return
        const payload = parseUnsPayload(r.value, r.timestamp)
        if (!payload.ok || payload.value.tombstone) return
        if (count >= q.limit) {
          limitHit = true
          return false
        }
        const p = payload.value
        onPoint({
          timestamp: p.timestamp,
          value: toJsonValue(p.value),
          quality: p.quality,
          ...(p.datatype === undefined ? {} : { datatype: p.datatype }),
          receivedAt: r.timestamp,
        })
        count += 1
        lastReceived = r.timestamp
        return true
      },
    })
    const base = {
      path: q.path,
      from: q.from,
      to: q.to,
      source: 'kafka' as const,
      topic,
      partition,
      count,
      scanned: read.scanned,
      elapsedMs: now() - started,
    }
    if (limitHit)
      return {
        ...base,
        truncated: true,
        reason: 'limit',
        detail: `limit of ${q.limit} points reached; ask again from resumeFrom, or narrow the range`,
        resumeFrom: lastReceived + 1,
      }
    if (read.stop === 'records' || read.stop === 'time') {
      const budget =
        read.stop === 'records'
          ? `${config.scanMaxRecords} records (history.scanMaxRecords)`
          : `${config.scanMaxMs} ms (history.scanMaxMs)`
      return {
        ...base,
        truncated: true,
        reason: read.stop === 'records' ? 'scan-records' : 'scan-time',
        detail: `scan budget of ${budget} spent on partition ${partition} of ${topic}, which other tags share; ask again from resumeFrom, narrow the range, or raise the budget`,
        resumeFrom: lastReceived + 1,
      }
    }
    return { ...base, truncated: false }
  }

  return {
    async read(query, onPoint) {
      const started = now()
      const q = { ...query, limit: query.limit ?? Math.min(DEFAULT_LIMIT, config.maxPoints) }
      if (!(q.from <= q.to)) throw new HistoryRangeInvalid([`from (${q.from}) is after to (${q.to})`])
      if (!Number.isInteger(q.limit) || q.limit < 1 || q.limit > config.maxPoints)
        throw new HistoryRangeInvalid([`limit must be 1 to ${config.maxPoints}, got ${q.limit}`])
      const { kafka, locate } = deps
      if (q.source === 'kafka' && (kafka === undefined || locate === undefined))
        throw new HistoryNotLocatable([q.path, 'Kafka is not configured (kafka.brokers)'])
      const covered = config.ringPoints === 0 ? Infinity : rings.coveredSince(q.path)
      if (kafka === undefined || locate === undefined)
        return fromMemory(q, onPoint, started, covered, 'memory-only', 'Kafka is not configured')
      if (q.source === 'memory' || (q.source === 'auto' && q.from >= covered))
        return fromMemory(q, onPoint, started, covered, 'memory-only', 'source=memory')
      const location = locate(q.path)
      if (!location.ok) throw new HistoryNotLocatable([q.path, location.reason])
      let emitted = 0
      const counted = (p: HistoryPoint): void => {
        emitted += 1
        onPoint(p)
      }
      try {
        return await fromKafka(q, counted, started, kafka, location.topic, location.key)
      } catch (err) {
        // Points already streamed cannot be taken back; an untouched answer falls back to memory.
        if (emitted > 0 || q.source === 'kafka') throw err
        logger.warn({ err, path: q.path }, 'history read from Kafka failed; answering from memory')
        const why = `Kafka read failed (${(err as Error).message})`
        return fromMemory(q, onPoint, started, covered, 'kafka-error', why)
      }
    },
    ringStats: () => rings.stats(),
    close: unsubscribe,
  }
}
