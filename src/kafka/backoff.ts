/** Exponential backoff between reconnect attempts: every retry loop of the service uses this one. */
export interface Backoff {
  /** The wait before the next attempt, in ms; doubles up to `maxMs` each call. */
  nextDelayMs(): number
  /** After a success: the next wait starts again at `initialMs`. */
  reset(): void
}

export function createBackoff(
  config: { readonly initialMs: number; readonly maxMs: number },
  random: () => number = Math.random,
): Backoff {
  let currentMs = config.initialMs
  return {
    nextDelayMs() {
      // Equal jitter (half fixed, half random) keeps several instances from retrying in lock step.
      const delay = Math.round(currentMs / 2 + (random() * currentMs) / 2)
      currentMs = Math.min(currentMs * 2, config.maxMs)
      return delay
    },
    reset() {
      currentMs = config.initialMs
    },
  }
}
