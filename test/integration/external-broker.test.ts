// External-broker mode (issue 16) against an independent broker, Debian's mosquitto started here:
// Sparkplug edge → mosquitto → uns-bridge → namespace tree (REST reads it), rebirth NCMD at the edge,
// and the host's SUBSCRIBE before its STATE PUBLISH, read from mosquitto's log. No Kafka here.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { DEVICE, EDGE, GROUP, P, dbirth, nbirth, ndata } from '../fixtures/sparkplug/index.js'
import { eventually, startService, type TestService } from '../helpers/service.js'
import { startMosquitto, type TestMosquitto } from '../helpers/mosquitto.js'
import { connectEdge, record, send } from './sparkplug-helpers.js'

const PRESS = 'plant/site/area/line/press'
const T = (type: string, group = GROUP, edge = EDGE, device?: string) =>
  `spBv1.0/${group}/${type}/${edge}${device === undefined ? '' : `/${device}`}`

describe('external-broker mode on mosquitto', () => {
  let broker: TestMosquitto
  let svc: TestService
  const value = (path: string) => {
    try {
      return svc.service.tree.node(path).value
    } catch {
      return undefined
    }
  }

  before(async () => {
    broker = await startMosquitto()
    svc = await startService(
      {
        UNS_NAMESPACE_DIR: 'test/fixtures/sparkplug/namespace',
        UNS_SPARKPLUG_HOST_ID: 'ext-host',
        UNS_SPARKPLUG_REORDER_TIMEOUT_MS: '400',
        UNS_SPARKPLUG_REBIRTH_MIN_INTERVAL_MS: '60000',
      },
      `mqtt:\n  external:\n    url: ${broker.url}\n    clientId: uns-ext-1\n    subscriptions: ["acme/#"]\n`,
    )
  })
  after(async () => {
    await svc?.close()
    await broker?.close()
  })

  it("has the host's SUBSCRIBE (STATE and spBv1.0/#) reach mosquitto before its STATE PUBLISH", async () => {
    // [tck-id-host-topic-phid-birth-sub-required, tck-id-message-flow-phid-sparkplug-subscription,
    // tck-id-payloads-state-subscribe]
    const mine = await eventually(() => {
      const p = broker.packets().filter((x) => x.clientId === 'ext-host-host' && x.direction === 'received')
      return p.some((x) => x.type === 'PUBLISH') ? p : undefined
    })
    const sub = mine.findIndex((x) => x.type === 'SUBSCRIBE')
    const pub = mine.findIndex((x) => x.type === 'PUBLISH' && x.topics[0] === 'spBv1.0/STATE/ext-host')
    assert.ok(sub >= 0 && sub < pub, `SUBSCRIBE #${sub} before STATE PUBLISH #${pub}`)
    assert.deepEqual([...(mine[sub]?.topics ?? [])].sort(), ['spBv1.0/#', 'spBv1.0/STATE/ext-host'])
  })

  it('turns an edge node’s births on mosquitto into values in the tree and the REST API', async () => {
    const edge = await connectEdge(broker.url, GROUP, EDGE, 0)
    await send(edge, T('NBIRTH'), nbirth({ bdSeq: 0 }))
    await send(edge, T('DBIRTH', GROUP, EDGE, DEVICE), dbirth(1))
    const speed = await eventually(() => value(`${PRESS}/speed`))
    assert.equal(speed.value, 1.5)
    const res = await fetch(`${svc.httpUrl}/api/v1/values?filter=${encodeURIComponent(`${PRESS}/speed`)}`)
    assert.equal(res.status, 200)
    assert.match(await res.text(), /1\.5/)
    await edge.endAsync()
  })

  it('sends the rebirth NCMD through mosquitto to the edge on a sequence gap', async () => {
    const edge = await connectEdge(broker.url, 'G-gap', 'E1', 0)
    const cmds = await record(edge, 'spBv1.0/G-gap/NCMD/E1')
    await send(edge, T('NBIRTH', 'G-gap', 'E1'), nbirth())
    await send(edge, T('NDATA', 'G-gap', 'E1'), ndata(1, 30))
    await send(edge, T('NDATA', 'G-gap', 'E1'), ndata(3, 32))
    const cmd = await eventually(() => cmds[0], 5000)
    assert.equal(P.Payload.decode(cmd.payload).metrics[0]?.name, 'Node Control/Rebirth')
    await edge.endAsync()
  })
})
