// The one Fastify hook that guards every route (issue 12): who is asking (bearer token, JWT or Basic, via
// the security stage), and whether the route's access (access.ts) allows it. 401 without or with bad
// credentials, 403 with too few rights, both application/problem+json from the one error handler and both
// audited. Writes and registry changes are audited once they are answered (allowed, or failed and why).
import type { FastifyInstance, FastifyRequest } from 'fastify'
import { SecurityBusy, SecurityForbidden, SecurityUnauthenticated } from '../errors.js'
import type { AuditAction, Identity, Security } from '../security/index.js'
import { routeAccess, type RouteAccess } from './access.js'
import { createReadScope, type ReadScope } from './read-scope.js'

declare module 'fastify' {
  interface FastifyContextConfig {
    /** Set for every route when it is registered (access.ts). */
    access?: RouteAccess
  }
  interface FastifyRequest {
    /** Who asked; null on public routes. */
    identity: Identity | null
    /** What the identity may see of the namespace; null: everything (open mode, no security, public routes). */
    readScope: ReadScope | null
  }
}

export interface AccessHookOptions {
  /** `security.publicMetrics`: GET /metrics without credentials. */
  readonly publicMetrics: boolean
}

/** `ip:port` of the client (`[v6]:port`), for the audit trail. */
export function addressOf(req: FastifyRequest): string {
  const ip = req.socket.remoteAddress ?? ''
  const port = req.socket.remotePort
  const host = ip.includes(':') ? `[${ip}]` : ip
  return port === undefined ? host : `${host}:${port}`
}

// Body fields that say what a registry or binding change is about (never a schema document: it may be large).
const CHANGE_FIELDS = ['id', 'subject', 'filter', 'prefix', 'model', 'policy', 'version', 'compatibility']

const pathOf = (req: FastifyRequest): string => req.url.split('?', 1)[0] ?? req.url

/** `METHOD /path` plus what the body names, e.g. `POST /api/v1/schemas/bindings {"subject":"x","filter":"#"}`. */
function changeTarget(req: FastifyRequest): string {
  const path = pathOf(req)
  const body = req.body
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return `${req.method} ${path}`
  const named = Object.fromEntries(
    CHANGE_FIELDS.flatMap((k) => (k in body ? [[k, (body as Record<string, unknown>)[k]]] : [])),
  )
  return Object.keys(named).length === 0
    ? `${req.method} ${path}`
    : `${req.method} ${path} ${JSON.stringify(named)}`
}

/**
 * Installs the access hooks on the root instance; call before any route is registered, so that every
 * route (in every plugin) is classified and guarded. The request must be decorated with `identity` and
 * `readScope` (buildApi does it, with or without security).
 */
export function installAccessHook(
  app: FastifyInstance,
  security: Security,
  options: AccessHookOptions,
): void {
  const scopes = new WeakMap<Identity, ReadScope>()
  const scopeOf = (identity: Identity): ReadScope => {
    let scope = scopes.get(identity)
    if (scope === undefined) {
      scope = createReadScope(security.rules.permissions(identity).read)
      scopes.set(identity, scope)
    }
    return scope
  }
  // Requests the hook itself refused (already audited), and why a guarded change failed.
  const refusedHere = new WeakSet<FastifyRequest>()
  const failures = new WeakMap<FastifyRequest, string>()

  app.addHook('onRoute', (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method]
    const method = methods.find((m) => m !== 'HEAD') ?? 'GET'
    route.config = { ...route.config, access: routeAccess(method, route.url).access }
  })

  app.addHook('onRequest', async (req, reply) => {
    // Unknown URLs (the 404 handler) carry no access: their answer reveals nothing.
    const access = req.routeOptions.config.access
    if (access === undefined || access.kind === 'public') return
    if (access.kind === 'metrics' && options.publicMetrics) return
    const address = addressOf(req)
    // What was asked, for the audit trail: the method and the path as sent (no query string).
    const route = `${req.method} ${pathOf(req)}`
    const auth = await security.authenticateHttp(req.headers.authorization, address, route)
    if (!auth.ok) {
      refusedHere.add(req)
      if (auth.reason === 'busy') throw new SecurityBusy([auth.message])
      // Bearer only: a Basic challenge would make browsers open their own login dialog over the explorer.
      void reply.header('www-authenticate', 'Bearer realm="uns-bridge"')
      // Without credentials say what HTTP wants (the authenticator's message speaks of MQTT logins).
      const none = req.headers.authorization === undefined || req.headers.authorization.trim() === ''
      throw new SecurityUnauthenticated([
        none ? 'send an API token as `Authorization: Bearer <token>` (or a user with Basic)' : auth.message,
      ])
    }
    const identity = auth.identity
    req.identity = identity
    if (security.open) return
    const scope = scopeOf(identity)
    req.readScope = scope

    const refuse = (action: AuditAction, target: string, reason: string, audited: boolean): never => {
      refusedHere.add(req)
      if (!audited) {
        security.audit.record({ identity: identity.name, address, action, target, result: 'refused', reason })
      }
      throw new SecurityForbidden([identity.name, action, target || '(root)', reason])
    }
    const ask = (action: 'read' | 'write' | 'admin', target: string): void => {
      const d = security.authorize({ identity, address, action, target })
      if (!d.allowed) refuse(action, target, d.reason, true)
    }
    switch (access.kind) {
      case 'identified':
        return
      case 'metrics':
        return ask('read', '$SYS/metrics')
      case 'browse': {
        const path = access.path(req)
        if (!scope.canRead(path) && !scope.leadsTo(path))
          refuse('read', path, `no role grants read on ${path || 'anything'} or below it`, false)
        return
      }
      case 'search':
      case 'overview': {
        const p = security.rules.permissions(identity)
        if (p.read.length === 0 && !(access.kind === 'overview' && p.admin))
          refuse('read', route, 'no role grants read on anything', false)
        return
      }
      case 'read':
        // A missing filter is left to the route's validation (400).
        for (const filter of access.filters(req)) ask('read', filter)
        return
      case 'write':
        return ask('write', access.path(req))
      case 'admin':
        return ask('admin', route)
    }
  })

  app.addHook('onError', async (req, _reply, err) => {
    const code = (err as { code?: unknown }).code
    failures.set(req, typeof code === 'string' ? `${code}: ${err.message}` : err.message)
  })

  // Every write and registry or binding change, once answered: allowed, or failed with its reason.
  app.addHook('onResponse', async (req, reply) => {
    const access = req.routeOptions.config.access
    if (access === undefined || (access.kind !== 'write' && access.kind !== 'admin')) return
    if (req.method === 'GET' || req.method === 'HEAD' || refusedHere.has(req) || req.identity === null) return
    const session = { identity: req.identity, address: addressOf(req) }
    const target = access.kind === 'write' ? access.path(req) : changeTarget(req)
    if (reply.statusCode < 400) security.recordAllowed(session, access.kind, target)
    else {
      security.audit.record({
        identity: session.identity.name,
        address: session.address,
        action: access.kind,
        target,
        result: 'refused',
        reason: failures.get(req) ?? `HTTP ${reply.statusCode}`,
      })
    }
  })
}
