// `GET /api/v1/me`: who the caller is and what it may do, so the web explorer shows only the forms it may
// use. The filters are the role grants with `${username}` filled in; with nothing configured (open mode)
// everyone is anonymous and may do everything.
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsync } from 'fastify'
import type {} from '@fastify/swagger'
import type { Security } from '../../security/index.js'

export interface MeRoutesOptions {
  readonly security: Pick<Security, 'open' | 'rules'>
}

const Filters = Type.Array(Type.String(), { description: 'MQTT topic filters over UNS paths' })

export const meRoutes: FastifyPluginAsync<MeRoutesOptions> = async (app, { security }) => {
  app.get(
    '/me',
    {
      schema: {
        summary: 'The caller: identity, roles, and the filters it may read and write',
        tags: ['security'],
        response: {
          200: Type.Object({
            identity: Type.String({ description: 'username, token name, JWT subject or anonymous' }),
            kind: Type.String({ description: 'user, token or anonymous' }),
            roles: Type.Array(Type.String()),
            open: Type.Boolean({ description: 'no security configured: everything is allowed' }),
            can: Type.Object({
              read: Filters,
              write: Filters,
              admin: Type.Boolean({ description: 'registry and binding changes, rebirth' }),
            }),
          }),
        },
      },
    },
    async (req) => {
      // The access hook authenticated the request ('identified' route); without it, no rights at all.
      const identity = req.identity ?? { name: 'anonymous', kind: 'anonymous', roles: [] }
      const p =
        req.identity === null
          ? { read: [], write: [], admin: false }
          : security.rules.permissions(req.identity)
      return {
        identity: identity.name,
        kind: identity.kind,
        roles: [...identity.roles],
        open: security.open,
        can: { read: [...p.read], write: [...p.write], admin: p.admin },
      }
    },
  )
}
