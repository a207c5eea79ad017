// The simulated edge node against a bare aedes broker over a real socket, checked with the Tahu
// protobuf decoder the way a Sparkplug host would see it.
import assert from 'node:assert/strict'
import { createServer, type AddressInfo, type Server } from 'node:net'
import { after, before, describe, it } from 'node:test'
import { Aedes, type Client } from 'aedes'
import mqtt, { type MqttClient } from 'mqtt'
import spb from 'sparkplug-payload/lib/sparkplugPayloadProto.js'
import { startEdgeNode, type EdgeNode } from '../../scripts/simulator/edge-node.js'
import { buildLayout, type EdgeSpec } from '../../scripts/simulator/layouts.js'

const P = spb.org.eclipse.tahu.protobuf
type Msg = { topic: string; payload: spb.org.eclipse.tahu.protobuf.Payload }

let aedes: Aedes
let server: Server
let url: string
let host: MqttClient
const seen: Msg[] = []
const brokerClients = new Map<string, Client>()

before(async () => {
  aedes = await Aedes.createBroker()
  aedes.on('client', (c) => brokerClients.set(c.id, c))
  server = createServer((socket) => aedes.handle(socket))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  url = `mqtt://127.0.0.1:${(server.address() as AddressInfo).port}`
  host = await mqtt.connectAsync(url, { clientId: 'test-host' })
  await host.subscribeAsync('spBv1.0/#', { qos: 1 })
  host.on('message', (topic, payload) => seen.push({ topic, payload: P.Payload.decode(payload) }))
})
after(async () => {
  await host.endAsync()
  await new Promise<void>((r) => aedes.close(() => r()))
  await new Promise<void>((r) => server.close(() => r()))
})

async function until<T>(check: () => T | undefined, what: string, timeoutMs = 5000): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const v = check()
    if (v !== undefined) return v
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`)
    await new Promise((r) => setTimeout(r, 20))
  }
}
const messagesOf = (edge: string, type: string): Msg[] =>
  seen.filter((m) => m.topic.split('/')[2] === type && m.topic.split('/')[3] === edge)
const metric = (m: Msg, name: string): spb.org.eclipse.tahu.protobuf.Payload.IMetric | undefined =>
  m.payload.metrics.find((x) => x.name === name)

function spec(edge: string, devices = 1, metrics = 4): EdgeSpec {
  const [generic] = buildLayout({ layout: 'generic', edges: 1, devices, metrics, group: 'test' })
  assert.ok(generic)
  return { ...generic, edge }
}

describe('simulated Sparkplug edge node', () => {
  const nodes: EdgeNode[] = []
  after(() => Promise.all(nodes.map((n) => n.stop())))

  it('sends NBIRTH with seq 0, bdSeq and Node Control/Rebirth, then DBIRTHs with aliases, datatypes and engUnit', async () => {
    const node = await startEdgeNode(spec('birth-1', 2), { url, qos: 1 })
    nodes.push(node)
    const [nbirth] = await until(
      () => (messagesOf('birth-1', 'NBIRTH').length ? messagesOf('birth-1', 'NBIRTH') : undefined),
      'NBIRTH',
    )
    assert.ok(nbirth)
    assert.equal(Number(nbirth.payload.seq), 0)
    assert.equal(Number(metric(nbirth, 'bdSeq')?.longValue), node.bdSeq)
    assert.equal(metric(nbirth, 'Node Control/Rebirth')?.booleanValue, false)
    const dbirths = await until(
      () => (messagesOf('birth-1', 'DBIRTH').length === 2 ? messagesOf('birth-1', 'DBIRTH') : undefined),
      'two DBIRTHs',
    )
    assert.deepEqual(
      dbirths.map((d) => Number(d.payload.seq)),
      [1, 2],
    )
    const setpoint = metric(dbirths[0] as Msg, 'setpoint')
    assert.equal(setpoint?.datatype, P.DataType.Double)
    assert.equal(setpoint?.properties?.keys?.[0], 'engUnit')
    assert.equal(setpoint?.properties?.values?.[0]?.stringValue, '%')
    const aliases = dbirths.flatMap((d) => d.payload.metrics.map((m) => Number(m.alias)))
    assert.equal(new Set(aliases).size, aliases.length, 'aliases are unique across the edge node')
  })

  it('sends alias-only DDATA with changing values and a seq that wraps from 255 to 0', async () => {
    const node = await startEdgeNode(spec('data-1'), { url, qos: 0 })
    nodes.push(node)
    await until(() => (node.born ? true : undefined), 'births')
    for (let i = 0; i < 300; i++) node.publishData()
    const ddata = await until(
      () => (messagesOf('data-1', 'DDATA').length === 300 ? messagesOf('data-1', 'DDATA') : undefined),
      '300 DDATA',
    )
    const seqs = ddata.map((d) => Number(d.payload.seq))
    // NBIRTH took 0, DBIRTH 1: the data starts at 2 and wraps after 255.
    assert.deepEqual(seqs.slice(252, 256), [254, 255, 0, 1])
    for (const m of (ddata[0] as Msg).payload.metrics) {
      assert.equal(m.name, '', 'DDATA metrics carry no name')
      assert.ok(Number(m.alias) > 0)
    }
    const counters = ddata.map((d) => Number(d.payload.metrics.find((m) => Number(m.alias) === 1)?.longValue))
    assert.deepEqual(counters.slice(0, 3), [1, 2, 3])
  })

  it('answers a Rebirth request with a new NBIRTH (seq 0, same bdSeq) and DBIRTHs', async () => {
    const node = await startEdgeNode(spec('rebirth-1'), { url, qos: 0 })
    nodes.push(node)
    await until(() => (node.born ? true : undefined), 'births')
    node.publishData()
    const rebirth = P.Payload.encode({
      timestamp: Date.now(),
      metrics: [{ name: 'Node Control/Rebirth', datatype: P.DataType.Boolean, booleanValue: true }],
    }).finish()
    await host.publishAsync('spBv1.0/test/NCMD/rebirth-1', Buffer.from(rebirth))
    const births = await until(
      () => (messagesOf('rebirth-1', 'NBIRTH').length === 2 ? messagesOf('rebirth-1', 'NBIRTH') : undefined),
      'second NBIRTH',
    )
    assert.equal(Number(births[1]?.payload.seq), 0)
    assert.equal(
      Number(metric(births[1] as Msg, 'bdSeq')?.longValue),
      Number(metric(births[0] as Msg, 'bdSeq')?.longValue),
    )
    await until(() => (messagesOf('rebirth-1', 'DBIRTH').length === 2 ? true : undefined), 'second DBIRTH')
    assert.equal(node.stats.rebirthRequests, 1)
  })

  it('applies a DCMD write, reports it in the next DDATA, and refuses writes to read-only metrics', async () => {
    const node = await startEdgeNode(spec('write-1'), { url, qos: 1 })
    nodes.push(node)
    await until(() => (node.born ? true : undefined), 'births')
    const dcmd = P.Payload.encode({
      timestamp: Date.now(),
      metrics: [
        { name: 'setpoint', datatype: P.DataType.Double, doubleValue: 42.5 },
        { name: 'counter', datatype: P.DataType.Int64, longValue: 999 },
      ],
    }).finish()
    await host.publishAsync('spBv1.0/test/DCMD/write-1/device-1', Buffer.from(dcmd))
    const [echo] = await until(
      () => (messagesOf('write-1', 'DDATA').length ? messagesOf('write-1', 'DDATA') : undefined),
      'DDATA echo',
    )
    assert.ok(echo)
    const setpointAlias = node.spec.devices[0]?.metrics.findIndex((m) => m.name === 'setpoint')
    assert.equal(echo.payload.metrics.length, 1, 'only the written metric is reported')
    assert.equal(Number(echo.payload.metrics[0]?.alias), (setpointAlias ?? -9) + 1)
    assert.equal(echo.payload.metrics[0]?.doubleValue, 42.5)
    assert.equal(node.value('device-1', 'setpoint'), 42.5)
    assert.notEqual(node.value('device-1', 'counter'), 999)
  })

  it('leaves NDEATH with its bdSeq when the connection drops, and births the next session with bdSeq + 1', async () => {
    const node = await startEdgeNode(spec('death-1'), { url, qos: 0 })
    nodes.push(node)
    await until(() => (node.born ? true : undefined), 'births')
    const first = node.bdSeq
    const client = await until(() => brokerClients.get(`sim-test-death-1-${process.pid}`), 'broker client')
    client.conn.destroy()
    const [death] = await until(
      () => (messagesOf('death-1', 'NDEATH').length ? messagesOf('death-1', 'NDEATH') : undefined),
      'NDEATH will',
    )
    assert.equal(Number(metric(death as Msg, 'bdSeq')?.longValue), first)
    const births = await until(
      () => (messagesOf('death-1', 'NBIRTH').length === 2 ? messagesOf('death-1', 'NBIRTH') : undefined),
      'NBIRTH after reconnect',
      8000,
    )
    assert.equal(Number(metric(births[1] as Msg, 'bdSeq')?.longValue), first + 1)
  })
})
