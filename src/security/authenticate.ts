// Who is connecting: a configured user (password, or a verified client certificate mapped by CN or SAN),
// anonymous when allowed, or a refusal with its reason. MQTT CONNECT and the HTTP hook both come here.
import { randomBytes } from 'node:crypto'
import { SecurityHashInvalid, UnsError } from '../errors.js'
import type { Identity } from './identity.js'
import { DEFAULT_SCRYPT, parsePasswordHash, type PasswordHash, type PasswordVerifier } from './password.js'
import { cacheKey, createVerifiedCache } from './verified-cache.js'

export interface UserConfig {
  readonly username: string
  /** The password's hash (`scrypt$...`, from `uns-bridge hash-password`). */
  readonly password: string
  readonly roles: readonly string[]
}

export interface AuthenticatorConfig {
  readonly users: readonly UserConfig[]
  /** Clients without credentials are admitted (with `anonymousRoles`). */
  readonly anonymous: boolean
  readonly anonymousRoles: readonly string[]
  /**
   * Open mode (nothing configured): every client is admitted as anonymous whatever it presents, and the
   * access rules allow everything. The config loader allows it on loopback only unless `anonymous` is set.
   */
  readonly open: boolean
  /** Distinct (user, password) pairs remembered after a successful check. Default 1000. */
  readonly cacheSize?: number
}

export interface Credentials {
  readonly username?: string | undefined
  readonly password?: string | Uint8Array | undefined
  /** `certificateIdentities()` of a client certificate the TLS layer verified; absent without one. */
  readonly certificateIdentities?: readonly string[] | undefined
}

/**
 * Why a client was refused. MQTT 3.1.1 CONNACK codes: `bad_credentials` -> 4, `not_authorized` -> 5,
 * `busy` -> 3 (server unavailable). HTTP: 401, 401, 503.
 */
export type AuthRefusal = 'bad_credentials' | 'not_authorized' | 'busy'

export type AuthResult =
  | { readonly ok: true; readonly identity: Identity }
  | {
      readonly ok: false
      readonly reason: AuthRefusal
      /** Says what to do; never contains the password. */
      readonly message: string
      /** The name the client presented (for the audit trail), `anonymous` when none. */
      readonly presented: string
    }

export interface Authenticator {
  authenticate(credentials: Credentials): Promise<AuthResult>
}

export function createAuthenticator(
  deps: { verifier: PasswordVerifier },
  config: AuthenticatorConfig,
): Authenticator {
  const users = new Map<string, { hash: PasswordHash; source: string; identity: Identity }>()
  config.users.forEach((u, i) => {
    const parsed = parsePasswordHash(u.password)
    if (!parsed.ok)
      throw new SecurityHashInvalid([`security.users[${i}].password (${u.username})`, parsed.reason])
    const roles = Object.freeze([...u.roles])
    users.set(u.username, {
      hash: parsed.value,
      source: u.password,
      identity: Object.freeze({ name: u.username, kind: 'user', via: 'password', roles }),
    })
  })
  const byCertificate = new Map<string, Identity>(
    [...users.values()].map((u) => [
      u.identity.name,
      Object.freeze({ ...u.identity, via: 'certificate' as const }),
    ]),
  )
  // An unknown username costs as much as a known one, so response times do not reveal which users exist.
  const first = users.values().next().value
  const decoy: PasswordHash = {
    params: first?.hash.params ?? DEFAULT_SCRYPT,
    salt: randomBytes(16),
    hash: randomBytes(first?.hash.hash.length ?? 32),
  }
  const cache = createVerifiedCache<true>(config.cacheSize ?? 1000)
  const anonymous: Identity = Object.freeze({
    name: 'anonymous',
    kind: 'anonymous',
    via: 'none',
    roles: Object.freeze([...config.anonymousRoles]),
  })
  const refuse = (reason: AuthRefusal, message: string, presented: string): AuthResult => ({
    ok: false,
    reason,
    message,
    presented,
  })

  const byPassword = async (
    username: string,
    password: string | Uint8Array | undefined,
  ): Promise<AuthResult> => {
    const bad = refuse('bad_credentials', 'wrong username or password', username)
    if (password === undefined || password.length === 0) return bad
    const user = users.get(username)
    const key = user === undefined ? '' : cacheKey(user.source, username, password)
    if (user !== undefined && cache.get(key) === true) return { ok: true, identity: user.identity }
    try {
      const match = await deps.verifier.verify(password, user?.hash ?? decoy)
      if (!match || user === undefined) return bad
      cache.set(key, true)
      return { ok: true, identity: user.identity }
    } catch (err) {
      if (err instanceof UnsError && err.code === 'UNS_ERR_SECURITY_BUSY') {
        return refuse('busy', 'too many logins are being checked; retry in a moment', username)
      }
      throw err
    }
  }

  return {
    async authenticate(c) {
      const presented = c.username !== undefined && c.username.length > 0 ? c.username : undefined
      if (config.open) return { ok: true, identity: anonymous }
      const names = c.certificateIdentities ?? []
      if (names.length > 0) {
        const matches = [...new Set(names)].flatMap((n) => byCertificate.get(n) ?? [])
        if (matches.length > 1) {
          return refuse(
            'not_authorized',
            'the client certificate matches more than one user',
            names.join(','),
          )
        }
        const certUser = matches[0]
        if (certUser !== undefined) {
          if (presented !== undefined && presented !== certUser.name) {
            return refuse(
              'not_authorized',
              `username ${presented} does not match the client certificate (user ${certUser.name})`,
              presented,
            )
          }
          return { ok: true, identity: certUser }
        }
        // A verified certificate that names no user: fall back to the password, then to anonymous.
      }
      if (presented !== undefined) return byPassword(presented, c.password)
      // [MQTT-3.1.2-22] a password without a username is a protocol error; refuse it as bad credentials.
      if (c.password !== undefined && c.password.length > 0) {
        return refuse('bad_credentials', 'a password was sent without a username', 'anonymous')
      }
      if (config.anonymous) return { ok: true, identity: anonymous }
      return refuse(
        'not_authorized',
        'anonymous access is off; connect with a username and password',
        'anonymous',
      )
    },
  }
}
