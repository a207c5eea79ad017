import assert from 'node:assert/strict'
import { setTimeout as sleep } from 'node:timers/promises'
import { test } from 'node:test'
import type { FastifyInstance } from 'fastify'
import type { StreamOptions } from '../../src/api/index.js'
import type { NamespaceTree } from '../../src/namespace/index.js'
import { apply, buildTestApi, demoTree, ev, FILLER } from './app.js'
import { openSse } from './sse-client.js'

async function listen(
  stream: StreamOptions,
): Promise<{ app: FastifyInstance; tree: NamespaceTree; url: string }> {
  const tree = demoTree()
  const app = await buildTestApi(tree, stream)
  const address = await app.listen({ port: 0, host: '127.0.0.1' })
  return { app, tree, url: `${address}/api/v1/stream` }
}

async function waitFor(predicate: () => boolean, timeoutMs = 2000): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!predicate()) {
    if (Date.now() > deadline) throw new Error('condition not reached')
    await sleep(5)
  }
}

test('a client receives the changes under its filter only, as JSON events', async (ctx) => {
  const { app, tree, url } = await listen({ throttleMs: 0 })
  ctx.after(() => app.close())
  const berlin = await openSse(`${url}?filter=${encodeURIComponent('acme/berlin/+/line-1/#')}`)
  const austin = await openSse(`${url}?filter=acme/austin/%23`)
  ctx.after(() => {
    berlin.close()
    austin.close()
  })
  assert.equal(berlin.status, 200)
  assert.match(berlin.contentType ?? '', /^text\/event-stream/)
  await waitFor(() => app.streamClients() === 2)

  apply(tree, ev(`${FILLER}/temperature`, 21.5, { datatype: 'Float' }))
  apply(tree, ev('acme/berlin/packaging/line-2/filler/temperature', 30))
  apply(tree, ev('acme/austin/assembly/line-1/press-1/strokes', 2n ** 60n))
  apply(tree, ev(`${FILLER}/pressure`, 2.5, { quality: 'bad' }))
  apply(tree, { ...ev(`${FILLER}/temperature`, null), tombstone: true })

  await berlin.until(() => berlin.events.length === 3)
  await austin.until(() => austin.events.length === 1)
  await sleep(50)
  assert.deepEqual(berlin.events, [
    {
      path: `${FILLER}/temperature`,
      value: 21.5,
      timestamp: 1764072000000,
      quality: 'good',
      source: 'plc-1',
      datatype: 'Float',
      tombstone: false,
    },
    {
      path: `${FILLER}/pressure`,
      value: 2.5,
      timestamp: 1764072000000,
      quality: 'bad',
      source: 'plc-1',
      tombstone: false,
    },
    {
      path: `${FILLER}/temperature`,
      value: null,
      timestamp: 1764072000000,
      quality: 'good',
      source: 'plc-1',
      tombstone: true,
    },
  ])
  assert.equal(austin.events.length, 1)
  assert.equal(austin.events[0]?.value, '1152921504606846976', 'a 64-bit integer stays exact as a string')
})

test('a burst on one path is coalesced to the first and the latest value per window', async (ctx) => {
  const { app, tree, url } = await listen({ throttleMs: 150 })
  ctx.after(() => app.close())
  const client = await openSse(`${url}?filter=acme/%23`)
  ctx.after(() => client.close())
  await waitFor(() => app.streamClients() === 1)

  for (let i = 0; i < 200; i++) apply(tree, ev(`${FILLER}/temperature`, i))
  for (let i = 0; i < 20; i++) apply(tree, ev(`${FILLER}/pressure`, i))
  await client.until(() => client.events.length === 4)
  // Nothing else comes once the windows have closed.
  await sleep(400)
  const temps = client.events.filter((e) => e.path === `${FILLER}/temperature`).map((e) => e.value)
  const pressures = client.events.filter((e) => e.path === `${FILLER}/pressure`).map((e) => e.value)
  assert.deepEqual(temps, [0, 199])
  assert.deepEqual(pressures, [0, 19])
  assert.equal(client.events.length, 4)
})

test('sends a heartbeat comment on a quiet stream', async (ctx) => {
  const { app, url } = await listen({ throttleMs: 0, heartbeatMs: 40 })
  ctx.after(() => app.close())
  const client = await openSse(`${url}?filter=%23`)
  ctx.after(() => client.close())
  await client.until(() => client.comments.filter((c) => c === 'heartbeat').length >= 2)
  assert.equal(client.events.length, 0)
})

test('unsubscribes from the tree when the client goes away', async (ctx) => {
  const tree = demoTree()
  let subscriptions = 0
  // Counts live subscriptions while passing everything through to the real tree.
  const counted: NamespaceTree = {
    ...tree,
    subscribe(filter, cb) {
      const unsubscribe = tree.subscribe(filter, cb)
      subscriptions += 1
      return () => {
        subscriptions -= 1
        unsubscribe()
      }
    },
  }
  const app = await buildTestApi(counted, { throttleMs: 100 })
  ctx.after(() => app.close())
  const url = `${await app.listen({ port: 0, host: '127.0.0.1' })}/api/v1/stream?filter=%23`
  const client = await openSse(url)
  await waitFor(() => app.streamClients() === 1)
  assert.equal(subscriptions, 1)
  apply(tree, ev(`${FILLER}/temperature`, 1))
  apply(tree, ev(`${FILLER}/temperature`, 2))
  await client.until(() => client.events.length === 1)
  client.close()
  await waitFor(() => app.streamClients() === 0)
  assert.equal(subscriptions, 0)
  await sleep(150)
  assert.equal(client.events.length, 1, 'the pending trailing value of the closed client was dropped')
})

test('closing the app ends open streams', async () => {
  const { app, url } = await listen({ throttleMs: 0 })
  const client = await openSse(`${url}?filter=%23`)
  await waitFor(() => app.streamClients() === 1)
  await app.close()
  await client.ended
  assert.equal(app.streamClients(), 0)
})

test('rejects a malformed filter with 400 problem+json before streaming', async (ctx) => {
  const app = await buildTestApi(demoTree())
  ctx.after(() => app.close())
  const res = await app.inject('/api/v1/stream?filter=a/%23/b')
  assert.equal(res.statusCode, 400)
  assert.match(String(res.headers['content-type']), /^application\/problem\+json/)
  assert.equal(res.json().detail, 'Invalid MQTT filter "a/#/b": # must be the last level on its own')
  const missing = await app.inject('/api/v1/stream')
  assert.equal(missing.json().detail, 'Invalid request: query parameter "filter" is required')
  assert.equal(app.streamClients(), 0)
})

test('one stream with several filters (the explorer: one per open level) sends each change once', async (ctx) => {
  const { app, tree, url } = await listen({ throttleMs: 0 })
  ctx.after(() => app.close())
  const filters = [`${FILLER}/+`, 'acme/berlin/#', 'acme/austin/assembly/line-1/press-1/+']
  const client = await openSse(`${url}?${filters.map((f) => `filter=${encodeURIComponent(f)}`).join('&')}`)
  ctx.after(() => client.close())
  await waitFor(() => app.streamClients() === 1)
  apply(tree, ev(`${FILLER}/temperature`, 1))
  apply(tree, ev('acme/austin/assembly/line-1/press-1/strokes', 2))
  apply(tree, ev('acme/austin/assembly/line-2/press-1/strokes', 3))
  await client.until(() => client.events.length === 2)
  await sleep(50)
  assert.deepEqual(
    client.events.map((e) => e.value),
    [1, 2],
  )
  const bad = await fetch(`${url}?filter=a/%23&filter=a/%23/b`)
  assert.equal(bad.status, 400)
})

test('refuses a stream beyond security.limits.sseStreams with a retriable 503, counted, and serves one again after a close', async (ctx) => {
  let refused = 0
  const { app, url } = await listen({ throttleMs: 0, maxStreams: 2, refused: { inc: () => refused++ } })
  ctx.after(() => app.close())
  const first = await openSse(`${url}?filter=%23`)
  const second = await openSse(`${url}?filter=%23`)
  ctx.after(() => second.close())
  await waitFor(() => app.streamClients() === 2)
  const third = await fetch(`${url}?filter=%23`)
  assert.equal(third.status, 503)
  assert.equal(third.headers.get('retry-after'), '5')
  const problem = (await third.json()) as { code: string; detail: string }
  assert.equal(problem.code, 'UNS_ERR_API_STREAM_LIMIT')
  assert.match(problem.detail, /2 event streams are open.*security\.limits\.sseStreams/)
  assert.equal(refused, 1)
  first.close()
  await waitFor(() => app.streamClients() === 1)
  const again = await openSse(`${url}?filter=%23`)
  ctx.after(() => again.close())
  assert.equal(again.status, 200)
})
