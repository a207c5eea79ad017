// Results of slow credential checks, kept in memory so a scrypt runs once per distinct credential and not
// per request or reconnect. Keys are SHA-256 digests of what was presented (never the secret itself);
// the map is bounded and drops the least recently used entry first.
import { createHash } from 'node:crypto'

export interface VerifiedCache<V> {
  get(key: string): V | undefined
  set(key: string, value: V): void
  readonly size: number
}

/** The cache key of presented secret material; `parts` are joined unambiguously before hashing. */
export function cacheKey(...parts: readonly (string | Uint8Array)[]): string {
  const h = createHash('sha256')
  for (const p of parts) {
    const bytes = typeof p === 'string' ? Buffer.from(p, 'utf8') : p
    const len = Buffer.alloc(4)
    len.writeUInt32BE(bytes.length)
    h.update(len).update(bytes)
  }
  return h.digest('base64')
}

export function createVerifiedCache<V>(maxEntries: number): VerifiedCache<V> {
  const map = new Map<string, V>()
  return {
    get(key) {
      const v = map.get(key)
      if (v !== undefined) {
        // Refresh recency: a Map iterates in insertion order, so the first key is the oldest.
        map.delete(key)
        map.set(key, v)
      }
      return v
    },
    set(key, value) {
      map.delete(key)
      map.set(key, value)
      if (map.size > maxEntries) map.delete(map.keys().next().value as string)
    },
    get size() {
      return map.size
    },
  }
}
