import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import type { FastifyInstance, LightMyRequestResponse } from 'fastify'
import type { NamespaceTree } from '../../src/namespace/index.js'
import { apply, buildTestApi, demoTree, ev, FILLER } from './app.js'

let tree: NamespaceTree
let app: FastifyInstance

before(async () => {
  tree = demoTree()
  apply(tree, ev(`${FILLER}/temperature`, 21.5, { datatype: 'Float', source: 'berlin/plc-7' }))
  apply(tree, ev(`${FILLER}/pressure`, 2.25, { quality: 'uncertain' }))
  apply(tree, ev(`${FILLER}/motor/speed`, 1450))
  apply(tree, ev('acme/berlin/packaging/line-2/filler/temperature', 30))
  apply(tree, ev('acme/austin/assembly/line-1/press-1/oilTemperature', 55))
  // 64-bit counter beyond 2^53 and raw bytes, created in lenient mode.
  apply(tree, ev(`${FILLER}/serial`, 2n ** 63n - 1n))
  apply(tree, ev('lab/raw bytes/frame', new Uint8Array([0xde, 0xad, 0xbe, 0xef])))
  app = await buildTestApi(tree)
})
after(async () => {
  await app.close()
})

function problem(res: LightMyRequestResponse, status: number): { detail: string; code?: string } {
  assert.equal(res.statusCode, status, res.body)
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/)
  const body = res.json<{ status: number; detail: string; code?: string }>()
  assert.equal(body.status, status)
  return body
}

describe('GET /api/v1/tree', () => {
  test('lists the children of a path with childCount, leafCount, lastSeen and the value of a leaf', async () => {
    const res = await app.inject(`/api/v1/tree?path=${FILLER}`)
    assert.equal(res.statusCode, 200)
    const body = res.json()
    assert.equal(body.path, FILLER)
    assert.equal(body.level, 'cell')
    assert.equal(body.lastSeen, 1764072000500)
    const byName = new Map<string, Record<string, unknown>>(
      body.children.map((c: Record<string, unknown>) => [c.name, c]),
    )
    assert.deepEqual(byName.get('temperature')?.value, {
      value: 21.5,
      timestamp: 1764072000000,
      quality: 'good',
    })
    const motor = byName.get('motor')
    assert.equal(motor?.childCount, 4)
    assert.equal(motor?.leafCount, 4)
    assert.equal(motor?.value, undefined, 'a structural node carries no value summary')
    assert.equal(motor?.children, undefined, 'depth 1 stops below the path')
    assert.equal(byName.get('fillRate')?.lastSeen, undefined, 'no data yet, no lastSeen')
    assert.equal(byName.get('fillRate')?.hasValue, false)
  })

  test('nests the children down to the requested depth and starts at the root by default', async () => {
    const res = await app.inject('/api/v1/tree?depth=2')
    assert.equal(res.statusCode, 200)
    const root = res.json()
    assert.equal(root.path, '')
    const acme = root.children.find((c: { name: string }) => c.name === 'acme')
    assert.deepEqual(
      acme.children.map((c: { name: string }) => c.name),
      ['austin', 'berlin'],
    )
    assert.equal(acme.children[0].children, undefined)
  })

  test('answers an unknown path with 404 problem+json naming the path', async () => {
    const body = problem(await app.inject('/api/v1/tree?path=acme/paris'), 404)
    assert.equal(body.detail, 'No node at path acme/paris')
    assert.equal(body.code, 'UNS_ERR_NAMESPACE_NODE_NOT_FOUND')
  })

  test('rejects a depth outside 1 to 16 with a detail naming the parameter', async () => {
    for (const depth of ['0', '17', 'deep']) {
      const body = problem(await app.inject(`/api/v1/tree?depth=${depth}`), 400)
      assert.match(body.detail, /query parameter "depth" must be/)
      assert.equal(body.code, 'UNS_ERR_API_REQUEST_INVALID')
    }
  })
})

describe('GET /api/v1/nodes/{path}', () => {
  test('returns the definition of a tag with its value, source, quality and timestamp', async () => {
    const res = await app.inject(`/api/v1/nodes/${FILLER}/temperature`)
    assert.equal(res.statusCode, 200)
    assert.deepEqual(res.json(), {
      path: `${FILLER}/temperature`,
      name: 'temperature',
      declared: true,
      definition: {
        model: 'Filler@2',
        field: 'temperature',
        type: 'number',
        unit: 'degC',
        range: { min: 0, max: 95 },
        class: 'telemetry',
        writable: false,
        description: 'Product temperature at the filling valves',
        declaredIn: 'namespace/00-models.yaml:39',
      },
      childCount: 0,
      leafCount: 0,
      messageCount: 1,
      value: {
        path: `${FILLER}/temperature`,
        value: 21.5,
        timestamp: 1764072000000,
        quality: 'good',
        datatype: 'Float',
        source: 'berlin/plc-7',
        lastSeen: 1764072000500,
      },
    })
  })

  test('returns the level, display name and attributes of a structural node', async () => {
    const body = (await app.inject('/api/v1/nodes/acme/berlin')).json()
    assert.equal(body.definition.level, 'site')
    assert.equal(body.definition.displayName, 'Berlin plant')
    assert.deepEqual(body.definition.attributes, { timezone: 'Europe/Berlin' })
    assert.equal(body.value, undefined)
  })

  test('shows whether a tag is writable', async () => {
    const body = (await app.inject('/api/v1/nodes/acme/berlin/packaging/line-1/capper/torqueSetpoint')).json()
    assert.equal(body.definition.writable, true)
    assert.equal(body.definition.unit, 'Nm')
  })

  test('decodes percent-encoded levels and flags undeclared nodes', async () => {
    const body = (await app.inject('/api/v1/nodes/lab/raw%20bytes/frame')).json()
    assert.equal(body.path, 'lab/raw bytes/frame')
    assert.equal(body.declared, false)
    assert.equal(body.value.value, '3q2+7w==', 'bytes travel as base64')
  })

  test('answers an unknown path with 404 problem+json naming the path', async () => {
    const body = problem(await app.inject(`/api/v1/nodes/${FILLER}/nozzle`), 404)
    assert.equal(body.detail, `No node at path ${FILLER}/nozzle`)
  })

  test('rejects an empty path with 400', async () => {
    const body = problem(await app.inject('/api/v1/nodes/'), 400)
    assert.match(body.detail, /path parameter/)
  })
})

describe('GET /api/v1/values', () => {
  test('returns only the values matching a wildcard filter, in path order', async () => {
    const res = await app.inject('/api/v1/values?filter=acme/berlin/packaging/%2B/filler/temperature')
    assert.equal(res.statusCode, 200)
    const body = res.json()
    assert.deepEqual(
      body.items.map((i: { path: string; value: unknown }) => [i.path, i.value]),
      [
        [`${FILLER}/temperature`, 21.5],
        ['acme/berlin/packaging/line-2/filler/temperature', 30],
      ],
    )
    assert.equal(body.nextCursor, undefined)
    assert.equal(body.items[0].source, 'berlin/plc-7')
  })

  test('writes a 64-bit integer as an exact decimal string', async () => {
    const res = await app.inject(`/api/v1/values?filter=${FILLER}/serial`)
    assert.match(res.body, /"value":"9223372036854775807"/)
  })

  test('rejects a limit outside 1 to 1000 with a detail naming the bounds', async () => {
    for (const [limit, rule] of [
      ['0', '>= 1'],
      ['1001', '<= 1000'],
      ['ten', 'integer'],
    ] as const) {
      const body = problem(await app.inject(`/api/v1/values?filter=%23&limit=${limit}`), 400)
      assert.equal(body.detail, `Invalid request: query parameter "limit" must be ${rule}`)
    }
  })

  test('rejects a malformed MQTT filter and a missing one', async () => {
    const bad = problem(await app.inject('/api/v1/values?filter=acme/%23/line-1'), 400)
    assert.equal(bad.detail, 'Invalid MQTT filter "acme/#/line-1": # must be the last level on its own')
    assert.equal(bad.code, 'UNS_ERR_NAMESPACE_FILTER_INVALID')
    const plus = problem(await app.inject('/api/v1/values?filter=acme/line%2B'), 400)
    assert.match(plus.detail, /\+ must be a whole level/)
    const missing = problem(await app.inject('/api/v1/values'), 400)
    assert.equal(missing.detail, 'Invalid request: query parameter "filter" is required')
  })

  test('rejects a cursor that was not returned for this filter', async () => {
    const garbage = problem(await app.inject('/api/v1/values?filter=%23&cursor=not-a-cursor'), 400)
    assert.match(garbage.detail, /^Invalid cursor: it is not a cursor returned by this API/)
    assert.equal(garbage.code, 'UNS_ERR_NAMESPACE_CURSOR_INVALID')
    const first = (await app.inject('/api/v1/values?filter=acme/%23&limit=1')).json()
    assert.ok(first.nextCursor)
    const other = problem(
      await app.inject(`/api/v1/values?filter=lab/%23&cursor=${encodeURIComponent(first.nextCursor)}`),
      400,
    )
    assert.match(other.detail, /it belongs to the filter "acme\/#"/)
  })
})

describe('GET /api/v1/values paging', () => {
  test('returns every matching value exactly once across pages, 100 per page by default', async () => {
    const t = demoTree()
    const expected: string[] = []
    for (let i = 0; i < 257; i++) {
      const path = `plant/zone-${i % 7}/tag-${String(i).padStart(3, '0')}`
      apply(t, ev(path, i))
      expected.push(path)
    }
    apply(t, ev('elsewhere/tag', 1))
    const paged = await buildTestApi(t)
    try {
      const first = (await paged.inject('/api/v1/values?filter=plant/%23')).json()
      assert.equal(first.items.length, 100)
      assert.ok(first.nextCursor)
      const seen: string[] = []
      let cursor: string | undefined
      let pages = 0
      do {
        const q = cursor === undefined ? '' : `&cursor=${encodeURIComponent(cursor)}`
        const res = await paged.inject(`/api/v1/values?filter=plant/%2B/%23&limit=40${q}`)
        assert.equal(res.statusCode, 200)
        const body = res.json<{ items: { path: string }[]; nextCursor?: string }>()
        assert.ok(body.items.length <= 40)
        seen.push(...body.items.map((i) => i.path))
        cursor = body.nextCursor
        pages += 1
      } while (cursor !== undefined)
      assert.equal(pages, 7)
      assert.deepEqual(seen, [...expected].sort())
      assert.equal(new Set(seen).size, 257)
    } finally {
      await paged.close()
    }
  })

  test('keeps paging stable when a value changes between pages', async () => {
    const t = demoTree()
    for (let i = 0; i < 10; i++) apply(t, ev(`p/t${i}`, i))
    const paged = await buildTestApi(t)
    try {
      const one = (await paged.inject('/api/v1/values?filter=p/%2B&limit=5')).json()
      apply(t, ev('p/t0', 100))
      apply(t, ev('p/t9', 900))
      const two = (
        await paged.inject(`/api/v1/values?filter=p/%2B&limit=5&cursor=${encodeURIComponent(one.nextCursor)}`)
      ).json()
      assert.deepEqual(
        [...one.items, ...two.items].map((i: { path: string }) => i.path),
        ['p/t0', 'p/t1', 'p/t2', 'p/t3', 'p/t4', 'p/t5', 'p/t6', 'p/t7', 'p/t8', 'p/t9'],
      )
      assert.equal(two.items.at(-1).value, 900)
      assert.equal(two.nextCursor, undefined)
    } finally {
      await paged.close()
    }
  })
})

describe('GET /api/v1/search', () => {
  test('finds tags by unit and class, and nodes by ISA-95 level', async () => {
    const degC = (await app.inject('/api/v1/search?unit=degC&limit=1000')).json()
    assert.ok(degC.items.length > 2)
    for (const hit of degC.items) assert.equal(hit.unit, 'degC')
    assert.ok(degC.items.some((h: { path: string }) => h.path === `${FILLER}/temperature`))
    const alarms = (await app.inject('/api/v1/search?class=alarm&q=line-1/filler')).json()
    assert.ok(alarms.items.length > 0)
    for (const hit of alarms.items) {
      assert.equal(hit.class, 'alarm')
      assert.match(hit.path, /line-1\/filler/)
    }
    const lines = (await app.inject('/api/v1/search?level=line')).json()
    assert.ok(lines.items.length >= 3)
    for (const hit of lines.items) assert.equal(hit.level, 'line')
  })

  test('matches display names case-insensitively and honours the limit', async () => {
    const res = (await app.inject('/api/v1/search?q=berlin%20PLANT')).json()
    assert.deepEqual(
      res.items.map((h: { path: string }) => h.path),
      ['acme/berlin'],
    )
    const two = (await app.inject('/api/v1/search?unit=degC&limit=2')).json()
    assert.equal(two.items.length, 2)
  })

  test('rejects an unknown class with the allowed values in the detail', async () => {
    const body = problem(await app.inject('/api/v1/search?class=weather'), 400)
    assert.match(body.detail, /query parameter "class" must be equal to one of the allowed values/)
  })
})

describe('units learned from Sparkplug engUnit', () => {
  test('GET /nodes and /search show the learned unit of an undeclared tag after a message without one', async () => {
    const own = demoTree()
    const path = 'lab/skid-1/glueTemp'
    apply(own, ev(path, 40, { unit: 'degC', datatype: 'Float' }))
    apply(own, ev(path, 41, { datatype: 'Float' }))
    const api = await buildTestApi(own)
    try {
      const res = await api.inject(`/api/v1/nodes/${path}`)
      assert.equal(res.statusCode, 200, res.body)
      const body = res.json()
      assert.equal(body.declared, false)
      assert.deepEqual(body.definition, { unit: 'degC' })
      assert.equal(body.value.value, 41)
      const { items } = (await api.inject('/api/v1/search?unit=degC&q=glueTemp')).json()
      assert.deepEqual(items, [{ path, declared: false, unit: 'degC', hasValue: true }])
    } finally {
      await api.close()
    }
  })
})
