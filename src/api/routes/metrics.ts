import type { FastifyPluginAsync } from 'fastify'
import type { Registry } from 'prom-client'

export const metricsRoutes: FastifyPluginAsync<{ registry: Registry }> = async (app, opts) => {
  app.get(
    '/metrics',
    { schema: { summary: 'Prometheus metrics', tags: ['health'] } },
    async (_req, reply) => {
      return reply.type(opts.registry.contentType).send(await opts.registry.metrics())
    },
  )
}
