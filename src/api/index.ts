import type { Duplex } from 'node:stream'
import type { Server as HttpsServer } from 'node:https'
import type { TlsOptions } from 'node:tls'
import Fastify, {
  LogController,
  type FastifyBaseLogger,
  type FastifyHttpsOptions,
  type FastifyInstance,
  type FastifyServerOptions,
} from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { Registry } from 'prom-client'
import type { Logger } from '../logger.js'
import type { NamespaceTree } from '../namespace/index.js'
import type { Registry as SchemaRegistry } from '../registry/index.js'
import type { Security } from '../security/index.js'
import { addressOf, installAccessHook } from './access-hook.js'
import { routeAccess } from './access.js'
import { installErrorHandler } from './error-handler.js'
import { healthRoutes, type HealthReport } from './routes/health.js'
import { meRoutes } from './routes/me.js'
import { metricsRoutes } from './routes/metrics.js'
import { mqttWebSocketRoutes } from './routes/mqtt-websocket.js'
import { namespaceRoutes } from './routes/namespace.js'
import { registryRoutes } from './routes/registry.js'
import { confluentRoutes } from './routes/registry-confluent.js'
import { streamRoutes, type StreamOptions } from './routes/stream.js'
import { sparkplugRoutes } from './routes/sparkplug.js'
import { writeRoutes } from './routes/write.js'
import { explorerRoutes } from './routes/explorer.js'
import { historyRoutes } from './routes/history.js'
import type { DeadLetters, History } from '../history/index.js'
import type { SparkplugApi } from '../sparkplug/index.js'

export type { HealthReport, ReadinessPart } from './routes/health.js'
export type { StreamOptions } from './routes/stream.js'

declare module 'fastify' {
  interface FastifyInstance {
    /** Open `GET /api/v1/stream` (SSE) connections, for a gauge. */
    streamClients(): number
  }
}

export interface ApiDeps {
  readonly logger: Logger
  readonly health: () => HealthReport
  readonly metricsRegistry: Registry
  readonly handleMqttStream: (stream: Duplex) => void
  /**
   * The live namespace behind `/api/v1/tree`, `nodes`, `values`, `search` and `stream`; those routes
   * exist only when it is given.
   */
  readonly tree?: NamespaceTree
  /** Live stream (SSE) settings; default `{ throttleMs: 250, heartbeatMs: 15000 }`. */
  readonly stream?: StreamOptions
  /**
   * The schema registry behind `/api/v1/schemas` and the Confluent-compatible subset at the root
   * (`/subjects`, `/schemas/ids/{id}`, `/compatibility/...`, `/config/...`); absent: no such routes.
   */
  readonly schemaRegistry?: SchemaRegistry
  /** The Sparkplug host behind `/api/v1/sparkplug/...` and `POST /api/v1/nodes/{path}/write`. */
  readonly sparkplug?: SparkplugApi
  /** History and dead letters behind `/api/v1/history/{path}` and `/api/v1/dlq` (issue 14). */
  readonly history?: { readonly history: History; readonly deadLetters: DeadLetters }
  /** Serve the web explorer at `/` (default true). */
  readonly explorer?: boolean
  /**
   * Guards every route (access.ts, access-hook.ts) and serves `GET /api/v1/me`. Absent: no access control
   * at all (tests of single route groups); the service always passes it.
   */
  readonly security?: Security
  readonly http?: ApiHttpOptions
}

export interface ApiHttpOptions {
  /** HTTPS (and WSS at /mqtt) with these options (`createReloadableTls().serverOptions()`); absent: HTTP. */
  readonly https?: TlsOptions
  /** `http.websocketOrigins`. Default: none besides the server's own. */
  readonly websocketOrigins?: readonly string[]
  /** `security.publicMetrics`. Default true. */
  readonly publicMetrics?: boolean
}

// OpenAPI: how clients authenticate (issue 12); routes that need it say so in `security`.
const SECURITY_SCHEMES = {
  bearerAuth: {
    type: 'http',
    scheme: 'bearer',
    description: 'An API token (security.tokens) or a JWT (security.jwt)',
  },
  basicAuth: { type: 'http', scheme: 'basic', description: 'A user (security.users) and password' },
} as const
const PROBLEM = {
  content: {
    'application/problem+json': {
      schema: {
        type: 'object',
        properties: {
          type: { type: 'string' },
          title: { type: 'string' },
          status: { type: 'integer' },
          detail: { type: 'string' },
          code: { type: 'string' },
        },
      },
    },
  },
}

const DEFAULT_STREAM: StreamOptions = { throttleMs: 250 }

/** Builds the HTTP app without listening (server code listens; tests use inject). */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const options = {
    // pino's Logger and fastify's FastifyBaseLogger differ only in typing (msgPrefix).
    loggerInstance: deps.logger.child({ stage: 'api' }) as FastifyBaseLogger,
    // One log line per request would drown the log under load; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
  } satisfies FastifyServerOptions
  const https = deps.http?.https
  // An HTTPS Fastify is typed over https.Server; the routes use nothing that differs.
  const app =
    https === undefined
      ? Fastify(options)
      : (Fastify({ ...options, https } as FastifyHttpsOptions<HttpsServer>) as unknown as FastifyInstance)
  installErrorHandler(app)
  app.decorateRequest('identity', null)
  app.decorateRequest('readScope', null)
  const { security } = deps
  // Before any route, so every route in every plugin is classified and guarded.
  if (security !== undefined)
    installAccessHook(app, security, { publicMetrics: deps.http?.publicMetrics ?? true })
  await app.register(swagger, {
    openapi: {
      info: { title: 'uns-bridge', version: '0.1.0', description: 'Unified Namespace hub API' },
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    // Each operation says whether it needs credentials, and documents the 401/403 answers if so.
    transform: ({ schema, url, route }) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method]
      const { access } = routeAccess(methods.find((m) => m !== 'HEAD') ?? 'GET', url)
      const open =
        access.kind === 'public' || (access.kind === 'metrics' && deps.http?.publicMetrics !== false)
      const base = (schema ?? {}) as Record<string, unknown>
      const transformed = open
        ? { ...base, security: [] }
        : {
            ...base,
            security: [{ bearerAuth: [] }, { basicAuth: [] }],
            response: {
              ...(base['response'] as Record<string, unknown> | undefined),
              401: { description: 'No or wrong credentials (UNS_ERR_SECURITY_UNAUTHENTICATED)', ...PROBLEM },
              403: { description: 'The roles do not allow it (UNS_ERR_SECURITY_FORBIDDEN)', ...PROBLEM },
            },
          }
      return { schema: transformed as typeof schema, url }
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  await app.register(healthRoutes, { health: deps.health })
  await app.register(metricsRoutes, { registry: deps.metricsRegistry })
  await app.register(mqttWebSocketRoutes, {
    handleStream: deps.handleMqttStream,
    origins: deps.http?.websocketOrigins ?? [],
    onRefused: (origin, req) =>
      security?.audit.record({
        identity: 'anonymous',
        address: addressOf(req),
        action: 'connect',
        target: '/mqtt',
        result: 'refused',
        reason: `WebSocket Origin ${origin} is not allowed (http.websocketOrigins)`,
      }),
  })
  if (security !== undefined) await app.register(meRoutes, { prefix: '/api/v1', security })
  const streams = { clients: 0 }
  app.decorate('streamClients', () => streams.clients)
  if (deps.tree !== undefined) {
    await app.register(namespaceRoutes, { prefix: '/api/v1', tree: deps.tree })
    const stream = deps.stream ?? DEFAULT_STREAM
    await app.register(streamRoutes, { prefix: '/api/v1', tree: deps.tree, ...stream, counter: streams })
  }
  if (deps.sparkplug !== undefined) {
    await app.register(sparkplugRoutes, { prefix: '/api/v1', sparkplug: deps.sparkplug })
    await app.register(writeRoutes, { prefix: '/api/v1', write: deps.sparkplug.write })
  }
  if (deps.schemaRegistry !== undefined) {
    await app.register(registryRoutes, { prefix: '/api/v1', registry: deps.schemaRegistry })
    await app.register(confluentRoutes, { registry: deps.schemaRegistry })
  }
  if (deps.history !== undefined) await app.register(historyRoutes, { prefix: '/api/v1', ...deps.history })
  if (deps.explorer !== false) await app.register(explorerRoutes)
  return app
}
