// Small building blocks for the configured limits (`security.limits`): a token bucket for publishes per
// client, connection counting in total and per identity, and topic size checks. The broker and the API
// apply them; each refusal goes to the audit trail with the reason these return.

export interface TokenBucket {
  /** Takes `n` tokens when available; false means over the rate (the caller disconnects, logging why). */
  take(n?: number): boolean
}

export interface TokenBucketConfig {
  /** Tokens added per second (the sustained rate). */
  readonly ratePerSecond: number
  /** Most tokens held (the burst allowed after a quiet period); starts full. */
  readonly burst: number
}

export function createTokenBucket(
  config: TokenBucketConfig,
  now: () => number = () => performance.now(),
): TokenBucket {
  let tokens = config.burst
  let last = now()
  const perMs = config.ratePerSecond / 1000
  return {
    take(n = 1) {
      const t = now()
      tokens = Math.min(config.burst, tokens + (t - last) * perMs)
      last = t
      if (tokens < n) return false
      tokens -= n
      return true
    },
  }
}

export interface ConnectionLimiterConfig {
  /** Connections open at once, all identities together. */
  readonly total: number
  /** Connections open at once per identity name. */
  readonly perIdentity: number
}

export type Admission =
  { readonly ok: true; release(): void } | { readonly ok: false; readonly reason: string }

export interface ConnectionLimiter {
  /**
   * Admits one more connection of `identity` (undefined: counted in the total only, for anonymous clients),
   * or says which limit is reached. Call `release` once when it closes.
   */
  acquire(identity: string | undefined): Admission
  readonly open: number
}

export function createConnectionLimiter(config: ConnectionLimiterConfig): ConnectionLimiter {
  let open = 0
  const perIdentity = new Map<string, number>()
  return {
    acquire(identity) {
      if (open >= config.total)
        return { ok: false, reason: `${config.total} connections are open (the total limit)` }
      const mine = identity === undefined ? 0 : (perIdentity.get(identity) ?? 0)
      if (identity !== undefined && mine >= config.perIdentity) {
        return {
          ok: false,
          reason: `${identity} has ${config.perIdentity} connections open (the per-user limit)`,
        }
      }
      open++
      if (identity !== undefined) perIdentity.set(identity, mine + 1)
      let released = false
      return {
        ok: true,
        release() {
          if (released) return
          released = true
          open--
          if (identity === undefined) return
          const left = (perIdentity.get(identity) ?? 1) - 1
          if (left === 0) perIdentity.delete(identity)
          else perIdentity.set(identity, left)
        },
      }
    },
    get open() {
      return open
    },
  }
}

export interface TopicLimits {
  /** Most levels in a topic or filter (separators + 1). */
  readonly maxLevels: number
  /** Most characters in a topic or filter. */
  readonly maxLength: number
}

/**
 * Why a topic or filter is too big, or undefined. Counted without splitting, so a 1,000-level topic costs
 * one pass (aedes 1.1.1 fixed a crash on deep topics in its matcher, GHSA-xxqp-5qx8-gj5q).
 */
export function topicLimitProblem(topic: string, limits: TopicLimits): string | undefined {
  if (topic.length > limits.maxLength) return `longer than ${limits.maxLength} characters`
  let levels = 1
  for (let i = topic.indexOf('/'); i !== -1; i = topic.indexOf('/', i + 1)) {
    if (++levels > limits.maxLevels) return `more than ${limits.maxLevels} levels`
  }
  return undefined
}

/**
 * Whether a browser page from `origin` may open a WebSocket here. No Origin header: not a browser, allowed
 * (browsers always send one on a WebSocket upgrade). Same origin as the `Host` header: allowed. Otherwise
 * only an exact entry of the allowlist (`https://scada.example:8443`) or `*`.
 */
export function originAllowed(
  origin: string | undefined,
  host: string | undefined,
  allowlist: readonly string[],
): boolean {
  if (origin === undefined) return true
  if (allowlist.includes('*')) return true
  let url: URL
  try {
    url = new URL(origin)
  } catch {
    return false
  }
  if (host !== undefined && url.host === host.toLowerCase()) return true
  return allowlist.some((entry) => {
    try {
      return new URL(entry).origin === url.origin
    } catch {
      return false
    }
  })
}
