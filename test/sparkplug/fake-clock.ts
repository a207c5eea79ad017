// A manual clock for the host's reorder timer and rate limits.
import type { Clock } from '../../src/sparkplug/host-types.js'

export interface FakeClock extends Clock {
  advance(ms: number): void
  readonly pending: number
}

export function createFakeClock(start = 1_000_000): FakeClock {
  let now = start
  let nextId = 1
  const timers = new Map<number, { at: number; fn: () => void }>()
  return {
    now: () => now,
    setTimeout(fn, ms) {
      const id = nextId++
      timers.set(id, { at: now + ms, fn })
      return id
    },
    clearTimeout(handle) {
      timers.delete(handle as number)
    },
    advance(ms) {
      now += ms
      for (const [id, t] of [...timers].sort((a, b) => a[1].at - b[1].at)) {
        if (t.at > now) continue
        timers.delete(id)
        t.fn()
      }
    },
    get pending() {
      return timers.size
    },
  }
}
