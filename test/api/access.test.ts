// The route access map and the access hook over Fastify's inject (no sockets): every API route is
// classified on purpose, open mode keeps the API as it was, and what a role may read shapes tree and search.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Registry as MetricsRegistry } from 'prom-client'
import { buildApi, type ApiDeps } from '../../src/api/index.js'
import { routeAccess } from '../../src/api/access.js'
import { createReadScope } from '../../src/api/read-scope.js'
import { loadConfig } from '../../src/config/index.js'
import { createLogger } from '../../src/logger.js'
import { createMemoryStore, createRegistry } from '../../src/registry/index.js'
import { createSecurity, hashPassword, type AuditEvent } from '../../src/security/index.js'
import type { SparkplugApi } from '../../src/sparkplug/index.js'
import { apply, demoTree, ev, FILLER } from './app.js'

const FAST = { ln: 10, r: 8, p: 1 }

const sparkplug: SparkplugApi = {
  nodes: () => [],
  rebirth: async () => ({ topic: 'spBv1.0/g/NCMD/e' }),
  write: async (path) => ({ ok: true, via: 'mqtt', topic: path }),
}

async function build(securityYaml: Record<string, unknown> | undefined) {
  const config = loadConfig({ env: {} })
  const events: AuditEvent[] = []
  const security = await createSecurity(
    { logger: createLogger('silent'), auditSink: (e) => void events.push(e) },
    {
      security: securityYaml === undefined ? config.security : { ...config.security, ...securityYaml },
      sparkplugHostId: 'uns-bridge',
    },
  )
  const tree = demoTree()
  apply(tree, ev(`${FILLER}/temperature`, 21.5))
  apply(tree, ev('acme/austin/assembly/line-1/press-1/pressure', 120))
  const app = await buildApi({
    logger: createLogger('silent'),
    health: () => ({ ready: true, mqtt: { listening: true, clients: 0 }, kafka: { state: 'disabled' } }),
    metricsRegistry: new MetricsRegistry(),
    handleMqttStream: () => {},
    tree,
    schemaRegistry: await createRegistry({ store: createMemoryStore() }),
    sparkplug,
    // Only the routes matter here: a history that has nothing.
    history: {
      history: { read: async () => ({}), ringStats: () => ({ tags: 0, points: 0 }), close() {} },
      deadLetters: { record() {}, latest: async () => ({ items: [] }) },
    } as unknown as NonNullable<ApiDeps['history']>,
    security,
  })
  return { app, events }
}

describe('route access map', () => {
  test('names every documented API and registry route explicitly (a new one fails here until it is mapped)', async () => {
    const { app } = await build(undefined)
    const doc = (await app.inject('/openapi.json')).json<{ paths: Record<string, object> }>()
    const unmapped: string[] = []
    let checked = 0
    for (const [path, ops] of Object.entries(doc.paths)) {
      const url = path.replace(/\{\*\}/g, '*').replace(/\{([^}]+)\}/g, ':$1')
      for (const method of Object.keys(ops)) {
        const m = method.toUpperCase()
        checked++
        if (routeAccess(m, url).defaulted) unmapped.push(`${m} ${url}`)
      }
    }
    assert.ok(checked > 25, `saw ${checked} operations`)
    assert.deepEqual(unmapped, [])
  })

  test('classifies registry changes as admin and registry reads, validation and lookups as overview', () => {
    const kind = (m: string, url: string) => routeAccess(m, url).access.kind
    assert.equal(kind('POST', '/api/v1/schemas/bindings'), 'admin')
    assert.equal(kind('DELETE', '/api/v1/schemas/bindings/:id'), 'admin')
    assert.equal(kind('PUT', '/api/v1/schemas/:subject/compatibility'), 'admin')
    assert.equal(kind('POST', '/subjects/:subject/versions'), 'admin')
    assert.equal(kind('PUT', '/config'), 'admin')
    assert.equal(kind('POST', '/api/v1/sparkplug/nodes/:group/:edge/rebirth'), 'admin')
    assert.equal(kind('GET', '/api/v1/schemas'), 'overview')
    assert.equal(kind('POST', '/api/v1/schemas/:subject/versions/:version/validate'), 'overview')
    assert.equal(kind('POST', '/subjects/:subject'), 'overview')
    assert.equal(kind('GET', '/health/ready'), 'public')
    assert.equal(kind('HEAD', '/health/live'), 'public')
    // Deny by default: an unknown API route needs admin; unknown static files are public.
    assert.deepEqual(routeAccess('GET', '/api/v1/something-new'), {
      access: { kind: 'admin' },
      defaulted: true,
    })
    assert.equal(kind('GET', '/js/app.js'), 'public')
    assert.equal(kind('POST', '/upload'), 'admin')
  })
})

describe('open mode (nothing configured, loopback)', () => {
  test('answers reads and writes without credentials, as before, and audits the write', async () => {
    const { app, events } = await build(undefined)
    const values = await app.inject('/api/v1/values?filter=%23')
    assert.equal(values.statusCode, 200)
    assert.equal(values.json<{ items: unknown[] }>().items.length, 2)
    const write = await app.inject({
      method: 'POST',
      url: `/api/v1/nodes/${FILLER}/speedSetpoint/write`,
      payload: { value: 100 },
    })
    assert.equal(write.statusCode, 202)
    assert.deepEqual(
      events.map((e) => [e.identity, e.action, e.target, e.result]),
      [['anonymous', 'write', `${FILLER}/speedSetpoint`, 'allowed']],
    )
    const me = (await app.inject('/api/v1/me')).json()
    assert.deepEqual(me, {
      identity: 'anonymous',
      kind: 'anonymous',
      roles: [],
      open: true,
      can: { read: ['#'], write: ['#'], admin: true },
    })
  })
})

describe('metrics behind a token (security.publicMetrics: false)', () => {
  test('answers 401 without a token and 200 to a role with read on $SYS/metrics', async () => {
    const token = 'scraper-token-3a9f'
    const config = loadConfig({ env: {} })
    const security = await createSecurity(
      { logger: createLogger('silent') },
      {
        security: {
          ...config.security,
          tokens: [{ name: 'prometheus', token: await hashPassword(token, FAST), roles: ['scraper'] }],
          roles: { scraper: { read: ['$SYS/metrics'], publish: [], subscribe: [], write: [], admin: false } },
        },
        sparkplugHostId: 'uns-bridge',
      },
    )
    const app = await buildApi({
      logger: createLogger('silent'),
      health: () => ({ ready: true, mqtt: { listening: true, clients: 0 }, kafka: { state: 'disabled' } }),
      metricsRegistry: new MetricsRegistry(),
      handleMqttStream: () => {},
      security,
      http: { publicMetrics: false },
    })
    assert.equal((await app.inject('/metrics')).statusCode, 401)
    const scraped = await app.inject({ url: '/metrics', headers: { authorization: `Bearer ${token}` } })
    assert.equal(scraped.statusCode, 200)
    assert.equal((await app.inject('/health/ready')).statusCode, 200, 'probes stay open')
    // The scraper's grant reaches nothing in the namespace.
    const values = await app.inject({ url: '/api/v1/me', headers: { authorization: `Bearer ${token}` } })
    assert.deepEqual(values.json<{ can: unknown }>().can, { read: ['$SYS/metrics'], write: [], admin: false })
  })
})

describe('what a role may read shapes tree, nodes and search', async () => {
  const token = 'viewer-token-7c1d'
  const { app, events } = await build({
    tokens: [{ name: 'viewer', token: await hashPassword(token, FAST), roles: ['berlin-viewer'] }],
    roles: { 'berlin-viewer': { read: ['acme/berlin/#'] } },
  })
  const get = (url: string) => app.inject({ url, headers: { authorization: `Bearer ${token}` } })

  test('the root and acme are shown on the way to berlin; austin is not shown at all', async () => {
    const root = (await get('/api/v1/tree?depth=3')).json<{
      children: { path: string; children?: { path: string; children?: { path: string }[] }[] }[]
    }>()
    assert.deepEqual(
      root.children.map((c) => c.path),
      ['acme'],
    )
    assert.deepEqual(
      root.children[0]?.children?.map((c) => c.path),
      ['acme/berlin'],
    )
    assert.ok((root.children[0]?.children?.[0]?.children?.length ?? 0) > 0, 'berlin is browsable')
    const austin = await get('/api/v1/tree?path=acme/austin')
    assert.equal(austin.statusCode, 403)
    assert.equal(austin.headers['content-type'], 'application/problem+json; charset=utf-8')
    assert.equal(austin.json<{ code: string }>().code, 'UNS_ERR_SECURITY_FORBIDDEN')
    assert.equal(events.at(-1)?.target, 'acme/austin')
    assert.equal(events.at(-1)?.result, 'refused')
  })

  test('nodes above the grant show no value; a readable tag shows its value', async () => {
    assert.equal((await get('/api/v1/nodes/acme')).statusCode, 200)
    const tag = (await get(`/api/v1/nodes/${FILLER}/temperature`)).json<{ value?: { value: number } }>()
    assert.equal(tag.value?.value, 21.5)
    assert.equal((await get('/api/v1/nodes/acme/austin/assembly/line-1/press-1/pressure')).statusCode, 403)
  })

  test('search finds only readable paths, and the limit counts only those', async () => {
    const hits = (await get('/api/v1/search?q=line-1&limit=5')).json<{ items: { path: string }[] }>()
    assert.equal(hits.items.length, 5)
    assert.ok(hits.items.every((h) => h.path.startsWith('acme/berlin/')))
  })

  test('values, stream, history and dead letters need the filter or path covered; wider ones are refused', async () => {
    assert.equal((await get('/api/v1/values?filter=acme/berlin/%23')).statusCode, 200)
    const austin = await get('/api/v1/history/acme/austin/assembly/line-1/press-1/pressure')
    assert.equal(austin.statusCode, 403)
    assert.equal((await get('/api/v1/dlq')).statusCode, 403, 'dead letters need read on #')
    const wide = await get('/api/v1/values?filter=acme/%23')
    assert.equal(wide.statusCode, 403)
    assert.match(wide.json<{ detail: string }>().detail, /viewer may not read acme\/#/)
    assert.equal((await get('/api/v1/stream?filter=%23')).statusCode, 403)
  })

  test('the explorer page loads without a token (it asks for one afterwards)', async () => {
    const page = await app.inject('/')
    assert.equal(page.statusCode, 200)
    assert.match(String(page.headers['content-type']), /text\/html/)
    assert.equal((await app.inject('/api/v1/tree')).statusCode, 401)
  })

  test('me lists the grants', async () => {
    assert.deepEqual((await get('/api/v1/me')).json(), {
      identity: 'viewer',
      kind: 'token',
      roles: ['berlin-viewer'],
      open: false,
      can: { read: ['acme/berlin/#'], write: [], admin: false },
    })
  })
})

describe('read scope', () => {
  test('reads what a grant matches and leads to it from above, never beside it', () => {
    const scope = createReadScope(['acme/+/packaging/#', 'plant/line-1'])
    assert.equal(scope.canRead('acme/berlin/packaging'), true)
    assert.equal(scope.canRead('acme/berlin/packaging/line-1/x'), true)
    assert.equal(scope.canRead('acme/berlin'), false)
    assert.equal(scope.leadsTo('acme/berlin'), true)
    assert.equal(scope.leadsTo(''), true)
    assert.equal(scope.leadsTo('acme/berlin/bottling'), false)
    assert.equal(scope.leadsTo('plant'), true)
    assert.equal(scope.canRead('plant/line-1'), true)
    assert.equal(scope.leadsTo('plant/line-1'), false)
    assert.equal(createReadScope([]).leadsTo(''), false)
    assert.equal(scope.coversSubtree('acme/berlin/packaging'), true)
    assert.equal(scope.coversSubtree('acme/berlin/packaging/line-1'), true)
    assert.equal(scope.coversSubtree('acme/berlin'), false)
    assert.equal(scope.coversSubtree('plant/line-1'), false, 'no # grant')
    assert.equal(createReadScope(['#']).coversSubtree(''), true)
  })
})
