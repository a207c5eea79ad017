// Issue 4: the engUnit property of a BIRTH metric becomes node metadata in the namespace, also for
// metrics no mapping or model declares, and it stays when DATA (which carries no properties) follows.
// Payloads are built with the Tahu protobuf classes, never with our codec.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import spb from 'sparkplug-payload/lib/sparkplugPayloadProto.js'
import { DEVICE, EDGE, GROUP, T0, nbirth } from '../fixtures/sparkplug/index.js'
import { eventually, startService, type TestService } from '../helpers/service.js'
import { connectEdge, send } from './sparkplug-helpers.js'

const P = spb.org.eclipse.tahu.protobuf
const DT = P.DataType
const encode = (p: spb.org.eclipse.tahu.protobuf.IPayload): Uint8Array => P.Payload.encode(p).finish()
// Device D1 is mapped onto the press; OilTemp is in neither its metric mapping nor the Press model, so it
// lands below the press under its own name as an undeclared node (lenient mode).
const PRESS = 'plant/site/area/line/press'
const OIL = `${PRESS}/OilTemp`

interface NodeBody {
  declared: boolean
  definition: { unit?: string }
  value?: { value: unknown; datatype?: string }
}

describe('Sparkplug engUnit as namespace unit over real MQTT', () => {
  let svc: TestService
  const getNode = async (path: string): Promise<{ status: number; body: NodeBody }> => {
    const res = await fetch(`${svc.httpUrl}/api/v1/nodes/${path}`)
    return { status: res.status, body: (await res.json()) as NodeBody }
  }

  before(async () => {
    svc = await startService({
      UNS_NAMESPACE_DIR: 'test/fixtures/sparkplug/namespace',
      UNS_SPARKPLUG_HOST_ID: 'units-host',
    })
  })
  after(() => svc.close())

  it('shows the DBIRTH engUnit of an undeclared metric in GET /nodes after a later DDATA', async () => {
    const edge = await connectEdge(svc.mqttUrl, GROUP, EDGE, 0)
    await send(edge, `spBv1.0/${GROUP}/NBIRTH/${EDGE}`, nbirth({ bdSeq: 0 }))
    const ts = T0 + 1
    await send(
      edge,
      `spBv1.0/${GROUP}/DBIRTH/${EDGE}/${DEVICE}`,
      encode({
        timestamp: ts,
        seq: 1,
        metrics: [
          {
            name: 'Speed',
            alias: 10,
            timestamp: ts,
            datatype: DT.Float,
            floatValue: 1.5,
            properties: { keys: ['engUnit'], values: [{ type: DT.String, stringValue: 'rev/min' }] },
          },
          {
            name: 'OilTemp',
            alias: 20,
            timestamp: ts,
            datatype: DT.Double,
            doubleValue: 40.5,
            properties: { keys: ['engUnit'], values: [{ type: DT.String, stringValue: 'degC' }] },
          },
        ],
      }),
    )
    // DDATA by alias only, without properties.
    await send(
      edge,
      `spBv1.0/${GROUP}/DDATA/${EDGE}/${DEVICE}`,
      encode({
        timestamp: T0 + 20,
        seq: 2,
        metrics: [{ alias: 20, timestamp: T0 + 20, doubleValue: 42.25 }],
      }),
    )
    const oil = await eventually(async () => {
      const n = await getNode(OIL)
      return n.status === 200 && n.body.value?.value === 42.25 ? n.body : undefined
    })
    assert.equal(oil.declared, false)
    assert.equal(oil.definition.unit, 'degC')
    assert.equal(oil.value?.datatype, 'Double')

    // A declared unit wins over the BIRTH's: the Press model says rpm.
    const speed = await getNode(`${PRESS}/speed`)
    assert.equal(speed.status, 200)
    assert.equal(speed.body.definition.unit, 'rpm')
    // Node metrics too: the NBIRTH declares Temperature in °C.
    const temp = await getNode(`${GROUP}/${EDGE}/Temperature`)
    assert.equal(temp.body.definition.unit, '°C')

    const search = await fetch(`${svc.httpUrl}/api/v1/search?unit=degC`)
    const { items } = (await search.json()) as { items: { path: string }[] }
    assert.deepEqual(
      items.map((h) => h.path),
      [OIL],
    )
    await edge.endAsync()
  })
})
