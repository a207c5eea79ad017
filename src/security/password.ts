// Password and token hashes: scrypt from node:crypto, run on the libuv thread pool (never on the event
// loop), stored as one self-describing string so parameters can be raised later without breaking old
// hashes: `scrypt$ln=15,r=8,p=3$<salt base64>$<hash base64>` (docs/decisions/0010).
import { randomBytes, scrypt, timingSafeEqual, type ScryptOptions } from 'node:crypto'
import { SecurityBusy } from '../errors.js'

/** scrypt cost: N = 2^ln, block size r, parallelism p. */
export interface ScryptParams {
  readonly ln: number
  readonly r: number
  readonly p: number
}

/**
 * Default cost: 2^15 × 8 × 128 B = 32 MiB per hash and p = 3, which OWASP's password storage cheat sheet
 * lists as equal in strength to its first choice (2^17, r 8, p 1, 128 MiB) at a quarter of the memory.
 */
export const DEFAULT_SCRYPT: ScryptParams = Object.freeze({ ln: 15, r: 8, p: 3 })

/** A parsed stored hash. */
export interface PasswordHash {
  readonly params: ScryptParams
  readonly salt: Buffer
  readonly hash: Buffer
}

export type HashParse = { ok: true; value: PasswordHash } | { ok: false; reason: string }

const SALT_BYTES = 16
const HASH_BYTES = 32
// Bounds on what a stored string may ask for: below ln 10 is too cheap to slow guessing, above the
// memory cap one verification could take the process down.
const LIMITS = { ln: [10, 20], r: [1, 32], p: [1, 16] } as const
const MAX_MEMORY_BYTES = 256 * 1024 * 1024
const FORMAT =
  /^scrypt\$ln=(\d{1,2}),r=(\d{1,2}),p=(\d{1,2})\$([A-Za-z0-9+/]+={0,2})\$([A-Za-z0-9+/]+={0,2})$/

const memoryOf = (p: ScryptParams): number => 128 * 2 ** p.ln * p.r
const optionsOf = (p: ScryptParams): ScryptOptions => ({
  N: 2 ** p.ln,
  r: p.r,
  p: p.p,
  // Node refuses (128 * N * r) above maxmem (32 MiB by default); allow what the parameters need.
  maxmem: memoryOf(p) + 1024 * 1024,
})

function derive(password: string | Uint8Array, salt: Buffer, params: ScryptParams, bytes: number) {
  return new Promise<Buffer>((resolve, reject) =>
    scrypt(password, salt, bytes, optionsOf(params), (err, key) => (err ? reject(err) : resolve(key))),
  )
}

/** Why `params` cannot be used, or undefined. */
function paramsProblem(params: ScryptParams): string | undefined {
  for (const key of ['ln', 'r', 'p'] as const) {
    const [min, max] = LIMITS[key]
    const v = params[key]
    if (!Number.isInteger(v) || v < min || v > max) return `${key}=${v} is outside ${min}..${max}`
  }
  if (memoryOf(params) > MAX_MEMORY_BYTES) return `ln and r ask for more than ${MAX_MEMORY_BYTES >> 20} MiB`
  return undefined
}

/** Hashes a password (or an API token) into the stored format; `params` defaults to DEFAULT_SCRYPT. */
export async function hashPassword(
  password: string | Uint8Array,
  params: ScryptParams = DEFAULT_SCRYPT,
): Promise<string> {
  const bad = paramsProblem(params)
  if (bad !== undefined) throw new RangeError(`scrypt parameters: ${bad}`)
  const salt = randomBytes(SALT_BYTES)
  const hash = await derive(password, salt, params, HASH_BYTES)
  return `scrypt$ln=${params.ln},r=${params.r},p=${params.p}$${salt.toString('base64')}$${hash.toString('base64')}`
}

/** Parses a stored hash; anything but the format above is refused with the reason (never guessed at). */
export function parsePasswordHash(stored: string): HashParse {
  const m = FORMAT.exec(stored)
  if (m === null) {
    const shape = stored.startsWith('scrypt$') ? 'a malformed scrypt string' : 'not in the scrypt$... format'
    return { ok: false, reason: `${shape} (expected scrypt$ln=N,r=N,p=N$<salt>$<hash>)` }
  }
  const params = { ln: Number(m[1]), r: Number(m[2]), p: Number(m[3]) }
  const bad = paramsProblem(params)
  if (bad !== undefined) return { ok: false, reason: bad }
  const salt = Buffer.from(m[4] as string, 'base64')
  const hash = Buffer.from(m[5] as string, 'base64')
  if (salt.length < 8) return { ok: false, reason: 'the salt is shorter than 8 bytes' }
  if (hash.length < 16 || hash.length > 64) return { ok: false, reason: 'the hash is not 16 to 64 bytes' }
  return { ok: true, value: { params, salt, hash } }
}

export interface PasswordVerifierOptions {
  /** scrypt runs at once at most; each holds a libuv thread and its memory. Default 2. */
  readonly maxConcurrent?: number
  /** Verifications waiting for a slot; beyond it `verify` rejects with UNS_ERR_SECURITY_BUSY. Default 256. */
  readonly maxQueued?: number
}

export interface PasswordVerifier {
  /**
   * Whether `password` matches `stored`, compared in constant time. Rejects with UNS_ERR_SECURITY_BUSY when
   * the queue is full, so a flood of wrong passwords cannot take every libuv thread (file and DNS work
   * share them) or unbounded memory.
   */
  verify(password: string | Uint8Array, stored: PasswordHash): Promise<boolean>
}

export function createPasswordVerifier(options: PasswordVerifierOptions = {}): PasswordVerifier {
  const maxConcurrent = options.maxConcurrent ?? 2
  const maxQueued = options.maxQueued ?? 256
  let running = 0
  const waiting: (() => void)[] = []
  const release = (): void => {
    const next = waiting.shift()
    if (next === undefined) running--
    else next()
  }
  return {
    async verify(password, stored) {
      if (running >= maxConcurrent) {
        if (waiting.length >= maxQueued) throw new SecurityBusy([waiting.length], { queued: waiting.length })
        await new Promise<void>((resolve) => waiting.push(resolve))
      } else running++
      try {
        const key = await derive(password, stored.salt, stored.params, stored.hash.length)
        return timingSafeEqual(key, stored.hash)
      } finally {
        release()
      }
    },
  }
}
