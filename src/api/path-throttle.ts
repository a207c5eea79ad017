/** Coalesces items per key: at most one send per key and window, the latest item wins. */
export interface PathThrottle<T> {
  push(key: string, item: T): void
  /** Drops pending items and stops every timer. */
  close(): void
}

/**
 * The first item of a key goes out at once and opens a window of `windowMs`; items arriving inside the
 * window replace each other, and the last one goes out when the window ends (trailing send), opening
 * the next window. A quiet key costs nothing once its window ends. `windowMs` 0 sends everything.
 */
export function createPathThrottle<T>(windowMs: number, send: (item: T) => void): PathThrottle<T> {
  const open = new Map<string, { pending: T | undefined; timer: NodeJS.Timeout }>()
  const expire = (key: string): void => {
    const slot = open.get(key)
    if (slot === undefined) return
    if (slot.pending === undefined) {
      open.delete(key)
      return
    }
    const item = slot.pending
    slot.pending = undefined
    slot.timer = setTimeout(expire, windowMs, key)
    send(item)
  }
  return {
    push(key, item) {
      if (windowMs <= 0) return send(item)
      const slot = open.get(key)
      if (slot !== undefined) {
        slot.pending = item
        return
      }
      open.set(key, { pending: undefined, timer: setTimeout(expire, windowMs, key) })
      send(item)
    },
    close() {
      for (const slot of open.values()) clearTimeout(slot.timer)
      open.clear()
    },
  }
}
