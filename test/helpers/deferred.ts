// Small tools for unit tests of asynchronous code: promises a test settles by hand, a promise's
// state read without awaiting it, and a wait for a condition (never a fixed sleep).

/** A promise together with the functions that settle it. */
export interface Deferred<T> {
  readonly promise: Promise<T>
  resolve(value: T): void
  reject(err: unknown): void
}

export function deferred<T = void>(): Deferred<T> {
  let resolve!: (value: T) => void
  let reject!: (err: unknown) => void
  const promise = new Promise<T>((res, rej) => {
    resolve = res
    reject = rej
  })
  return { promise, resolve, reject }
}

export type Settlement = 'pending' | 'fulfilled' | 'rejected'

/** Follows a promise: `state()` says whether it settled yet; a rejection is observed (never unhandled). */
export function track(promise: Promise<unknown>): { state(): Settlement; reason(): unknown } {
  let state: Settlement = 'pending'
  let reason: unknown
  promise.then(
    () => (state = 'fulfilled'),
    (err: unknown) => {
      state = 'rejected'
      reason = err
    },
  )
  return { state: () => state, reason: () => reason }
}

/** Lets every pending promise callback and timer of 0 ms run (a few event loop turns). */
export async function settle(turns = 5): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((r) => setImmediate(r))
}

/** Waits until `check` holds, polling every few ms; fails naming `what` after `timeoutMs`. */
export async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`not within ${timeoutMs} ms: ${what}`)
    await new Promise((r) => setTimeout(r, 2))
  }
}
