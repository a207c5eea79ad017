// `GET /sparkplug/nodes` and `POST /sparkplug/nodes/{group}/{edge}/rebirth` (issue 4 item 7), an
// encapsulated plugin the API registers with `{ prefix: '/api/v1', sparkplug: service.sparkplug }`.
import { Type } from '@sinclair/typebox'
import type { FastifyPluginAsync } from 'fastify'
import type {} from '@fastify/swagger'
import type { NodeInfo, SparkplugApi } from '../../sparkplug/index.js'

export interface SparkplugRoutesOptions {
  readonly sparkplug: Pick<SparkplugApi, 'nodes' | 'rebirth'>
}

const Millis = Type.Union([Type.Integer({ description: 'epoch milliseconds' }), Type.Null()])
const Device = Type.Object({
  device: Type.String(),
  online: Type.Boolean(),
  birthTime: Millis,
  deathTime: Millis,
  metricCount: Type.Integer(),
})
const EdgeNode = Type.Object({
  group: Type.String(),
  edge: Type.String(),
  online: Type.Boolean(),
  bdSeq: Type.Union([Type.String({ description: 'decimal, exact (UInt64)' }), Type.Null()]),
  lastSeq: Type.Union([Type.Integer({ minimum: 0, maximum: 255 }), Type.Null()]),
  birthTime: Millis,
  deathTime: Millis,
  metricCount: Type.Integer(),
  devices: Type.Array(Device),
})
const Group = Type.Object({ group: Type.String(), nodes: Type.Array(EdgeNode) })
const NodeParams = Type.Object({ group: Type.String({ minLength: 1 }), edge: Type.String({ minLength: 1 }) })

const toOut = (n: NodeInfo) => ({
  group: n.group,
  edge: n.edge,
  online: n.online,
  bdSeq: n.bdSeq === undefined ? null : String(n.bdSeq),
  lastSeq: n.lastSeq ?? null,
  birthTime: n.birthTime ?? null,
  deathTime: n.deathTime ?? null,
  metricCount: n.metricCount,
  devices: n.devices.map((d) => ({
    device: d.device,
    online: d.online,
    birthTime: d.birthTime ?? null,
    deathTime: d.deathTime ?? null,
    metricCount: d.metricCount,
  })),
})

export const sparkplugRoutes: FastifyPluginAsync<SparkplugRoutesOptions> = async (app, { sparkplug }) => {
  app.get(
    '/sparkplug/nodes',
    {
      schema: {
        summary: 'Sparkplug groups, edge nodes and devices as this host application sees them',
        response: { 200: Type.Object({ groups: Type.Array(Group) }) },
      },
    },
    async () => {
      const groups = new Map<string, ReturnType<typeof toOut>[]>()
      for (const n of sparkplug.nodes()) {
        const list = groups.get(n.group) ?? []
        list.push(toOut(n))
        groups.set(n.group, list)
      }
      return {
        groups: [...groups.entries()]
          .sort(([a], [b]) => a.localeCompare(b))
          .map(([group, nodes]) => ({ group, nodes: nodes.sort((a, b) => a.edge.localeCompare(b.edge)) })),
      }
    },
  )

  app.post(
    '/sparkplug/nodes/:group/:edge/rebirth',
    {
      schema: {
        summary: 'Ask an edge node to publish its birth certificates again (NCMD Node Control/Rebirth)',
        params: NodeParams,
        response: { 202: Type.Object({ topic: Type.String({ description: 'the NCMD topic published' }) }) },
      },
    },
    async (req, reply) => {
      const { group, edge } = req.params as { group: string; edge: string }
      const sent = await sparkplug.rebirth(group, edge)
      return reply.status(202).send(sent)
    },
  )
}
