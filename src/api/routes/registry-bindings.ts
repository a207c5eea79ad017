// REST for schema bindings under `/schemas/bindings` (issue 5 §3): which subject validates which MQTT
// topic filter, namespace subtree or model, and under which policy. Registered by registryRoutes, so it
// shares its prefix and the API's problem+json error handler.
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyPluginAsync } from 'fastify'
import type {} from '@fastify/swagger'
import { RegistryBindingInvalid, RegistryBindingNotFound } from '../../errors.js'
import { type Registry, type Binding, type BindingSpec } from '../../registry/index.js'

const Policy = Type.Union([Type.Literal('reject'), Type.Literal('warn'), Type.Literal('off')], {
  description: 'reject: dead-letter an invalid value; warn: accept it flagged and counted; off: no check',
})
const Target = Type.Union([Type.Literal('value'), Type.Literal('envelope')], {
  description: 'validate the bare value (default) or the UNS envelope {value, timestamp, quality, datatype}',
})
const Version = Type.Union([Type.Integer({ minimum: 1 }), Type.Literal('latest')], {
  description: 'pinned version, or latest (default): follows new versions',
})
const Match = {
  filter: Type.Optional(
    Type.String({ minLength: 1, description: 'MQTT topic filter with + and # wildcards' }),
  ),
  prefix: Type.Optional(
    Type.String({ minLength: 1, description: 'namespace subtree: this path and everything below' }),
  ),
  model: Type.Optional(
    Type.String({ minLength: 1, description: 'namespace model, any version (Filler) or one (Filler@2)' }),
  ),
}
const BindingIn = Type.Object(
  {
    id: Type.Optional(
      Type.String({ minLength: 1, description: 'default: topic:<filter>, path:<prefix>, model:<model>' }),
    ),
    subject: Type.String({ minLength: 1 }),
    version: Type.Optional(Version),
    policy: Policy,
    target: Type.Optional(Target),
    ...Match,
  },
  { additionalProperties: false, description: 'give exactly one of filter, prefix, model' },
)
const BindingOut = Type.Object({
  id: Type.String(),
  subject: Type.String(),
  version: Version,
  policy: Policy,
  target: Target,
  ...Match,
})

const toOut = (b: Binding): Static<typeof BindingOut> => ({
  id: b.id,
  subject: b.subject,
  version: b.version,
  policy: b.policy,
  target: b.target,
  ...(b.topicFilter === undefined ? {} : { filter: b.topicFilter }),
  ...(b.pathPrefix === undefined ? {} : { prefix: b.pathPrefix }),
  ...(b.model === undefined ? {} : { model: b.model }),
})

export const bindingRoutes: FastifyPluginAsync<{ registry: Registry }> = async (app, { registry }) => {
  app.get(
    '/schemas/bindings',
    {
      schema: {
        summary: 'List schema bindings',
        tags: ['schemas'],
        response: { 200: Type.Array(BindingOut) },
      },
    },
    async () => registry.listBindings().map(toOut),
  )

  app.post<{ Body: Static<typeof BindingIn> }>(
    '/schemas/bindings',
    {
      schema: {
        summary:
          'Bind a subject to a topic filter, namespace subtree or model (replaces a binding with the same id)',
        tags: ['schemas'],
        body: BindingIn,
        response: { 201: BindingOut },
      },
    },
    async (req, reply) => {
      const { filter, prefix, model, ...rest } = req.body
      const given = [filter, prefix, model].filter((x) => x !== undefined).length
      if (given !== 1) throw new RegistryBindingInvalid(['give exactly one of filter, prefix, model'])
      const spec: BindingSpec = {
        ...rest,
        ...(filter === undefined ? {} : { topicFilter: filter }),
        ...(prefix === undefined ? {} : { pathPrefix: prefix }),
        ...(model === undefined ? {} : { model }),
      }
      return reply.code(201).send(toOut(await registry.bind(spec)))
    },
  )

  app.delete<{ Params: { id: string } }>(
    '/schemas/bindings/:id',
    {
      schema: {
        summary: 'Remove a binding (URL-encode the id: topic:a/+/b becomes topic%3Aa%2F%2B%2Fb)',
        tags: ['schemas'],
        params: Type.Object({ id: Type.String({ minLength: 1 }) }),
        response: { 204: Type.Null() },
      },
    },
    async (req, reply) => {
      if (!(await registry.unbind(req.params.id))) {
        throw new RegistryBindingNotFound([req.params.id], { id: req.params.id })
      }
      return reply.code(204).send()
    },
  )
}
