// REST routes of the registry under `/schemas` (PRODUCT.md §6), an encapsulated Fastify plugin the
// API registers with `{ prefix: '/api/v1', registry }`. Errors are thrown as UnsErrors and left to
// the API's one error handler (STYLE.md "API responses").
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsync } from 'fastify'
// Brings the OpenAPI fields (summary, description) into FastifySchema; the API registers the swagger plugin.
import type {} from '@fastify/swagger'
import { bindingRoutes } from './registry-bindings.js'
import { type Registry, COMPATIBILITY_LEVELS, type SchemaVersion } from '../../registry/index.js'

export interface RegistryRoutesOptions {
  readonly registry: Registry
}

const Subject = Type.Object({ subject: Type.String({ minLength: 1 }) })
const SubjectVersion = Type.Object({
  subject: Type.String({ minLength: 1 }),
  version: Type.String({ pattern: '^(latest|-1|[0-9]+)$', description: 'a version number or latest' }),
})
const Level = Type.Union(COMPATIBILITY_LEVELS.map((l) => Type.Literal(l)))
const VersionOut = Type.Object({
  subject: Type.String(),
  version: Type.Integer(),
  id: Type.Integer(),
  schemaType: Type.Literal('JSON'),
  schema: Type.Unknown({ description: 'the JSON Schema document' }),
  registeredAt: Type.Integer({ description: 'epoch milliseconds' }),
})
const ValidationOut = Type.Object({
  ok: Type.Boolean(),
  errors: Type.Optional(Type.Array(Type.Object({ instancePath: Type.String(), message: Type.String() }))),
  code: Type.Optional(Type.String()),
})

const toOut = (v: SchemaVersion) => ({ ...v, schema: JSON.parse(v.schema) as unknown })

export const registryRoutes: FastifyPluginAsync<RegistryRoutesOptions> = async (app, { registry }) => {
  await app.register(bindingRoutes, { registry })
  app.get(
    '/schemas',
    {
      schema: {
        summary: 'List subjects with their versions and compatibility',
        response: {
          200: Type.Array(
            Type.Object({
              subject: Type.String(),
              versions: Type.Array(Type.Integer()),
              compatibility: Level,
            }),
          ),
        },
      },
    },
    async () =>
      registry.listSubjects().map((subject) => ({
        subject,
        versions: registry.listVersions(subject),
        compatibility: registry.getCompatibility(subject),
      })),
  )

  app.get<{ Params: { subject: string } }>(
    '/schemas/:subject/versions',
    {
      schema: {
        summary: 'List the versions of a subject',
        params: Subject,
        response: { 200: Type.Array(Type.Integer()) },
      },
    },
    async (req) => registry.listVersions(req.params.subject),
  )

  app.get<{ Params: { subject: string; version: string } }>(
    '/schemas/:subject/versions/:version',
    {
      schema: {
        summary: 'Get one version (or latest)',
        params: SubjectVersion,
        response: { 200: VersionOut },
      },
    },
    async (req) => toOut(registry.getVersion(req.params.subject, req.params.version)),
  )

  app.post<{ Params: { subject: string }; Body: { schema: unknown; schemaType?: string } }>(
    '/schemas/:subject/versions',
    {
      schema: {
        summary: 'Register a schema as the next version; refused with 409 and the reasons when incompatible',
        params: Subject,
        body: Type.Object({
          schema: Type.Union([
            Type.Object({}, { additionalProperties: true }),
            Type.Boolean(),
            Type.String(),
          ]),
          schemaType: Type.Optional(Type.Literal('JSON')),
        }),
        response: { 201: VersionOut },
      },
    },
    async (req, reply) => {
      const { schema, schemaType } = req.body
      const v = await registry.register(
        req.params.subject,
        schema,
        schemaType === undefined ? {} : { schemaType },
      )
      return reply.code(201).send(toOut(v))
    },
  )

  app.get<{ Params: { subject: string } }>(
    '/schemas/:subject/compatibility',
    {
      schema: {
        summary: "A subject's effective compatibility level, and whether it is its own",
        params: Subject,
        response: { 200: Type.Object({ compatibility: Level, own: Type.Boolean() }) },
      },
    },
    async (req) => ({
      compatibility: registry.getCompatibility(req.params.subject),
      own: registry.getOwnCompatibility(req.params.subject) !== undefined,
    }),
  )

  app.put<{
    Params: { subject: string }
    Body: { compatibility: (typeof COMPATIBILITY_LEVELS)[number] | null }
  }>(
    '/schemas/:subject/compatibility',
    {
      schema: {
        summary: "Set a subject's compatibility level (null: follow the global level)",
        params: Subject,
        body: Type.Object({ compatibility: Type.Union([Level, Type.Null()]) }),
        response: { 200: Type.Object({ compatibility: Level }) },
      },
    },
    async (req) => ({
      compatibility: await registry.setCompatibility(req.params.subject, req.body.compatibility),
    }),
  )

  app.post<{ Params: { subject: string; version: string }; Body: { value: unknown } }>(
    '/schemas/:subject/versions/:version/validate',
    {
      schema: {
        summary: 'Test a payload against a version; 200 with ok false and the errors when it is invalid',
        params: SubjectVersion,
        body: Type.Object({ value: Type.Unknown() }),
        response: { 200: ValidationOut },
      },
    },
    async (req) => {
      // Resolve first so an unknown subject or version is a 404, not an invalid payload.
      const v = registry.getVersion(req.params.subject, req.params.version)
      return registry.validate(v.subject, v.version, req.body.value)
    },
  )
}
