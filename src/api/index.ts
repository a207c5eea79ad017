import type { Duplex } from 'node:stream'
import Fastify, { LogController, type FastifyBaseLogger, type FastifyInstance } from 'fastify'
import swagger from '@fastify/swagger'
import swaggerUi from '@fastify/swagger-ui'
import type { Registry } from 'prom-client'
import type { Logger } from '../logger.js'
import { installErrorHandler } from './error-handler.js'
import { healthRoutes, type HealthReport } from './routes/health.js'
import { metricsRoutes } from './routes/metrics.js'
import { mqttWebSocketRoutes } from './routes/mqtt-websocket.js'

export type { HealthReport } from './routes/health.js'

export interface ApiDeps {
  readonly logger: Logger
  readonly health: () => HealthReport
  readonly metricsRegistry: Registry
  readonly handleMqttStream: (stream: Duplex) => void
}

/** Builds the HTTP app without listening (server code listens; tests use inject). */
export async function buildApi(deps: ApiDeps): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's Logger and fastify's FastifyBaseLogger differ only in typing (msgPrefix).
    loggerInstance: deps.logger.child({ stage: 'api' }) as FastifyBaseLogger,
    // One log line per request would drown the log under load; errors are still logged.
    logController: new LogController({ disableRequestLogging: true }),
  })
  installErrorHandler(app)
  await app.register(swagger, {
    openapi: {
      info: { title: 'uns-bridge', version: '0.1.0', description: 'Unified Namespace hub API' },
    },
  })
  await app.register(swaggerUi, { routePrefix: '/docs' })
  app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger())
  await app.register(healthRoutes, { health: deps.health })
  await app.register(metricsRoutes, { registry: deps.metricsRegistry })
  await app.register(mqttWebSocketRoutes, { handleStream: deps.handleMqttStream })
  return app
}
