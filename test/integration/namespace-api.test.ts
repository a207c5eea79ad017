// Issue 3 acceptance through the whole service: values published over MQTT (envelope and bare) come
// back through GET tree, nodes, values (wildcards, paging across pages) and search, and an SSE client
// receives the changes of its filter only.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { kafkaEnv, startService, type TestService } from '../helpers/service.js'
import { openSse } from '../api/sse-client.js'

const LINE = 'acme/berlin/packaging/line-1'

describe('namespace API over published values', () => {
  let svc: TestService
  const api = async <T>(path: string): Promise<{ status: number; body: T }> => {
    const res = await fetch(`${svc.httpUrl}/api/v1/${path}`)
    return { status: res.status, body: (await res.json()) as T }
  }
  before(async () => {
    svc = await startService(kafkaEnv({ UNS_API_STREAM_THROTTLE_MS: '0' }))
    await svc.ready()
    const plc = await svc.connect('plc-api')
    await plc.publishAsync(
      `${LINE}/filler/temperature`,
      '{"value": 71.5, "timestamp": 1764072000000, "quality": "good"}',
      { qos: 1 },
    )
    await plc.publishAsync(`${LINE}/filler/pressure`, '3.2', { qos: 1 })
    await plc.publishAsync(`${LINE}/filler/state`, '"running"', { qos: 1 })
    await plc.publishAsync(`${LINE}/capper/torque`, '{"value": 12, "quality": "uncertain"}', { qos: 1 })
    for (let i = 0; i < 25; i++)
      await plc.publishAsync(`acme/berlin/lab/sensor-${String(i).padStart(2, '0')}/ph`, String(7 + i / 100), {
        qos: 1,
      })
  })
  after(() => svc.close())

  it('GET /nodes returns the definition and the published value (envelope and bare)', async () => {
    const t = await api<{
      declared: boolean
      value: { value: number; timestamp: number; quality: string; source: string }
      definition: { unit?: string; writable?: boolean }
    }>(`nodes/${LINE}/filler/temperature`)
    assert.equal(t.status, 200)
    assert.equal(t.body.declared, true)
    assert.equal(t.body.value.value, 71.5)
    assert.equal(t.body.value.timestamp, 1764072000000)
    assert.equal(t.body.value.source, 'plc-api')
    assert.equal(t.body.definition.unit, 'degC')
    const p = await api<{ value: { value: number; quality: string } }>(`nodes/${LINE}/filler/pressure`)
    assert.equal(p.body.value.value, 3.2)
    assert.equal(p.body.value.quality, 'good')
    const missing = await fetch(`${svc.httpUrl}/api/v1/nodes/acme/nowhere`)
    assert.equal(missing.status, 404)
    assert.equal(missing.headers.get('content-type'), 'application/problem+json; charset=utf-8')
  })

  it('GET /tree shows counts and lastSeen down the published paths', async () => {
    const { status, body } = await api<{
      children?: { name: string; leafCount: number; lastSeen?: number; children?: { name: string }[] }[]
    }>(`tree?path=${LINE}&depth=2`)
    assert.equal(status, 200)
    const filler = body.children?.find((c) => c.name === 'filler')
    assert.ok(filler && filler.leafCount > 3 && typeof filler.lastSeen === 'number')
    assert.ok(filler.children?.some((c) => c.name === 'temperature'))
  })

  it('GET /values filters with wildcards and pages with a cursor, every value exactly once', async () => {
    const plus = await api<{ items: { path: string }[] }>(
      `values?filter=${encodeURIComponent(`${LINE}/+/temperature`)}`,
    )
    assert.deepEqual(
      plus.body.items.map((i) => i.path),
      [`${LINE}/filler/temperature`],
    )
    const seen: string[] = []
    let cursor: string | undefined
    let pages = 0
    do {
      const q = `values?filter=${encodeURIComponent('acme/berlin/lab/#')}&limit=10${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`
      const page = await api<{ items: { path: string; value: number }[]; nextCursor?: string }>(q)
      assert.equal(page.status, 200)
      seen.push(...page.body.items.map((i) => i.path))
      cursor = page.body.nextCursor
      pages++
    } while (cursor !== undefined && pages < 10)
    assert.equal(pages, 3)
    assert.equal(seen.length, 25)
    assert.equal(new Set(seen).size, 25)
    const bad = await fetch(`${svc.httpUrl}/api/v1/values?filter=${encodeURIComponent('a/#/b')}`)
    assert.equal(bad.status, 400)
    assert.match(((await bad.json()) as { detail: string }).detail, /#/)
  })

  it('GET /search finds published nodes by text and by unit', async () => {
    const byText = await api<{ items: { path: string }[] }>('search?q=sensor-07')
    assert.ok(byText.body.items.some((i) => i.path === 'acme/berlin/lab/sensor-07'))
    const byUnit = await api<{ items: { path: string }[] }>(
      `search?unit=degC&q=${encodeURIComponent('line-1/filler')}`,
    )
    assert.ok(byUnit.body.items.some((i) => i.path === `${LINE}/filler/temperature`))
  })

  it('GET /stream sends the changes of its filter only', async () => {
    const sse = await openSse(`${svc.httpUrl}/api/v1/stream?filter=${encodeURIComponent(`${LINE}/filler/#`)}`)
    try {
      assert.equal(sse.status, 200)
      const plc = await svc.connect('plc-stream')
      await plc.publishAsync(`${LINE}/capper/torque`, '13', { qos: 1 })
      await plc.publishAsync(`${LINE}/filler/temperature`, '72.5', { qos: 1 })
      await sse.until(() => sse.events.some((e) => e.path === `${LINE}/filler/temperature`), 5000)
      await new Promise((r) => setTimeout(r, 300))
      assert.deepEqual(
        sse.events.map((e) => [e.path, e.value]),
        [[`${LINE}/filler/temperature`, 72.5]],
      )
    } finally {
      sse.close()
    }
  })
})
