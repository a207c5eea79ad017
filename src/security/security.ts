// The security stage as the broker hooks and the API hook use it: one object built from the `security`
// settings that authenticates, answers access questions (role grants, then the Sparkplug guard) and
// records refusals in the audit trail. Each method is one decision; none knows MQTT packets or HTTP.
import type { Counter } from 'prom-client'
import type { Config } from '../config/index.js'
import {
  createAuditTrail,
  type AuditAction,
  type AuditLogger,
  type AuditSink,
  type AuditTrail,
} from './audit.js'
import { createAuthenticator, type AuthResult, type Credentials } from './authenticate.js'
import { isOpenMode } from './config-check.js'
import type { Decision, Identity, Question } from './identity.js'
import { createPasswordVerifier } from './password.js'
import { createAccessRules, type AccessRules } from './rules.js'
import { createSparkplugGuard, type SparkplugGuard } from './sparkplug-guard.js'
import { createJwtVerifier, looksLikeJwt } from './jwt.js'
import { createTokenVerifier } from './tokens.js'

export interface SecurityDeps {
  readonly logger: AuditLogger
  /** Receives every audit event (the service sends them to `security.audit.topic`). */
  readonly auditSink?: AuditSink
  /** `metrics.auditEvents`. */
  readonly auditCounter?: Counter<'action' | 'result'>
}

export interface SecurityConfig {
  readonly security: Config['security']
  /** `sparkplug.hostId`: only uns-bridge publishes `spBv1.0/STATE/<hostId>`. */
  readonly sparkplugHostId: string
}

/** One MQTT client after CONNECT: who, which client id, from where. */
export interface ClientSession {
  readonly identity: Identity
  readonly clientId: string
  /** `ip:port` for the audit trail. */
  readonly address: string
}

export interface Security {
  /** True when nothing is configured: everyone is anonymous with full access (the Sparkplug guard still applies). */
  readonly open: boolean
  readonly rules: AccessRules
  readonly guard: SparkplugGuard
  readonly audit: AuditTrail
  /** MQTT CONNECT (username, password, verified certificate names); a refusal is audited as `connect`. */
  authenticate(credentials: Credentials & { readonly address: string }): Promise<AuthResult>
  /**
   * An HTTP `Authorization` header: `Bearer <token or JWT>` or `Basic <user:password>`; absent means anonymous
   * (when allowed). A refusal is audited as `connect` with the route as target.
   */
  authenticateHttp(authorization: string | undefined, address: string, route: string): Promise<AuthResult>
  /** One question (REST read/write, admin change); a refusal is audited. */
  authorize(question: Question & { readonly address: string }): Decision
  /** An MQTT PUBLISH (the Will too): role grants, then the Sparkplug guard; a refusal is audited. */
  authorizePublish(session: ClientSession, topic: string): Decision
  /** One filter of an MQTT SUBSCRIBE (refused filters get SUBACK 0x80); a refusal is audited. */
  authorizeSubscribe(session: ClientSession, filter: string): Decision
  /** Whether a message (retained ones too) may be delivered to this subscriber; a refusal is audited. */
  authorizeForward(session: ClientSession, topic: string): boolean
  /** Records a write or admin change that was allowed and done (the trail keeps every one). */
  recordAllowed(session: { identity: Identity; address: string }, action: AuditAction, target: string): void
  /** Call after a client's CONNACK, and after it is gone (after its Will), to keep the Sparkplug guard right. */
  clientConnected(session: ClientSession): void
  clientDisconnected(clientId: string): void
}

export async function createSecurity(deps: SecurityDeps, config: SecurityConfig): Promise<Security> {
  const s = config.security
  const open = isOpenMode(s)
  const verifier = createPasswordVerifier()
  const authenticator = createAuthenticator(
    { verifier },
    { users: s.users, anonymous: s.anonymous, anonymousRoles: s.anonymousRoles, open },
  )
  const tokens = createTokenVerifier({ verifier }, { tokens: s.tokens })
  const jwt = s.jwt === undefined ? undefined : createJwtVerifier(s.jwt)
  const rules = createAccessRules({ roles: s.roles, open })
  const guard = createSparkplugGuard(
    {
      canWrite: (identity, clientId, topic) =>
        rules.check({ identity, clientId, action: 'write', target: topic }).allowed,
    },
    { hostId: config.sparkplugHostId },
  )
  const audit = createAuditTrail(
    {
      logger: deps.logger,
      ...(deps.auditSink === undefined ? {} : { sink: deps.auditSink }),
      ...(deps.auditCounter === undefined ? {} : { counter: deps.auditCounter }),
    },
    { logPerSecond: s.audit.logPerSecond },
  )

  const refusedAuth = (result: AuthResult, address: string, target: string): AuthResult => {
    if (!result.ok) {
      audit.record({
        identity: result.presented,
        address,
        action: 'connect',
        target,
        result: 'refused',
        reason: result.message,
      })
    }
    return result
  }
  const decide = (d: Decision, identity: Identity, address: string, action: AuditAction, target: string) => {
    if (!d.allowed)
      audit.record({ identity: identity.name, address, action, target, result: 'refused', reason: d.reason })
    return d
  }

  return {
    open,
    rules,
    guard,
    audit,
    async authenticate(c) {
      return refusedAuth(await authenticator.authenticate(c), c.address, 'mqtt')
    },
    async authenticateHttp(authorization, address, route) {
      const [scheme = '', value = ''] = (authorization ?? '').trim().split(/\s+/, 2)
      let result: AuthResult
      // Open mode ignores credentials over HTTP as it does over MQTT: everyone is anonymous.
      if (open || authorization === undefined || authorization.trim() === '') {
        result = await authenticator.authenticate({})
      } else if (scheme.toLowerCase() === 'bearer' && jwt !== undefined && looksLikeJwt(value)) {
        const verdict = await jwt.verify(value)
        result = verdict.ok
          ? verdict
          : { ok: false, reason: 'bad_credentials', message: verdict.reason, presented: 'jwt' }
      } else if (scheme.toLowerCase() === 'bearer' && value !== '') {
        const identity = await tokens.verify(value).catch(() => 'busy' as const)
        result =
          identity === 'busy'
            ? {
                ok: false,
                reason: 'busy',
                message: 'too many tokens are being checked; retry in a moment',
                presented: 'token',
              }
            : identity !== undefined
              ? { ok: true, identity }
              : {
                  ok: false,
                  reason: 'bad_credentials',
                  message: 'unknown or wrong bearer token',
                  presented: 'token',
                }
      } else if (scheme.toLowerCase() === 'basic' && value !== '') {
        const decoded = Buffer.from(value, 'base64').toString('utf8')
        const colon = decoded.indexOf(':')
        result =
          colon <= 0
            ? {
                ok: false,
                reason: 'bad_credentials',
                message: 'malformed Basic credentials',
                presented: 'anonymous',
              }
            : await authenticator.authenticate({
                username: decoded.slice(0, colon),
                password: decoded.slice(colon + 1),
              })
      } else {
        result = {
          ok: false,
          reason: 'bad_credentials',
          message: 'unsupported Authorization scheme; use Bearer <token> or Basic',
          presented: 'anonymous',
        }
      }
      return refusedAuth(result, address, route)
    },
    authorize(q) {
      return decide(rules.check(q), q.identity, q.address, q.action, q.target)
    },
    authorizePublish(session, topic) {
      const { identity, clientId, address } = session
      let d = rules.check({ identity, clientId, action: 'publish', target: topic })
      if (d.allowed) d = guard.check(clientId, identity, topic)
      return decide(d, identity, address, 'publish', topic)
    },
    authorizeSubscribe(session, filter) {
      const { identity, clientId, address } = session
      return decide(
        rules.check({ identity, clientId, action: 'subscribe', target: filter }),
        identity,
        address,
        'subscribe',
        filter,
      )
    },
    authorizeForward(session, topic) {
      const { identity, clientId, address } = session
      return decide(
        rules.check({ identity, clientId, action: 'forward', target: topic }),
        identity,
        address,
        'forward',
        topic,
      ).allowed
    },
    recordAllowed(session, action, target) {
      audit.record({
        identity: session.identity.name,
        address: session.address,
        action,
        target,
        result: 'allowed',
      })
    },
    clientConnected(session) {
      guard.onConnect(session.clientId, session.identity)
    },
    clientDisconnected(clientId) {
      guard.onDisconnect(clientId)
    },
  }
}
