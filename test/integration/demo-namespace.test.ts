// Issue 11: the namespace of `npm run demo` is clean. The demo profile (config/demo.yaml, namespace/) fed
// by the simulator's ACME factory shows exactly the declared enterprise roots in GET /api/v1/tree: the
// Sparkplug session metrics (bdSeq, Node Control/*) of the edge nodes stay in the Sparkplug node view.
// Before, the Berlin PLC (only its device is mapped) grew a stray root `acme-berlin/plc-packaging-1/...`.
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { after, before, describe, it } from 'node:test'
import { loadNamespace } from '../../src/namespace/index.js'
import { startSimulator, type Simulator } from '../../scripts/simulator/index.js'
import { eventually, startService, type TestService } from '../helpers/service.js'

interface Entry {
  name: string
  declared: boolean
  children?: Entry[]
}

describe('the demo namespace fed by the simulator', () => {
  let svc: TestService
  let sim: Simulator
  const tree = async (path = '', depth = 1): Promise<Entry> =>
    (await (
      await fetch(`${svc.httpUrl}/api/v1/tree?path=${encodeURIComponent(path)}&depth=${depth}`)
    ).json()) as Entry

  before(async () => {
    // The demo profile as `npm run demo` runs it, on free ports and without Kafka.
    svc = await startService({}, readFileSync('config/demo.yaml', 'utf8'))
    sim = await startSimulator({
      url: svc.mqttUrl,
      layout: 'acme',
      edges: 2,
      devices: 1,
      metrics: 10,
      rate: 10,
      qos: 1,
      group: 'sim',
      jsonTags: 20,
      namespace: await loadNamespace('namespace'),
      primaryHostId: svc.config.sparkplug.hostId,
    })
    // Both PLCs born with all devices, and their data flowing.
    await eventually(() => {
      const n = svc.service.sparkplug.nodes()
      return n.length === 2 && n.every((x) => x.online && x.devices.every((d) => d.online)) ? n : undefined
    }, 30000)
    await eventually(() => (sim.totals().sparkplugMessages > 20 ? true : undefined), 30000)
  })
  after(async () => {
    await sim?.stop()
    await svc?.close()
  })

  it('has exactly the declared enterprise roots', async () => {
    const definition = await loadNamespace(svc.config.namespace.dir)
    const declaredRoots = [
      ...new Set(definition.nodes.filter((n) => n.level === 'enterprise').map((n) => n.path.split('/')[0])),
    ].sort()
    assert.deepEqual(declaredRoots, ['acme'])
    const root = await tree()
    assert.deepEqual(
      (root.children ?? []).map((c) => c.name),
      declaredRoots,
      'no stray roots such as acme-berlin/plc-packaging-1/bdSeq',
    )
  })

  it('puts no Sparkplug session metric under a mapped edge node path', async () => {
    const line = await tree('acme/austin/assembly/line-1')
    const names = (line.children ?? []).map((c) => c.name)
    assert.ok(names.includes('press-1'), names.join())
    assert.equal(names.includes('bdSeq'), false)
    assert.equal(names.includes('Node Control'), false)
  })

  it('keeps bdSeq in the Sparkplug node view', async () => {
    const r = (await (await fetch(`${svc.httpUrl}/api/v1/sparkplug/nodes`)).json()) as {
      groups: { group: string; nodes: { edge: string; bdSeq: string | null }[] }[]
    }
    const berlin = r.groups.find((g) => g.group === 'acme-berlin')?.nodes[0]
    assert.equal(berlin?.edge, 'plc-packaging-1')
    assert.match(berlin?.bdSeq ?? '', /^\d+$/)
  })
})
