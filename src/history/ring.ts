// The latest points of every tag in memory (issue 14): sparklines and "the last minutes" are served
// from here without a Kafka read. One small circular buffer per tag that grows by doubling up to
// `points`, so a slow tag costs a few slots and only fast tags reach the bound. Numbers (nearly all
// telemetry) sit in a Float64Array; any other value goes to a plain array allocated on first use.
import { QUALITIES, type Quality, type UnsValue } from '../uns/index.js'

export interface RingPoint {
  /** Source timestamp, epoch ms. */
  readonly timestamp: number
  readonly value: UnsValue
  readonly quality: Quality
}

export interface RingConfig {
  /** Most points kept per tag; 0 keeps none. */
  readonly points: number
  /** Points older than the tag's newest point minus this many minutes are dropped. */
  readonly minutes: number
}

const INITIAL = 8
const NOT_A_NUMBER_VALUE = 0

class TagRing {
  times: Float64Array
  nums: Float64Array
  quality: Uint8Array
  others: (UnsValue | typeof NOT_A_NUMBER_VALUE)[] | undefined
  /** Index of the oldest point and number of points. */
  head = 0
  size = 0
  /** Newest source timestamp dropped from this ring; the ring has every point after it. */
  evictedUpTo = -Infinity
  newest = -Infinity

  constructor(capacity: number) {
    this.times = new Float64Array(capacity)
    this.nums = new Float64Array(capacity)
    this.quality = new Uint8Array(capacity)
  }

  get capacity(): number {
    return this.times.length
  }

  at(i: number): RingPoint {
    const j = (this.head + i) % this.capacity
    const other = this.others?.[j]
    return {
      timestamp: this.times[j] as number,
      value: other === undefined || other === NOT_A_NUMBER_VALUE ? (this.nums[j] as number) : other,
      quality: QUALITIES[this.quality[j] as number] as Quality,
    }
  }

  grow(max: number): void {
    const capacity = Math.min(max, this.capacity * 2)
    const copy = <T extends Float64Array | Uint8Array>(from: T, to: T): T => {
      for (let i = 0; i < this.size; i++) to[i] = from[(this.head + i) % this.capacity] as number
      return to
    }
    const others = this.others
    if (others) {
      const next: (UnsValue | typeof NOT_A_NUMBER_VALUE)[] = new Array(capacity).fill(NOT_A_NUMBER_VALUE)
      for (let i = 0; i < this.size; i++) next[i] = others[(this.head + i) % this.capacity] as UnsValue
      this.others = next
    }
    this.times = copy(this.times, new Float64Array(capacity))
    this.nums = copy(this.nums, new Float64Array(capacity))
    this.quality = copy(this.quality, new Uint8Array(capacity))
    this.head = 0
  }

  dropOldest(): void {
    const t = this.times[this.head] as number
    if (t > this.evictedUpTo) this.evictedUpTo = t
    if (this.others) this.others[this.head] = NOT_A_NUMBER_VALUE
    this.head = (this.head + 1) % this.capacity
    this.size -= 1
  }

  push(p: RingPoint, max: number, maxAgeMs: number): void {
    if (this.size === this.capacity) {
      if (this.capacity < max) this.grow(max)
      else this.dropOldest()
    }
    const j = (this.head + this.size) % this.capacity
    this.times[j] = p.timestamp
    this.quality[j] = Math.max(0, QUALITIES.indexOf(p.quality))
    if (typeof p.value === 'number') {
      this.nums[j] = p.value
      if (this.others) this.others[j] = NOT_A_NUMBER_VALUE
    } else {
      this.others ??= new Array(this.capacity).fill(NOT_A_NUMBER_VALUE)
      this.others[j] = p.value
    }
    this.size += 1
    // Age is measured against the tag's own newest point, so a device clock that is off does not empty it.
    if (p.timestamp > this.newest) this.newest = p.timestamp
    while (this.size > 1 && (this.times[this.head] as number) < this.newest - maxAgeMs) this.dropOldest()
  }
}

export interface TagRings {
  push(path: string, point: RingPoint): void
  /** Points of `path` with from <= timestamp <= to, oldest first. */
  read(path: string, from: number, to: number): RingPoint[]
  /**
   * From which source time on the ring holds every point of `path` it was given: the later of when
   * the rings started and the newest point they dropped.
   */
  coveredSince(path: string): number
  /** Tags and points held, for metrics and the benchmark. */
  stats(): { tags: number; points: number }
}

export function createTagRings(config: RingConfig, startedAt: number): TagRings {
  const rings = new Map<string, TagRing>()
  const maxAgeMs = config.minutes * 60_000
  return {
    push(path, point) {
      if (config.points === 0) return
      let ring = rings.get(path)
      if (ring === undefined) rings.set(path, (ring = new TagRing(Math.min(INITIAL, config.points))))
      ring.push(point, config.points, maxAgeMs)
    },
    read(path, from, to) {
      const ring = rings.get(path)
      if (ring === undefined) return []
      const out: RingPoint[] = []
      for (let i = 0; i < ring.size; i++) {
        const p = ring.at(i)
        if (p.timestamp >= from && p.timestamp <= to) out.push(p)
      }
      return out
    },
    coveredSince(path) {
      const evicted = rings.get(path)?.evictedUpTo ?? -Infinity
      return Math.max(startedAt, evicted + 1)
    },
    stats() {
      let points = 0
      for (const r of rings.values()) points += r.size
      return { tags: rings.size, points }
    },
  }
}
