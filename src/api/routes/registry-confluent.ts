// The Confluent Schema Registry REST subset (API v1, schemaType JSON) so Kafka clients such as
// @kafkajs/confluent-schema-registry work against uns-bridge. Mount it where clients expect the
// registry root (its `host` option). Confluent's error body is `{ error_code, message }`, so this
// plugin has its own error handler instead of the API's problem+json one.
import type { FastifyError, FastifyPluginAsync } from 'fastify'
import { UnsError } from '../../errors.js'
import { type Registry, type Compatibility } from '../../registry/index.js'

export interface ConfluentRoutesOptions {
  readonly registry: Registry
}

const CONTENT_TYPE = 'application/vnd.schemaregistry.v1+json'

// Confluent error codes (io.confluent.kafka.schemaregistry.rest.exceptions.Errors).
const ERROR_CODES: Record<string, number> = {
  UNS_ERR_REGISTRY_SUBJECT_NOT_FOUND: 40401,
  UNS_ERR_REGISTRY_VERSION_NOT_FOUND: 40402,
  UNS_ERR_REGISTRY_SCHEMA_NOT_FOUND: 40403,
  UNS_ERR_REGISTRY_INCOMPATIBLE: 409,
  UNS_ERR_REGISTRY_SCHEMA_INVALID: 42201,
  UNS_ERR_REGISTRY_SUBJECT_INVALID: 42201,
  UNS_ERR_REGISTRY_VERSION_INVALID: 42202,
  UNS_ERR_REGISTRY_COMPATIBILITY_INVALID: 42203,
  // The access hook (access-hook.ts) runs before these routes; Confluent's RBAC answers with these codes.
  UNS_ERR_SECURITY_UNAUTHENTICATED: 40101,
  UNS_ERR_SECURITY_FORBIDDEN: 40301,
  UNS_ERR_SECURITY_BUSY: 50301,
}

const SchemaBody = {
  type: 'object',
  required: ['schema'],
  properties: {
    schema: { type: 'string' },
    schemaType: { type: 'string' },
    references: { type: 'array' },
  },
} as const
const LevelBody = {
  type: 'object',
  required: ['compatibility'],
  properties: { compatibility: { type: 'string' } },
} as const

type SchemaReq = {
  Params: { subject: string; version?: string }
  Body: { schema: string; schemaType?: string; references?: unknown[] }
}

export const confluentRoutes: FastifyPluginAsync<ConfluentRoutesOptions> = async (app, { registry }) => {
  app.addContentTypeParser(
    [CONTENT_TYPE, 'application/vnd.schemaregistry+json'],
    { parseAs: 'string' },
    app.getDefaultJsonParser('ignore', 'ignore'),
  )
  app.addHook('onSend', async (_req, reply, payload) => {
    reply.header('content-type', CONTENT_TYPE)
    return payload
  })
  app.setErrorHandler((err: FastifyError | UnsError, _req, reply) => {
    if (err instanceof UnsError) {
      const reasons = (err.details['reasons'] as { message: string }[] | undefined)?.map((r) => r.message)
      const message = reasons ? `${err.message}; details: ${JSON.stringify(reasons)}` : err.message
      return reply.code(err.statusCode).send({ error_code: ERROR_CODES[err.code] ?? 50001, message })
    }
    if (err.validation) return reply.code(422).send({ error_code: 42201, message: err.message })
    const status = err.statusCode ?? 500
    return reply.code(status).send({
      error_code: status >= 500 ? 50001 : status,
      message: status >= 500 ? 'Internal error' : err.message,
    })
  })
  const options = (body: SchemaReq['Body']) => ({
    ...(body.schemaType !== undefined && { schemaType: body.schemaType }),
    ...(body.references !== undefined && { references: body.references }),
  })

  app.get('/subjects', async () => registry.listSubjects())
  app.get<{ Params: { subject: string } }>('/subjects/:subject/versions', async (req) =>
    registry.listVersions(req.params.subject),
  )
  app.get<{ Params: { subject: string; version: string } }>(
    '/subjects/:subject/versions/:version',
    async (req) => {
      const { subject, version, id, schema } = registry.getVersion(req.params.subject, req.params.version)
      return { subject, version, id, schemaType: 'JSON', schema }
    },
  )
  app.get<{ Params: { subject: string; version: string } }>(
    '/subjects/:subject/versions/:version/schema',
    async (req, reply) => reply.send(registry.getVersion(req.params.subject, req.params.version).schema),
  )
  app.post<SchemaReq>('/subjects/:subject/versions', { schema: { body: SchemaBody } }, async (req) => {
    const v = await registry.register(req.params.subject, req.body.schema, options(req.body))
    return { id: v.id }
  })
  // Lookup: is this exact schema already a version of the subject?
  app.post<SchemaReq>('/subjects/:subject', { schema: { body: SchemaBody } }, async (req, reply) => {
    const v = registry.lookup(req.params.subject, req.body.schema, options(req.body))
    if (v === undefined) return reply.code(404).send({ error_code: 40403, message: 'Schema not found' })
    return { subject: v.subject, version: v.version, id: v.id, schemaType: 'JSON', schema: v.schema }
  })
  app.get<{ Params: { id: string } }>('/schemas/ids/:id', async (req) => {
    const { schema } = registry.getSchemaById(Number(req.params.id))
    return { schemaType: 'JSON', schema }
  })
  app.get<{ Params: { id: string } }>('/schemas/ids/:id/versions', async (req) => {
    registry.getSchemaById(Number(req.params.id))
    return registry.subjectsOfId(Number(req.params.id))
  })
  app.post<SchemaReq>(
    '/compatibility/subjects/:subject/versions/:version',
    { schema: { body: SchemaBody } },
    async (req) => {
      const result = registry.testCompatibility(
        req.params.subject,
        req.body.schema,
        req.params.version,
        options(req.body),
      )
      return { is_compatible: result.compatible, messages: result.reasons.map((r) => r.message) }
    },
  )
  app.get('/config', async () => ({ compatibilityLevel: registry.getCompatibility() }))
  app.put<{ Body: { compatibility: string } }>('/config', { schema: { body: LevelBody } }, async (req) => ({
    compatibility: await registry.setCompatibility(null, req.body.compatibility as Compatibility),
  }))
  app.get<{ Params: { subject: string }; Querystring: { defaultToGlobal?: string } }>(
    '/config/:subject',
    async (req, reply) => {
      const own = registry.getOwnCompatibility(req.params.subject)
      if (own !== undefined) return { compatibilityLevel: own }
      if (req.query.defaultToGlobal === 'true') return { compatibilityLevel: registry.getCompatibility() }
      return reply.code(404).send({
        error_code: 40408,
        message: `Subject '${req.params.subject}' does not have subject-level compatibility configured`,
      })
    },
  )
  app.put<{ Params: { subject: string }; Body: { compatibility: string } }>(
    '/config/:subject',
    { schema: { body: LevelBody } },
    async (req) => {
      await registry.setCompatibility(req.params.subject, req.body.compatibility as Compatibility)
      return { compatibility: req.body.compatibility }
    },
  )
}
