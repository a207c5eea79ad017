// API bearer tokens. The configuration holds only their hashes (made by `uns-bridge hash-password`, the
// same format as passwords), each with a name and roles. Verifying a presented token costs one scrypt per
// configured token, so results are cached in memory under the SHA-256 of the presented token: a client
// that sends the same token with every request pays the scrypt once.
import { SecurityHashInvalid } from '../errors.js'
import type { Identity } from './identity.js'
import { parsePasswordHash, type PasswordHash, type PasswordVerifier } from './password.js'
import { cacheKey, createVerifiedCache } from './verified-cache.js'

export interface TokenConfig {
  readonly name: string
  /** The token's hash (`scrypt$...`), never the token itself. */
  readonly token: string
  readonly roles: readonly string[]
}

export interface TokenVerifierConfig {
  readonly tokens: readonly TokenConfig[]
  /** Distinct presented tokens remembered (valid and invalid). Default 1000. */
  readonly cacheSize?: number
}

export interface TokenVerifier {
  /** The identity of a valid token, or undefined. Rejects only with UNS_ERR_SECURITY_BUSY. */
  verify(presented: string): Promise<Identity | undefined>
  /** Slow verifications done since start (tests and metrics: the cache should keep this low). */
  readonly slowChecks: number
}

// A real token is a few dozen characters; refuse to hash megabytes sent in a header.
const MAX_TOKEN_LENGTH = 4096

export function createTokenVerifier(
  deps: { verifier: PasswordVerifier },
  config: TokenVerifierConfig,
): TokenVerifier {
  const entries = config.tokens.map((t, i) => {
    const parsed = parsePasswordHash(t.token)
    if (!parsed.ok) throw new SecurityHashInvalid([`security.tokens[${i}].token (${t.name})`, parsed.reason])
    const identity: Identity = Object.freeze({
      name: t.name,
      kind: 'token',
      via: 'token',
      roles: Object.freeze([...t.roles]),
    })
    return { hash: parsed.value, identity }
  })
  // `null` marks a token known to be invalid.
  const cache = createVerifiedCache<Identity | null>(config.cacheSize ?? 1000)
  const pending = new Map<string, Promise<Identity | undefined>>()
  let slowChecks = 0

  const slowVerify = async (presented: string): Promise<Identity | undefined> => {
    let found: Identity | undefined
    // Every entry is checked, so the time taken does not tell which token (if any) matched.
    for (const entry of entries) {
      slowChecks++
      if (await deps.verifier.verify(presented, entry.hash as PasswordHash)) found ??= entry.identity
    }
    return found
  }

  return {
    async verify(presented) {
      if (presented.length === 0 || presented.length > MAX_TOKEN_LENGTH || entries.length === 0)
        return undefined
      const key = cacheKey(presented)
      const cached = cache.get(key)
      if (cached !== undefined) return cached ?? undefined
      // Concurrent requests with the same new token share one verification.
      let inFlight = pending.get(key)
      if (inFlight === undefined) {
        inFlight = slowVerify(presented).then((identity) => {
          cache.set(key, identity ?? null)
          return identity
        })
        inFlight.finally(() => pending.delete(key)).catch(() => {})
        pending.set(key, inFlight)
      }
      return inFlight
    },
    get slowChecks() {
      return slowChecks
    },
  }
}
