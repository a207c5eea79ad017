// `POST /nodes/{path}/write` with body `{value}` (issue 4 item 6), an encapsulated plugin the API
// registers with `{ prefix: '/api/v1', write: service.sparkplug.write }`. A Sparkplug-backed path becomes
// an NCMD/DCMD; other declared writable paths get the value published on MQTT.
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsync } from 'fastify'
import type {} from '@fastify/swagger'
import type { SparkplugApi } from '../../sparkplug/index.js'
import type { UnsValue } from '../../uns/index.js'

export interface WriteRoutesOptions {
  readonly write: SparkplugApi['write']
}

const SUFFIX = '/write'

export const writeRoutes: FastifyPluginAsync<WriteRoutesOptions> = async (app, { write }) => {
  app.post(
    '/nodes/*',
    {
      schema: {
        summary: 'Write a value to a writable tag (Sparkplug: NCMD/DCMD to the owning edge node or device)',
        description:
          'The URL is /nodes/{path}/write. Only tags the namespace declares `writable` may be written (403 otherwise).',
        params: Type.Object({ '*': Type.String() }),
        body: Type.Object(
          { value: Type.Unknown({ description: 'the new value; coerced to the Sparkplug BIRTH datatype' }) },
          { additionalProperties: false },
        ),
        response: {
          202: Type.Object({
            path: Type.String(),
            via: Type.Union([Type.Literal('sparkplug'), Type.Literal('mqtt')]),
            topic: Type.String({ description: 'the MQTT topic the command went to' }),
          }),
        },
      },
    },
    async (req, reply) => {
      const rest = (req.params as { '*': string })['*']
      // Fastify wildcards only end a URL, so the `/write` suffix is checked here.
      if (!rest.endsWith(SUFFIX) || rest.length === SUFFIX.length) return reply.callNotFound()
      const path = rest.slice(0, -SUFFIX.length)
      const { value } = req.body as { value: unknown }
      const r = await write(path, value as UnsValue, 'api')
      if (!r.ok) throw r.error
      return reply.status(202).send({ path, via: r.via, topic: r.topic })
    },
  )
}
