// Per-edge-node sequence numbers: one counter for NBIRTH, DBIRTH, NDATA, DDATA and DDEATH, +1 per
// message, 255 → 0 [tck-id-payloads-sequence-num-incrementing]. Out-of-order messages wait in a reorder
// buffer until the gap fills [tck-id-operational-behavior-host-reordering-success] or the session's
// reorder timer flushes them [tck-id-operational-behavior-host-reordering-rebirth].

/** Messages further ahead than this are treated as late duplicates, not as a future gap. */
const WINDOW = 128

export function nextSeq(seq: number): number {
  return (seq + 1) & 0xff
}

export interface SequenceResult<T> {
  /** Items to process now, in sequence order. */
  readonly ready: T[]
  /** A gap is open: items wait for the missing sequence numbers. */
  readonly gap: boolean
  /** The item was behind the expected seq (late duplicate) and was dropped. */
  readonly late: boolean
}

export interface SequenceTracker<T> {
  /** The next sequence number expected. */
  readonly expected: number
  /** The last sequence number processed. */
  readonly last: number
  accept(seq: number, item: T): SequenceResult<T>
  /** Gives up on the gap: returns the waiting items in order and continues after the last one. */
  flush(): T[]
  /** Restarts at a BIRTH's seq (any 0..255 is accepted as the base, requirements §3.4). */
  reset(seq: number): void
}

export function createSequenceTracker<T>(startSeq: number): SequenceTracker<T> {
  let expected = nextSeq(startSeq)
  let pending = new Map<number, T>()
  const distance = (seq: number): number => (seq - expected + 256) & 0xff
  const drain = (ready: T[]): void => {
    for (let item = pending.get(expected); item !== undefined; item = pending.get(expected)) {
      pending.delete(expected)
      ready.push(item)
      expected = nextSeq(expected)
    }
  }
  return {
    get expected() {
      return expected
    },
    get last() {
      return (expected + 255) & 0xff
    },
    accept(seq, item) {
      const d = distance(seq)
      if (d === 0) {
        const ready = [item]
        expected = nextSeq(expected)
        drain(ready)
        return { ready, gap: pending.size > 0, late: false }
      }
      if (d >= WINDOW) return { ready: [], gap: pending.size > 0, late: true }
      if (!pending.has(seq)) pending.set(seq, item)
      return { ready: [], gap: true, late: false }
    },
    flush() {
      const order = [...pending.keys()].sort((a, b) => distance(a) - distance(b))
      const items = order.map((s) => pending.get(s) as T)
      const lastSeq = order.at(-1)
      if (lastSeq !== undefined) expected = nextSeq(lastSeq)
      pending = new Map()
      return items
    },
    reset(seq) {
      expected = nextSeq(seq)
      pending = new Map()
    },
  }
}
