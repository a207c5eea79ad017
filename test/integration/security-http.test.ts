// The HTTP side of issue 12 over real sockets: HTTPS with a CA made here by openssl, Node's fetch, the
// issue's example roles as bearer tokens, WSS with an Origin check, writes checked against the model
// before any DCMD reaches a real edge client, Kafka commands under security.kafkaRoles, and every
// refusal and write of this file read back from the audit topic in Kafka.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { copyFileSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { connect as tlsConnect } from 'node:tls'
import mqtt, { type MqttClient } from 'mqtt'
import { Agent } from 'undici'
import WebSocket from 'ws'
import { P, encode, nbirth } from '../fixtures/sparkplug/index.js'
import { createTopic, produce, readTopic, uniqueName } from '../helpers/kafka.js'
import { eventually, kafkaEnv, startService, uniqueTopics, type TestService } from '../helpers/service.js'
import { makeTestCerts } from '../security/certs.js'
import { hashPassword } from '../../src/security/index.js'
import { record, send, sleep, type Received } from './sparkplug-helpers.js'

// A cheap scrypt cost (the smallest the format accepts): the hashes are made at test time.
const FAST = { ln: 10, r: 8, p: 1 }
const TOKENS = { mes: 'mes-token-5b2e', dashboard: 'dashboard-token-91ac', root: 'root-token-0d3f' }
const FILLER = 'acme/berlin/packaging/line-1/filler'
const SETPOINT = `${FILLER}/speedSetpoint`
const DCMD = 'spBv1.0/acme-berlin/DCMD/plc-packaging-1/filler-1'
const ALLOWED_ORIGIN = 'https://explorer.acme.example'

interface Answer {
  status: number
  headers: Headers
  body: Record<string, unknown>
}

describe('security over HTTPS: tokens, roles, WSS, model checks and the audit topic', () => {
  const certs = makeTestCerts()
  // The served certificate files: server1 now, server2 after the SIGHUP reload.
  const served = { cert: join(certs.dir, 'served.pem'), key: join(certs.dir, 'served-key.pem') }
  copyFileSync(certs.server1.cert, served.cert)
  copyFileSync(certs.server1.key, served.key)
  const ca = readFileSync(certs.ca)
  const agent = new Agent({ connect: { ca } })
  // Node's fetch with this test's CA (undici's Agent; its types are a newer copy of Node's own).
  const dispatcher = agent as unknown as NonNullable<RequestInit['dispatcher']>
  const topics = uniqueTopics()
  const auditTopic = uniqueName('uns.audit')
  let svc: TestService
  let base: string
  let edge: MqttClient
  let ops: MqttClient
  let dcmds: Received[]

  const call = async (
    method: string,
    path: string,
    opts: { token?: string; basic?: string; body?: unknown; type?: string } = {},
  ): Promise<Answer> => {
    const headers: Record<string, string> = {}
    if (opts.token !== undefined) headers.authorization = `Bearer ${opts.token}`
    if (opts.basic !== undefined)
      headers.authorization = `Basic ${Buffer.from(opts.basic).toString('base64')}`
    if (opts.body !== undefined) headers['content-type'] = opts.type ?? 'application/json'
    const res = await fetch(`${base}${path}`, {
      method,
      headers,
      ...(opts.body === undefined ? {} : { body: JSON.stringify(opts.body) }),
      dispatcher,
    })
    const text = await res.text()
    return { status: res.status, headers: res.headers, body: text === '' ? {} : JSON.parse(text) }
  }
  const problem = (a: Answer, status: number, code: string) => {
    assert.equal(a.status, status, JSON.stringify(a.body))
    assert.equal(a.headers.get('content-type'), 'application/problem+json; charset=utf-8')
    assert.equal(a.body.code, code)
  }

  before(async () => {
    await createTopic(topics.commands)
    const hash = (s: string) => hashPassword(s, FAST)
    svc = await startService(
      kafkaEnv({ UNS_NAMESPACE_DIR: 'namespace' }, topics),
      `
http:
  tls: { cert: ${served.cert}, key: ${served.key} }
  websocketOrigins: ['${ALLOWED_ORIGIN}']
security:
  users:
    - { username: plc-berlin-1, password: "${await hash('plc-pw')}", roles: [edge-berlin] }
    - { username: ops, password: "${await hash('ops-pw')}", roles: [admin] }
  tokens:
    - { name: mes, token: "${await hash(TOKENS.mes)}", roles: [operator] }
    - { name: dashboard, token: "${await hash(TOKENS.dashboard)}", roles: [reader] }
    - { name: root, token: "${await hash(TOKENS.root)}", roles: [admin] }
  roles:
    edge-berlin: { publish: ["acme/berlin/#", "spBv1.0/acme-berlin/#"], subscribe: ["spBv1.0/STATE/#", "spBv1.0/acme-berlin/NCMD/#", "spBv1.0/acme-berlin/DCMD/#"] }
    reader:      { subscribe: ["acme/#"], read: ["acme/#"] }
    operator:    { read: ["acme/#"], write: ["acme/berlin/packaging/#"] }
    admin:       { admin: true, publish: ["#"], subscribe: ["#"], read: ["#"], write: ["#"] }
  kafkaRoles: [operator]
  audit: { topic: ${auditTopic} }
`,
    )
    base = `https://127.0.0.1:${svc.service.httpPort}`
    await eventually(() => (svc.service.health().kafka.consumer === 'running' ? true : undefined), 30000)
    ops = await mqtt.connectAsync(svc.mqttUrl, {
      clientId: 'ops-watch',
      username: 'ops',
      password: 'ops-pw',
      reconnectPeriod: 0,
    })
    // The filler PLC: an edge node whose device metric speedSetpoint the demo namespace maps onto
    // acme/berlin/packaging/line-1/filler/speedSetpoint (writable, range 0..1200).
    edge = await mqtt.connectAsync(svc.mqttUrl, {
      clientId: 'plc-packaging-1',
      username: 'plc-berlin-1',
      password: 'plc-pw',
      reconnectPeriod: 0,
    })
    dcmds = await record(edge, `${DCMD}`)
    await send(edge, 'spBv1.0/acme-berlin/NBIRTH/plc-packaging-1', nbirth())
    const t = Date.now()
    await send(
      edge,
      'spBv1.0/acme-berlin/DBIRTH/plc-packaging-1/filler-1',
      encode({
        timestamp: t,
        seq: 1,
        metrics: [
          { name: 'speedSetpoint', alias: 20, timestamp: t, datatype: P.DataType.Float, floatValue: 600 },
          { name: 'Temperature', alias: 21, timestamp: t, datatype: P.DataType.Double, doubleValue: 21 },
        ],
      }),
    )
    await eventually(() => svc.service.tree.node(SETPOINT).value)
  })
  after(async () => {
    await edge?.endAsync()
    await ops?.endAsync()
    await svc?.close()
    await agent.close()
  })

  it('answers 401 problem+json without a token and with a wrong one; health and metrics stay open', async () => {
    const none = await call('GET', '/api/v1/values?filter=acme/%23')
    problem(none, 401, 'UNS_ERR_SECURITY_UNAUTHENTICATED')
    assert.equal(none.headers.get('www-authenticate'), 'Bearer realm="uns-bridge"')
    assert.match(String(none.body.detail), /Authorization: Bearer <token>/)
    problem(
      await call('GET', '/api/v1/tree', { token: 'not-a-token' }),
      401,
      'UNS_ERR_SECURITY_UNAUTHENTICATED',
    )
    problem(await call('GET', '/api/v1/me', { basic: 'ops:wrong' }), 401, 'UNS_ERR_SECURITY_UNAUTHENTICATED')
    assert.equal((await call('GET', '/health/live')).status, 200)
    const metrics = await fetch(`${base}/metrics`, { dispatcher })
    assert.equal(metrics.status, 200)
    const refusedConnects = /uns_audit_events_total\{action="connect",result="refused"\} (\d+)/.exec(
      await metrics.text(),
    )
    assert.ok(Number(refusedConnects?.[1]) >= 3, 'the three refusals are counted')
  })

  it("gives each role of the issue's example what it grants and 403 problem+json for the rest", async () => {
    const { mes, dashboard, root } = TOKENS
    const readFiller = `/api/v1/values?filter=${encodeURIComponent(`${FILLER}/#`)}`
    const items = (a: Answer) => (a.body.items as { path: string }[]).map((i) => i.path)
    // reader: reads acme/#, nothing else
    assert.ok(items(await call('GET', readFiller, { token: dashboard })).includes(SETPOINT))
    problem(
      await call('GET', '/api/v1/values?filter=%23', { token: dashboard }),
      403,
      'UNS_ERR_SECURITY_FORBIDDEN',
    )
    problem(
      await call('GET', '/api/v1/stream?filter=%23', { token: dashboard }),
      403,
      'UNS_ERR_SECURITY_FORBIDDEN',
    )
    const denied = await call('POST', `/api/v1/nodes/${SETPOINT}/write`, {
      token: dashboard,
      body: { value: 700 },
    })
    problem(denied, 403, 'UNS_ERR_SECURITY_FORBIDDEN')
    assert.equal(
      denied.body.detail,
      `dashboard may not write ${SETPOINT}: no role grants write on ${SETPOINT}`,
    )
    problem(
      await call('POST', '/api/v1/sparkplug/nodes/acme-berlin/plc-packaging-1/rebirth', { token: dashboard }),
      403,
      'UNS_ERR_SECURITY_FORBIDDEN',
    )
    // operator: reads acme/#, writes under acme/berlin/packaging only, no admin
    assert.equal((await call('GET', readFiller, { token: mes })).status, 200)
    problem(
      await call('POST', '/api/v1/nodes/acme/berlin/bottling/line-1/filler/speedSetpoint/write', {
        token: mes,
        body: { value: 700 },
      }),
      403,
      'UNS_ERR_SECURITY_FORBIDDEN',
    )
    // edge user (HTTP Basic): MQTT grants only, no REST read
    problem(
      await call('GET', '/api/v1/search?q=filler', { basic: 'plc-berlin-1:plc-pw' }),
      403,
      'UNS_ERR_SECURITY_FORBIDDEN',
    )
    // admin: everything, including rebirth (202) and the registry
    assert.equal((await call('GET', '/api/v1/values?filter=%23', { token: root })).status, 200)
    const rebirth = await call('POST', '/api/v1/sparkplug/nodes/acme-berlin/plc-packaging-1/rebirth', {
      token: root,
    })
    assert.equal(rebirth.status, 202)
  })

  it('documents the bearer and basic schemes in /openapi.json, on every guarded route and on no open one', async () => {
    const doc = (await call('GET', '/openapi.json')).body as {
      components: { securitySchemes: Record<string, { type: string; scheme: string }> }
      paths: Record<string, Record<string, { security?: unknown[]; responses: Record<string, unknown> }>>
    }
    assert.deepEqual(
      Object.fromEntries(
        Object.entries(doc.components.securitySchemes).map(([k, v]) => [k, [v.type, v.scheme]]),
      ),
      { bearerAuth: ['http', 'bearer'], basicAuth: ['http', 'basic'] },
    )
    const values = doc.paths['/api/v1/values']?.get
    assert.deepEqual(values?.security, [{ bearerAuth: [] }, { basicAuth: [] }])
    assert.ok(values?.responses['401'] && values.responses['403'], '401 and 403 are documented')
    assert.ok(doc.paths['/api/v1/schemas/bindings']?.post?.security?.length)
    assert.deepEqual(doc.paths['/health/live']?.get?.security, [])
    assert.deepEqual(doc.paths['/metrics']?.get?.security, [])
  })

  it('tells the caller who it is and what it may do at GET /api/v1/me', async () => {
    const me = await call('GET', '/api/v1/me', { token: TOKENS.mes })
    assert.equal(me.status, 200)
    assert.deepEqual(me.body, {
      identity: 'mes',
      kind: 'token',
      roles: ['operator'],
      open: false,
      can: { read: ['acme/#'], write: ['acme/berlin/packaging/#'], admin: false },
    })
    const user = await call('GET', '/api/v1/me', { basic: 'ops:ops-pw' })
    assert.deepEqual(user.body.can, { read: ['#'], write: ['#'], admin: true })
  })

  it('refuses 5000 for a setpoint whose model says max 1200 before any DCMD reaches the edge, and sends 800', async () => {
    const before = dcmds.length
    const over = await call('POST', `/api/v1/nodes/${SETPOINT}/write`, {
      token: TOKENS.mes,
      body: { value: 5000 },
    })
    problem(over, 400, 'UNS_ERR_WRITE_OUTSIDE_MODEL')
    assert.match(
      String(over.body.detail),
      /5000 is above the model's maximum 1200 \(model Filler@2\); nothing was sent/,
    )
    problem(
      await call('POST', `/api/v1/nodes/${SETPOINT}/write`, { token: TOKENS.mes, body: { value: 'fast' } }),
      400,
      'UNS_ERR_WRITE_OUTSIDE_MODEL',
    )
    const ok = await call('POST', `/api/v1/nodes/${SETPOINT}/write`, {
      token: TOKENS.mes,
      body: { value: 800 },
    })
    assert.equal(ok.status, 202)
    const cmd = await eventually(() => dcmds[before])
    assert.equal(P.Payload.decode(cmd.payload).metrics[0]?.floatValue, 800)
    await sleep(300)
    assert.equal(dcmds.length, before + 1, 'only the 800 reached the edge')
    const writes = await svc.service.metrics.writes.get()
    const count = (result: string) => writes.values.find((v) => v.labels.result === result)?.value
    assert.equal(count('UNS_ERR_WRITE_OUTSIDE_MODEL'), 2)
  })

  it('checks Kafka commands against the write grant of security.kafkaRoles and the model', async () => {
    // The consumer may still be joining its group: a probe within the grant shows when records arrive.
    const probes = await record(ops, 'acme/berlin/packaging/probe')
    await eventually(async () => {
      await produce(topics.commands, [
        { key: 'acme/berlin/packaging/probe', value: '1', headers: { source: 'probe' } },
      ])
      await sleep(500)
      return probes[0]
    }, 60000)
    const before = dcmds.length
    await produce(topics.commands, [
      { key: SETPOINT, value: '{"value": 5000}', headers: { source: 'erp-7' } },
      {
        key: 'acme/berlin/bottling/line-1/filler/speedSetpoint',
        value: '{"value": 10}',
        headers: { source: 'erp-7' },
      },
      { key: SETPOINT, value: '{"value": 700}', headers: { source: 'erp-7' } },
    ])
    const cmd = await eventually(() => dcmds[before], 20000)
    assert.equal(P.Payload.decode(cmd.payload).metrics[0]?.floatValue, 700)
    await sleep(300)
    assert.equal(dcmds.length, before + 1, 'the 5000 never went out')
  })

  it('lets no one but admin change the registry: {"schema": false} bound to # is refused to the operator', async () => {
    const mes = TOKENS.mes
    problem(
      await call('POST', '/api/v1/schemas/block/versions', { token: mes, body: { schema: false } }),
      403,
      'UNS_ERR_SECURITY_FORBIDDEN',
    )
    problem(
      await call('POST', '/api/v1/schemas/bindings', {
        token: mes,
        body: { subject: 'block', filter: '#', policy: 'reject' },
      }),
      403,
      'UNS_ERR_SECURITY_FORBIDDEN',
    )
    // The Confluent-compatible subset answers in Confluent's format, with the same refusal.
    const confluent = await call('POST', '/subjects/block/versions', {
      token: mes,
      body: { schema: 'false' },
      type: 'application/vnd.schemaregistry.v1+json',
    })
    assert.equal(confluent.status, 403)
    assert.equal(confluent.body.error_code, 40301)
    assert.deepEqual((await call('GET', '/api/v1/schemas/bindings', { token: mes })).body, [])
    // Values still flow.
    await ops.publishAsync(`${FILLER}/temperature`, '{"value": 23.5}', { qos: 1 })
    await eventually(() =>
      svc.service.tree.node(`${FILLER}/temperature`).value?.value === 23.5 ? true : undefined,
    )
    // admin may
    const root = TOKENS.root
    const schema = await call('POST', '/api/v1/schemas/austin-temp/versions', {
      token: root,
      body: { schema: { type: 'number' } },
    })
    assert.equal(schema.status, 201)
    const binding = await call('POST', '/api/v1/schemas/bindings', {
      token: root,
      body: { subject: 'austin-temp', filter: 'acme/austin/+/+/+/temperature', policy: 'warn' },
    })
    assert.equal(binding.status, 201)
  })

  it('serves HTTPS only, and WSS at /mqtt only to allowed browser origins', async () => {
    await assert.rejects(fetch(`http://127.0.0.1:${svc.service.httpPort}/health/live`))
    const wssUrl = `wss://127.0.0.1:${svc.service.httpPort}/mqtt`
    const status = await new Promise<number>((resolve, reject) => {
      const ws = new WebSocket(wssUrl, 'mqtt', { origin: 'https://evil.example', ca })
      ws.on('unexpected-response', (_req, res) => resolve(res.statusCode ?? 0))
      ws.on('open', () => reject(new Error('opened')))
      ws.on('error', () => {})
    })
    assert.equal(status, 403)
    const client = await mqtt.connectAsync(wssUrl, {
      clientId: 'explorer-wss',
      username: 'ops',
      password: 'ops-pw',
      reconnectPeriod: 0,
      ca,
      wsOptions: { origin: ALLOWED_ORIGIN },
    })
    assert.equal(client.connected, true)
    await client.endAsync()
  })

  it('reloads the certificate files on reloadTls (SIGHUP) without dropping an open stream', async () => {
    const cn = () =>
      new Promise<string>((resolve, reject) => {
        const s = tlsConnect(
          { host: '127.0.0.1', port: svc.service.httpPort, ca, servername: 'localhost' },
          () => {
            const subject = s.getPeerCertificate().subject.CN
            s.end()
            resolve(String(subject))
          },
        )
        s.on('error', reject)
      })
    assert.equal(await cn(), 'uns-bridge-1')
    const stream = await fetch(`${base}/api/v1/stream?filter=${encodeURIComponent(`${FILLER}/#`)}`, {
      headers: { authorization: `Bearer ${TOKENS.dashboard}` },
      dispatcher,
    })
    assert.equal(stream.status, 200)
    const reader = (stream.body as ReadableStream<Uint8Array>).getReader()
    copyFileSync(certs.server2.cert, served.cert)
    copyFileSync(certs.server2.key, served.key)
    svc.service.reloadTls()
    assert.equal(await cn(), 'uns-bridge-2')
    await ops.publishAsync(`${FILLER}/temperature`, '{"value": 24.25}', { qos: 1 })
    let text = ''
    const deadline = setTimeout(() => void reader.cancel(), 15000)
    while (!text.includes('24.25')) {
      const { value, done } = await reader.read()
      if (done) break
      text += new TextDecoder().decode(value)
    }
    clearTimeout(deadline)
    assert.match(text, /"value":24\.25/, 'the stream opened before the reload still delivers')
    await reader.cancel()
  })

  it('puts every refusal and every write of this file on the audit topic', async () => {
    type Event = {
      identity: string
      address: string
      action: string
      target: string
      result: string
      reason?: string
    }
    const expected: [identity: string, action: string, target: RegExp, result: string][] = [
      ['anonymous', 'connect', /^GET \/api\/v1\/values$/, 'refused'],
      ['token', 'connect', /^GET \/api\/v1\/tree$/, 'refused'],
      ['ops', 'connect', /^GET \/api\/v1\/me$/, 'refused'],
      ['dashboard', 'read', /^#$/, 'refused'],
      ['dashboard', 'write', new RegExp(`^${SETPOINT}$`), 'refused'],
      ['dashboard', 'admin', /rebirth$/, 'refused'],
      ['mes', 'write', /^acme\/berlin\/bottling\/line-1\/filler\/speedSetpoint$/, 'refused'],
      ['plc-berlin-1', 'read', /^GET \/api\/v1\/search$/, 'refused'],
      [
        'root',
        'admin',
        /^POST \/api\/v1\/sparkplug\/nodes\/acme-berlin\/plc-packaging-1\/rebirth$/,
        'allowed',
      ],
      ['mes', 'write', new RegExp(`^${SETPOINT}$`), 'refused'], // 5000, outside the model
      ['mes', 'write', new RegExp(`^${SETPOINT}$`), 'allowed'], // 800
      ['erp-7', 'write', new RegExp(`^${SETPOINT}$`), 'refused'],
      ['erp-7', 'write', /^acme\/berlin\/bottling\//, 'refused'],
      ['erp-7', 'write', new RegExp(`^${SETPOINT}$`), 'allowed'],
      ['mes', 'admin', /^POST \/api\/v1\/schemas\/block\/versions$/, 'refused'],
      ['mes', 'admin', /^POST \/api\/v1\/schemas\/bindings$/, 'refused'],
      ['mes', 'admin', /^POST \/subjects\/block\/versions$/, 'refused'],
      ['root', 'admin', /^POST \/api\/v1\/schemas\/austin-temp\/versions$/, 'allowed'],
      [
        'root',
        'admin',
        /^POST \/api\/v1\/schemas\/bindings .*acme\/austin\/\+\/\+\/\+\/temperature/,
        'allowed',
      ],
      ['anonymous', 'connect', /^\/mqtt$/, 'refused'],
    ]
    const find = (events: Event[], [identity, action, target, result]: (typeof expected)[number]) =>
      events.find(
        (e) => e.identity === identity && e.action === action && target.test(e.target) && e.result === result,
      )
    const records = await readTopic(auditTopic, 0, 30000, undefined, (rs) => {
      const events = rs.map((r) => JSON.parse(r.value?.toString() ?? '{}') as Event)
      return expected.every((e) => find(events, e) !== undefined)
    })
    const events = records.map((r) => JSON.parse(r.value?.toString() ?? '{}') as Event)
    for (const e of expected) assert.ok(find(events, e), `audit record ${e.join(' ')}`)
    const model = events.find((e) => e.identity === 'mes' && e.target === SETPOINT && e.result === 'refused')
    assert.match(model?.reason ?? '', /^UNS_ERR_WRITE_OUTSIDE_MODEL: /)
    assert.match(model?.address ?? '', /^127\.0\.0\.1:\d+$/)
    const kafka = events.find((e) => e.identity === 'erp-7' && e.result === 'allowed')
    assert.equal(kafka?.address, `kafka:${topics.commands}`)
    assert.equal(records[0]?.headers['content-type'], 'application/json')
  })
})
