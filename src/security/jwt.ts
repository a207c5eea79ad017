// Optional JWT bearer tokens (issue 12): signatures checked with `jose` against a JSON Web Key Set from a
// file or a URL (fetched and cached by jose, refetched when a token names an unknown key id), issuer and
// audience when configured, expiry always. Roles come from a configurable claim (a dotted path such as
// Keycloak's `realm_access.roles`); role names that `security.roles` does not define grant nothing.
import { readFileSync } from 'node:fs'
import { createLocalJWKSet, createRemoteJWKSet, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose'
import { SecurityJwksInvalid } from '../errors.js'
import type { Identity } from './identity.js'

export interface JwtConfig {
  /** Path of a JWKS file, or an http(s) URL serving one. */
  readonly jwks: string
  readonly issuer?: string | undefined
  readonly audience?: string | undefined
  /** Claim holding the roles: an array of names or a space-separated string. Default `roles`. */
  readonly rolesClaim?: string
  /** Claim naming the identity in logs and the audit trail. Default `sub`. */
  readonly nameClaim?: string
}

export interface JwtVerifier {
  /** The identity of a valid token, or why it is not valid (never the token itself). */
  verify(token: string): Promise<{ ok: true; identity: Identity } | { ok: false; reason: string }>
}

/** Whether a bearer value has the shape of a JWS compact serialisation (three base64url parts). */
export const looksLikeJwt = (value: string): boolean => /^[\w-]+\.[\w-]+\.[\w-]+$/.test(value)

export function createJwtVerifier(config: JwtConfig): JwtVerifier {
  const keys = keySet(config.jwks)
  const rolesClaim = config.rolesClaim ?? 'roles'
  const nameClaim = config.nameClaim ?? 'sub'
  return {
    async verify(token) {
      let payload: JWTPayload
      try {
        ;({ payload } = await jwtVerify(token, keys, {
          ...(config.issuer === undefined ? {} : { issuer: config.issuer }),
          ...(config.audience === undefined ? {} : { audience: config.audience }),
          requiredClaims: ['exp'],
        }))
      } catch (err) {
        // jose's messages name the failed check (signature, "exp" claim timestamp check failed, ...).
        return { ok: false, reason: `invalid JWT: ${(err as Error).message}` }
      }
      const name = claimAt(payload, nameClaim)
      if (typeof name !== 'string' || name.length === 0) {
        return { ok: false, reason: `invalid JWT: no ${nameClaim} claim to name the identity` }
      }
      const raw = claimAt(payload, rolesClaim)
      const roles = Array.isArray(raw)
        ? raw.filter((r): r is string => typeof r === 'string')
        : typeof raw === 'string'
          ? raw.split(' ').filter((r) => r.length > 0)
          : []
      return {
        ok: true,
        identity: Object.freeze({ name, kind: 'token', via: 'token', roles: Object.freeze(roles) }),
      }
    },
  }
}

function keySet(source: string): JWTVerifyGetKey {
  if (/^https?:\/\//.test(source)) {
    try {
      return createRemoteJWKSet(new URL(source))
    } catch (err) {
      throw new SecurityJwksInvalid([source, (err as Error).message], { source }, { cause: err })
    }
  }
  try {
    return createLocalJWKSet(
      JSON.parse(readFileSync(source, 'utf8')) as Parameters<typeof createLocalJWKSet>[0],
    )
  } catch (err) {
    const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message
    throw new SecurityJwksInvalid([source, reason], { source }, { cause: err })
  }
}

function claimAt(payload: JWTPayload, path: string): unknown {
  let node: unknown = payload
  for (const key of path.split('.')) {
    if (node === null || typeof node !== 'object' || !Object.hasOwn(node, key)) return undefined
    node = (node as Record<string, unknown>)[key]
  }
  return node
}
