import type { FastifyPluginAsync } from 'fastify'

/** What readiness waits for; each has its own field in the report that says why. */
export type ReadinessPart = 'mqtt' | 'kafka' | 'state' | 'registry' | 'redis'

export interface HealthReport {
  /** Ready: MQTT is listening, Kafka connected with the state topic restored (or Kafka disabled), registry restored. */
  readonly ready: boolean
  /**
   * The parts not ready yet: `mqtt` (listener), `kafka` (producer not connected: `kafka.lastError`),
   * `state` (state topic not restored: `kafka.restoreError`, `kafka.topicsError`), `registry`
   * (registry topic not restored: `registry.lastError`), `redis` (cluster.redis set and a connection
   * not ready: `redis.lastError`). Empty when ready; the service always sets it.
   */
  readonly waitingFor?: readonly ReadinessPart[]
  readonly mqtt: { readonly listening: boolean; readonly clients: number }
  readonly kafka: {
    readonly state: string
    readonly consumer?: string
    readonly restored?: boolean
    readonly bufferedRecords?: number
    readonly lastError?: string
    readonly restoreError?: string
    readonly consumerError?: string
    readonly topicsError?: string
  }
  /** Schema registry: `persistent` once restored from the registry topic; `memory` without Kafka. */
  readonly registry?: {
    readonly state: string
    readonly ready: boolean
    readonly topic?: string
    readonly attempts?: number
    readonly lastError?: string
  }
  /** The Redis MQTT fabric (cluster.redis); absent in single-process mode. */
  readonly redis?: { readonly state: string; readonly lastError?: string }
}

const readySchema = {
  type: 'object',
  required: ['ready', 'mqtt', 'kafka'],
  properties: {
    ready: { type: 'boolean' },
    waitingFor: {
      type: 'array',
      items: { type: 'string', enum: ['mqtt', 'kafka', 'state', 'registry', 'redis'] },
    },
    mqtt: {
      type: 'object',
      properties: { listening: { type: 'boolean' }, clients: { type: 'integer' } },
    },
    kafka: {
      type: 'object',
      properties: {
        state: { type: 'string', enum: ['disabled', 'connecting', 'connected', 'disconnected', 'closed'] },
        consumer: { type: 'string' },
        restored: { type: 'boolean' },
        bufferedRecords: { type: 'integer' },
        lastError: { type: 'string', description: 'Why the producer is not connected' },
        restoreError: { type: 'string', description: 'Why the state topic is not restored yet' },
        consumerError: { type: 'string', description: 'Why the Kafka -> MQTT consumer is not running' },
        topicsError: {
          type: 'string',
          description: 'Topics that are missing and may not or could not be created',
        },
      },
    },
    registry: {
      type: 'object',
      properties: {
        state: { type: 'string', enum: ['memory', 'restoring', 'persistent', 'closed'] },
        ready: { type: 'boolean' },
        topic: { type: 'string' },
        attempts: { type: 'integer' },
        lastError: { type: 'string' },
      },
    },
    redis: {
      type: 'object',
      properties: {
        state: { type: 'string', enum: ['ready', 'connecting', 'disconnected', 'closed'] },
        lastError: { type: 'string', description: 'Why a Redis connection is not ready' },
      },
    },
  },
} as const

export const healthRoutes: FastifyPluginAsync<{ health: () => HealthReport }> = async (app, opts) => {
  app.get(
    '/health/live',
    {
      schema: {
        summary: 'Liveness: the process serves HTTP',
        tags: ['health'],
        response: { 200: { type: 'object', properties: { status: { type: 'string' } } } },
      },
    },
    async () => ({ status: 'ok' }),
  )
  app.get(
    '/health/ready',
    {
      schema: {
        summary:
          'Readiness: MQTT listening, Kafka connected (or disabled) and the schema registry restored; 503 otherwise',
        tags: ['health'],
        response: { 200: readySchema, 503: readySchema },
      },
    },
    async (_req, reply) => {
      const report = opts.health()
      return reply.status(report.ready ? 200 : 503).send(report)
    },
  )
}
