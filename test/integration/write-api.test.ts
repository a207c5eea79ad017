// Writes and Sparkplug node routes through the API plugins (src/api/routes/write.ts, sparkplug.ts),
// registered on a Fastify app over a running service; the edge node is a real mqtt.js client.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import Fastify, { type FastifyInstance } from 'fastify'
import { installErrorHandler } from '../../src/api/error-handler.js'
import { sparkplugRoutes } from '../../src/api/routes/sparkplug.js'
import { writeRoutes } from '../../src/api/routes/write.js'
import { P, dbirth, nbirth } from '../fixtures/sparkplug/index.js'
import { eventually, startService, type TestService } from '../helpers/service.js'
import { connectEdge, record, send, sleep, type Received } from './sparkplug-helpers.js'

const PRESS = 'plant/site/area/line/press'
const DT = P.DataType

describe('writes and Sparkplug node routes', () => {
  let svc: TestService
  let app: FastifyInstance
  let edge: Awaited<ReturnType<typeof connectEdge>>
  let dcmds: Received[]
  const audit = () => svc.logs.filter((l) => l.audit === 'write')

  before(async () => {
    svc = await startService({ UNS_NAMESPACE_DIR: 'test/fixtures/sparkplug/namespace' })
    app = Fastify()
    installErrorHandler(app)
    await app.register(sparkplugRoutes, { prefix: '/api/v1', sparkplug: svc.service.sparkplug })
    await app.register(writeRoutes, { prefix: '/api/v1', write: svc.service.sparkplug.write })
    edge = await connectEdge(svc.mqttUrl, 'G1', 'E1', 0)
    dcmds = await record(edge, 'spBv1.0/G1/DCMD/E1/D1')
    await send(edge, 'spBv1.0/G1/NBIRTH/E1', nbirth())
    await send(edge, 'spBv1.0/G1/DBIRTH/E1/D1', dbirth(1))
    await eventually(() => svc.service.tree.node(`${PRESS}/setpoint`).value)
  })
  after(async () => {
    await app.close()
    await edge.endAsync()
    await svc.close()
  })

  it('turns a write of a writable tag into a DCMD with the BIRTH alias and datatype and no seq', async () => {
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/nodes/${PRESS}/setpoint/write`,
      payload: { value: 250 },
    })
    assert.equal(res.statusCode, 202)
    assert.deepEqual(res.json(), {
      path: `${PRESS}/setpoint`,
      via: 'sparkplug',
      topic: 'spBv1.0/G1/DCMD/E1/D1',
    })
    const cmd = await eventually(() => dcmds[0])
    assert.equal(cmd.retain, false)
    assert.equal(cmd.qos, 0) // [tck-id-payloads-dcmd-qos, tck-id-payloads-dcmd-retain]
    const p = P.Payload.decode(cmd.payload)
    // [tck-id-payloads-dcmd-seq]: no seq; [tck-id-payloads-alias-data-cmd-requirement]: alias only.
    assert.equal(P.Payload.toObject(p).seq, undefined)
    const m = p.metrics[0]
    assert.equal(Number(m?.alias), 12)
    assert.ok(!m?.name, 'alias-only: no name')
    assert.equal(m?.datatype, DT.Int16)
    assert.equal(m?.intValue, 250)
    const entry = audit().at(-1)
    assert.equal(entry?.path, `${PRESS}/setpoint`)
    assert.equal(entry?.source, 'api')
    assert.equal(entry?.value, '250')
    assert.equal(entry?.result, 'ok via sparkplug')
  })

  it('refuses a write to a tag the namespace does not declare writable with 403 and a reason', async () => {
    const before = dcmds.length
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/nodes/${PRESS}/speed/write`,
      payload: { value: 10 },
    })
    assert.equal(res.statusCode, 403)
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8')
    const body = res.json<{ code: string; detail: string }>()
    assert.equal(body.code, 'UNS_ERR_WRITE_NOT_WRITABLE')
    assert.match(body.detail, /read-only/)
    await sleep(200)
    assert.equal(dcmds.length, before, 'no command was sent')
    assert.equal(audit().at(-1)?.result, 'UNS_ERR_WRITE_NOT_WRITABLE')
  })

  it('answers 404 for an unknown path and 400 for a value the model or the BIRTH datatype cannot hold', async () => {
    const unknown = await app.inject({
      method: 'POST',
      url: '/api/v1/nodes/plant/nowhere/write',
      payload: { value: 1 },
    })
    assert.equal(unknown.statusCode, 404)
    assert.equal(unknown.json<{ code: string }>().code, 'UNS_ERR_WRITE_PATH_UNKNOWN')
    const bad = await app.inject({
      method: 'POST',
      url: `/api/v1/nodes/${PRESS}/setpoint/write`,
      payload: { value: 'fast' },
    })
    assert.equal(bad.statusCode, 400)
    // The model says integer: refused by the model check, before the datatype is even looked at.
    assert.equal(bad.json<{ code: string }>().code, 'UNS_ERR_WRITE_OUTSIDE_MODEL')
    const tooBig = await app.inject({
      method: 'POST',
      url: `/api/v1/nodes/${PRESS}/setpoint/write`,
      payload: { value: 70000 },
    })
    assert.equal(tooBig.statusCode, 400, 'Int16 cannot hold 70000')
    assert.equal(tooBig.json<{ code: string }>().code, 'UNS_ERR_WRITE_VALUE_INVALID')
    const noBody = await app.inject({
      method: 'POST',
      url: `/api/v1/nodes/${PRESS}/setpoint/write`,
      payload: {},
    })
    assert.equal(noBody.statusCode, 400)
  })

  it('publishes a write of a writable tag no Sparkplug metric backs as a JSON envelope on its MQTT topic', async () => {
    const mes = await svc.connect()
    const got = await record(mes, 'plant/site/area/line/mes/orderId')
    const res = await app.inject({
      method: 'POST',
      url: '/api/v1/nodes/plant/site/area/line/mes/orderId/write',
      payload: { value: 'PO-4711' },
    })
    assert.equal(res.statusCode, 202)
    assert.equal(res.json<{ via: string }>().via, 'mqtt')
    const m = await eventually(() => got[0])
    assert.equal(m.retain, false)
    assert.equal((JSON.parse(m.payload.toString()) as { value: string }).value, 'PO-4711')
    const denied = await app.inject({
      method: 'POST',
      url: '/api/v1/nodes/plant/site/area/line/mes/shift/write',
      payload: { value: 'night' },
    })
    assert.equal(denied.statusCode, 403)
    assert.equal(denied.json<{ code: string }>().code, 'UNS_ERR_WRITE_NOT_WRITABLE')
  })

  it('refuses a writable tag under a Sparkplug mapping that no birth has shown, instead of publishing it on MQTT', async () => {
    const watcher = await svc.connect()
    const got = await record(watcher, `${PRESS}/mode`)
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/nodes/${PRESS}/mode/write`,
      payload: { value: 'auto' },
    })
    assert.equal(res.statusCode, 404)
    assert.equal(res.json<{ code: string }>().code, 'UNS_ERR_SPB_COMMAND_UNKNOWN_METRIC')
    await sleep(200)
    assert.equal(got.length, 0)
  })

  it('answers 409 while the owning device is offline', async () => {
    await send(edge, 'spBv1.0/G1/DDEATH/E1/D1', P.Payload.encode({ timestamp: Date.now(), seq: 2 }).finish())
    await eventually(() =>
      svc.service.sparkplug.nodes()[0]?.devices[0]?.online === false ? true : undefined,
    )
    const res = await app.inject({
      method: 'POST',
      url: `/api/v1/nodes/${PRESS}/setpoint/write`,
      payload: { value: 5 },
    })
    assert.equal(res.statusCode, 409)
    assert.equal(res.json<{ code: string }>().code, 'UNS_ERR_WRITE_TARGET_OFFLINE')
    await send(edge, 'spBv1.0/G1/DBIRTH/E1/D1', dbirth(3))
    await eventually(() => (svc.service.sparkplug.nodes()[0]?.devices[0]?.online ? true : undefined))
  })

  it('lists groups, edge nodes and devices with status, bdSeq, seq, birth time and metric count', async () => {
    const res = await app.inject({ method: 'GET', url: '/api/v1/sparkplug/nodes' })
    assert.equal(res.statusCode, 200)
    const body = res.json<{
      groups: {
        group: string
        nodes: {
          edge: string
          online: boolean
          bdSeq: string
          lastSeq: number
          birthTime: number
          metricCount: number
          devices: { device: string; online: boolean; metricCount: number }[]
        }[]
      }[]
    }>()
    assert.equal(body.groups.length, 1)
    const node = body.groups[0]?.nodes[0]
    assert.equal(body.groups[0]?.group, 'G1')
    assert.equal(node?.edge, 'E1')
    assert.equal(node?.online, true)
    assert.equal(node?.bdSeq, '0')
    assert.equal(node?.lastSeq, 3)
    assert.ok((node?.birthTime ?? 0) > 0)
    assert.equal(node?.metricCount, 4)
    assert.deepEqual(
      node?.devices.map((d) => [d.device, d.online, d.metricCount]),
      [['D1', true, 3]],
    )
  })

  it('sends an operator Rebirth request and answers 404 for an unknown edge node', async () => {
    const ncmds = await record(edge, 'spBv1.0/G1/NCMD/E1')
    const res = await app.inject({ method: 'POST', url: '/api/v1/sparkplug/nodes/G1/E1/rebirth' })
    assert.equal(res.statusCode, 202)
    const cmd = await eventually(() => ncmds[0])
    const m = P.Payload.decode(cmd.payload).metrics[0]
    assert.equal(m?.name, 'Node Control/Rebirth')
    assert.equal(m?.booleanValue, true)
    const unknown = await app.inject({ method: 'POST', url: '/api/v1/sparkplug/nodes/G1/nope/rebirth' })
    assert.equal(unknown.statusCode, 404)
    assert.equal(unknown.json<{ code: string }>().code, 'UNS_ERR_SPB_NODE_NOT_FOUND')
  })
})
