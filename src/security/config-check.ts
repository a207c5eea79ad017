// Cross-field rules of the `security` settings (and the TLS sections), checked by the config loader after
// the schema: each problem is one line naming the setting, reported together in UNS_ERR_CONFIG_INVALID.
import { isIP } from 'node:net'
import type { Config } from '../config/index.js'
import { parsePasswordHash } from './password.js'
import { roleProblems } from './rules.js'

/**
 * Open mode: nothing configured that names an identity (no users, tokens, JWT or anonymous roles). Every
 * client is then anonymous with full access, as before security existed; `securityConfigProblems` allows
 * it on loopback only unless `security.anonymous` is true (the Mosquitto 2 default).
 */
export function isOpenMode(security: Config['security']): boolean {
  return (
    security.users.length === 0 &&
    security.tokens.length === 0 &&
    security.jwt === undefined &&
    security.anonymousRoles.length === 0
  )
}

/** Whether `host` binds only the loopback interface. */
export function isLoopbackHost(host: string): boolean {
  const h = host.toLowerCase().replace(/^\[|\]$/g, '')
  if (h === 'localhost') return true
  if (isIP(h) === 4) return h.startsWith('127.')
  if (isIP(h) === 6) return h === '::1' || /^::ffff:127\./.test(h) || h === '0:0:0:0:0:0:0:1'
  return false
}

/** Problems of a schema-valid config, one line each. */
export function securityConfigProblems(config: Config): string[] {
  const s = config.security
  const problems: string[] = []
  const known = new Set(Object.keys(s.roles))
  const checkRoles = (setting: string, roles: readonly string[]): void => {
    for (const role of roles) {
      if (!known.has(role)) {
        const list = known.size === 0 ? 'none are defined' : `defined: ${[...known].join(', ')}`
        problems.push(
          `${setting} names role ${JSON.stringify(role)}, which security.roles does not define (${list})`,
        )
      }
    }
  }
  const seen = (kind: string) => {
    const names = new Set<string>()
    return (setting: string, name: string): void => {
      if (names.has(name))
        problems.push(`${setting} = ${JSON.stringify(name)}: another ${kind} has the same name`)
      names.add(name)
    }
  }
  const userSeen = seen('user')
  s.users.forEach((u, i) => {
    userSeen(`security.users[${i}].username`, u.username)
    const hash = parsePasswordHash(u.password)
    if (!hash.ok) {
      problems.push(
        `security.users[${i}].password (user ${u.username}) = [redacted]: ${hash.reason}; store the output of \`uns-bridge hash-password\`, not the password`,
      )
    }
    checkRoles(`security.users[${i}].roles`, u.roles)
  })
  const tokenSeen = seen('token')
  s.tokens.forEach((t, i) => {
    tokenSeen(`security.tokens[${i}].name`, t.name)
    const hash = parsePasswordHash(t.token)
    if (!hash.ok) {
      problems.push(
        `security.tokens[${i}].token (token ${t.name}) = [redacted]: ${hash.reason}; store the output of \`uns-bridge hash-password\`, not the token`,
      )
    }
    checkRoles(`security.tokens[${i}].roles`, t.roles)
  })
  checkRoles('security.anonymousRoles', s.anonymousRoles)
  checkRoles('security.kafkaRoles', s.kafkaRoles)
  if (s.anonymousRoles.length > 0 && !s.anonymous) {
    problems.push(
      'security.anonymousRoles is set but security.anonymous is false; set security.anonymous: true or remove the roles',
    )
  }
  problems.push(...roleProblems(s.roles))

  // The Mosquitto 2 default: without identities nobody but this machine may connect, unless said so.
  const identities = s.users.length > 0 || s.tokens.length > 0 || s.jwt !== undefined
  if (!identities && !s.anonymous && !isLoopbackHost(config.host)) {
    problems.push(
      `host = ${JSON.stringify(config.host)}: no security.users or security.tokens are configured, so anyone who can reach this address could read and write every value. ` +
        'Configure users or tokens (see README "Security"), or set security.anonymous: true (UNS_SECURITY_ANONYMOUS=true) to allow anonymous access on purpose, or bind host: 127.0.0.1',
    )
  }

  const tls = config.mqtt.tls
  if (tls !== undefined) {
    if (tls.clientCertificates !== 'off' && tls.ca === undefined) {
      problems.push(
        `mqtt.tls.clientCertificates = ${JSON.stringify(tls.clientCertificates)}: set mqtt.tls.ca to the CA that signs client certificates (without it any publicly trusted certificate would be accepted)`,
      )
    }
    if (tls.port !== 0 && (tls.port === config.mqtt.port || tls.port === config.http.port)) {
      problems.push(`mqtt.tls.port = ${tls.port}: the same port as mqtt.port or http.port; choose another`)
    }
  }
  return problems
}
