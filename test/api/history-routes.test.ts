// History and dead letters without Kafka: the ring answers and says what it cannot know.
import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { Registry } from 'prom-client'
import { buildApi } from '../../src/api/index.js'
import { createDeadLetters, createHistory } from '../../src/history/index.js'
import { createLogger } from '../../src/logger.js'
import { parseTime } from '../../src/api/routes/history.js'
import { apply, demoTree, ev, FILLER } from './app.js'

const logger = createLogger('silent')
const T = 1_764_072_000_000

async function app() {
  const tree = demoTree()
  const history = createHistory(
    { logger, tree, now: () => T },
    { ringPoints: 50, ringMinutes: 10, scanMaxRecords: 1000, scanMaxMs: 1000, maxPoints: 500 },
  )
  const deadLetters = createDeadLetters({ logger }, { ringSize: 3, topic: 'uns.dlq', scanMaxMs: 100 })
  const api = await buildApi({
    logger,
    health: () => ({ ready: true, mqtt: { listening: true, clients: 0 }, kafka: { state: 'disabled' } }),
    metricsRegistry: new Registry(),
    handleMqttStream: () => {},
    tree,
    history: { history, deadLetters },
  })
  return { tree, api, deadLetters }
}

describe('GET /api/v1/history and /api/v1/dlq without Kafka', () => {
  it('answers the points in memory, and says the range before the start is not known', async () => {
    const { tree, api } = await app()
    for (let i = 0; i < 5; i++) apply(tree, ev(`${FILLER}/temperature`, 20 + i, { timestamp: T + i * 1000 }))
    const res = await api.inject(`/api/v1/history/${FILLER}/temperature?from=${T}&to=${T + 10_000}`)
    assert.equal(res.statusCode, 200)
    const body = res.json()
    assert.equal(body.source, 'memory')
    assert.deepEqual(
      body.points.map((p: { value: number }) => p.value),
      [20, 21, 22, 23, 24],
    )
    assert.equal(body.truncated, false)
    const earlier = (
      await api.inject(`/api/v1/history/${FILLER}/temperature?from=${T - 3_600_000}&to=${T}`)
    ).json()
    assert.equal(earlier.truncated, true)
    assert.equal(earlier.reason, 'memory-only')
    assert.match(earlier.detail, /Kafka is not configured/)
    const kafka = await api.inject(`/api/v1/history/${FILLER}/temperature?source=kafka`)
    assert.equal(kafka.statusCode, 409)
    assert.equal(kafka.json().code, 'UNS_ERR_HISTORY_NOT_LOCATABLE')
    await api.close()
  })

  it('cuts at the limit and says where to resume; CSV carries the summary in headers', async () => {
    const { tree, api } = await app()
    for (let i = 0; i < 5; i++) apply(tree, ev(`${FILLER}/temperature`, i, { timestamp: T + i }))
    const res = await api.inject({
      url: `/api/v1/history/${FILLER}/temperature?from=${T}&to=${T + 10}&limit=2`,
      headers: { accept: 'text/csv' },
    })
    assert.equal(res.headers['uns-history-truncated'], 'true')
    assert.equal(res.headers['uns-history-reason'], 'limit')
    assert.equal(res.headers['uns-history-resume-from'], String(T + 2))
    assert.deepEqual(res.body.trim().split('\r\n'), [
      'timestamp,time,value,quality,datatype,receivedAt',
      `${T},${new Date(T).toISOString()},0,good,,`,
      `${T + 1},${new Date(T + 1).toISOString()},1,good,,`,
    ])
    assert.equal((await api.inject(`/api/v1/history/${FILLER}/temperature?limit=501`)).statusCode, 400)
    assert.equal(
      (await api.inject(`/api/v1/history/${FILLER}/temperature?from=${T}&to=${T - 1}`)).statusCode,
      400,
    )
    await api.close()
  })

  it('reads times as epoch ms, ISO 8601, now and relative spans', () => {
    assert.equal(parseTime('1764072000000', T), T)
    assert.equal(parseTime('2025-11-25T12:00:00Z', T), Date.parse('2025-11-25T12:00:00Z'))
    assert.equal(parseTime('now', T), T)
    assert.equal(parseTime('-15m', T), T - 900_000)
    assert.equal(parseTime('-2h', T), T - 7_200_000)
    assert.equal(parseTime('soon', T), undefined)
  })

  it('lists the latest refusals newest first, keeping only the ring size, binary payloads as base64', async () => {
    const { api, deadLetters } = await app()
    const msg = (topic: string, payload: Buffer) => ({
      topic,
      payload,
      qos: 1 as const,
      retain: false,
      clientId: 'c1',
    })
    deadLetters.record(msg('a/1', Buffer.from('x')), { code: 'C1', reason: 'r1' }, T)
    deadLetters.record(msg('a/2', Buffer.from([0, 1, 2, 255])), { code: 'C2', reason: 'r2' }, T + 1)
    deadLetters.record(
      msg('a/3', Buffer.from('{"value":"hot"}')),
      {
        code: 'UNS_ERR_REGISTRY_VALIDATION_FAILED',
        reason: 'does not match',
        subject: 'model.Filler',
        version: 2,
        errors: [{ instancePath: '/value', message: 'must be number' }],
      },
      T + 2,
    )
    deadLetters.record(msg('a/4', Buffer.from('y')), { code: 'C4', reason: 'r4' }, T + 3)
    const body = (await api.inject('/api/v1/dlq?limit=10')).json()
    assert.deepEqual(
      body.items.map((d: { topic: string }) => d.topic),
      ['a/4', 'a/3', 'a/2'],
    )
    assert.deepEqual(body.items[1].errors, [{ instancePath: '/value', message: 'must be number' }])
    assert.equal(body.items[1].subject, 'model.Filler')
    assert.equal(body.items[2].payloadEncoding, 'base64')
    assert.equal(body.items[2].payload, Buffer.from([0, 1, 2, 255]).toString('base64'))
    await api.close()
  })
})

describe('the explorer at /', () => {
  it('serves the page, its modules and the vendored libraries; nothing else under /vendor', async () => {
    const { api } = await app()
    const page = await api.inject('/')
    assert.equal(page.statusCode, 200)
    assert.match(page.body, /<script type="importmap">/)
    // Scripts from this origin and the inline import map (by its hash) only.
    assert.match(
      String(page.headers['content-security-policy']),
      /script-src 'self' 'sha256-[A-Za-z0-9+/]+=*'/,
    )
    assert.match(
      String((await api.inject('/js/main.js')).headers['content-type']),
      /^(text|application)\/javascript/,
    )
    const preact = await api.inject('/vendor/preact.mjs')
    assert.equal(preact.statusCode, 200)
    assert.match(preact.body, /export\s*\{/)
    assert.equal((await api.inject('/vendor/..%2Fpackage.json')).statusCode, 404)
    await api.close()
  })
})
