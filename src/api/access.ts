// Which access each HTTP route needs, decided once per route when it is registered (onRoute), so a request
// costs one property read. Deny by default: a route under /api/ that is not listed here needs `admin`, and
// test/api/access.test.ts fails for any such route, so a new data route cannot slip through unclassified.
// Decision record 0041 gives the reasons for each group.

/** What a route asks of the security stage (src/security); targets come from the request. */
export type RouteAccess =
  /** No credentials asked: liveness/readiness probes, the API description, the explorer's static files, and
   * `/mqtt` (MQTT over WebSocket authenticates with its CONNECT packet, as over TCP). */
  | { readonly kind: 'public' }
  /** `/metrics`: public unless `security.publicMetrics` is false, then `read` on `$SYS/metrics`. */
  | { readonly kind: 'metrics' }
  /** Any authenticated identity (`GET /api/v1/me`). */
  | { readonly kind: 'identified' }
  /** A node or a tree level: readable, or on the way to something readable (results are filtered). */
  | { readonly kind: 'browse'; readonly path: PathOf }
  /** `GET /api/v1/search`: some read grant; hits are limited to readable paths. */
  | { readonly kind: 'search' }
  /** `read` covering every requested filter or path (`values`, `stream`, `history`, dead letters). */
  | { readonly kind: 'read'; readonly filters: FiltersOf }
  /** `write` on a UNS path (`POST /api/v1/nodes/{path}/write`). */
  | { readonly kind: 'write'; readonly path: PathOf }
  /** Registry and Sparkplug overview reads: some read grant (schemas describe values, they are not values). */
  | { readonly kind: 'overview' }
  /** Registry and binding changes, rebirth, anything unlisted under /api/. */
  | { readonly kind: 'admin' }

/** The parts of a request a target is taken from (Fastify's request has them before validation). */
export interface RequestParts {
  readonly params: unknown
  readonly query: unknown
}
type PathOf = (req: RequestParts) => string
type FiltersOf = (req: RequestParts) => readonly string[]

const param = (req: RequestParts, name: string): string => {
  const v = (req.params as Record<string, unknown> | undefined)?.[name]
  return typeof v === 'string' ? v : ''
}
const query = (req: RequestParts, name: string): readonly string[] => {
  const v = (req.query as Record<string, unknown> | undefined)?.[name]
  if (typeof v === 'string') return [v]
  return Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []
}
const WRITE_SUFFIX = '/write'

/** Explicit entries, by `METHOD url` as registered (with the prefix). HEAD follows GET. */
const ROUTES: Readonly<Record<string, RouteAccess>> = {
  'GET /health/live': { kind: 'public' },
  'GET /health/ready': { kind: 'public' },
  'GET /metrics': { kind: 'metrics' },
  'GET /openapi.json': { kind: 'public' },
  'GET /mqtt': { kind: 'public' },
  'GET /api/v1/me': { kind: 'identified' },
  'GET /api/v1/tree': { kind: 'browse', path: (req) => query(req, 'path')[0] ?? '' },
  'GET /api/v1/nodes/*': { kind: 'browse', path: (req) => param(req, '*') },
  'GET /api/v1/search': { kind: 'search' },
  'GET /api/v1/values': { kind: 'read', filters: (req) => query(req, 'filter') },
  'GET /api/v1/stream': { kind: 'read', filters: (req) => query(req, 'filter') },
  'GET /api/v1/history/*': { kind: 'read', filters: (req) => [param(req, '*')] },
  // Dead letters hold refused payloads of any topic: only an identity that may read everything.
  'GET /api/v1/dlq': { kind: 'read', filters: () => ['#'] },
  'POST /api/v1/nodes/*': {
    kind: 'write',
    path: (req) => {
      const rest = param(req, '*')
      return rest.endsWith(WRITE_SUFFIX) ? rest.slice(0, -WRITE_SUFFIX.length) : rest
    },
  },
  'GET /api/v1/sparkplug/nodes': { kind: 'overview' },
  'POST /api/v1/sparkplug/nodes/:group/:edge/rebirth': { kind: 'admin' },
  // POSTs that change nothing: validating a payload, Confluent's schema lookup and compatibility test.
  'POST /api/v1/schemas/:subject/versions/:version/validate': { kind: 'overview' },
  'POST /subjects/:subject': { kind: 'overview' },
  'POST /compatibility/subjects/:subject/versions/:version': { kind: 'overview' },
}

// The schema registry, ours and the Confluent-compatible subset: reads are `overview`, changes `admin`.
const REGISTRY = [
  /^\/api\/v1\/schemas(\/|$)/,
  /^\/subjects(\/|$)/,
  /^\/schemas\//,
  /^\/config(\/|$)/,
  /^\/compatibility\//,
]

export interface ClassifiedAccess {
  readonly access: RouteAccess
  /** True when no rule above named the route and the default applied (tests list these). */
  readonly defaulted: boolean
}

/** The access a route needs, from its method and URL pattern as registered. */
export function routeAccess(method: string, url: string): ClassifiedAccess {
  const m = method === 'HEAD' ? 'GET' : method
  const listed = ROUTES[`${m} ${url}`]
  if (listed !== undefined) return { access: listed, defaulted: false }
  if (url === '/docs' || url.startsWith('/docs/')) return { access: { kind: 'public' }, defaulted: false }
  if (REGISTRY.some((r) => r.test(url))) {
    return { access: { kind: m === 'GET' ? 'overview' : 'admin' }, defaulted: false }
  }
  if (url === '/api' || url.startsWith('/api/')) return { access: { kind: 'admin' }, defaulted: true }
  // Outside the API prefixes only static files are served (the explorer's page and modules): they hold
  // no data, and the page must load before it can ask for a token. Anything else there needs admin.
  if (m === 'GET') return { access: { kind: 'public' }, defaulted: true }
  return { access: { kind: 'admin' }, defaulted: true }
}
