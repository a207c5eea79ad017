// Acceptance of issue 12 on the MQTT side, over real sockets: a service configured with the example
// roles (real scrypt hashes at the lowest accepted cost), mqtt.js and Debian's mosquitto_pub/mosquitto_sub
// as clients, a TLS listener with client certificates made by openssl at run time. Every refusal must be
// counted (uns_mqtt_rejected_total, uns_audit_events_total), in the audit log and on the Kafka audit topic.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import { copyFileSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import type { TLSSocket } from 'node:tls'
import type { MqttClient } from 'mqtt'
import { nbirth, ndeath } from '../fixtures/sparkplug/index.js'
import { metricValue } from '../helpers/metrics.js'
import { spawnLoggingCli } from '../helpers/process.js'
import { readTopic, uniqueName } from '../helpers/kafka.js'
import { eventually, kafkaEnv, startService, type TestService } from '../helpers/service.js'
import { makeTestCerts, type TestCerts } from '../security/certs.js'
import {
  collect,
  login,
  mosquitto,
  PASSWORD,
  publishOutcome,
  securityYaml,
  suback,
  tryConnect,
} from './security-helpers.js'

const REFUSED = 0x80

describe('MQTT security over real sockets (issue 12)', () => {
  let svc: TestService
  let certs: TestCerts
  let url: string
  let tlsUrl: string
  const open: MqttClient[] = []
  const as = async (user: string, clientId?: string) => {
    const c = await login(url, user, clientId === undefined ? {} : { clientId })
    open.push(c)
    return c
  }
  const rejected = (reason: string) => metricValue(svc.service.metrics, 'uns_mqtt_rejected_total', { reason })
  const audited = (action: string) =>
    metricValue(svc.service.metrics, 'uns_audit_events_total', { action, result: 'refused' })
  const base = () => ['-h', '127.0.0.1', '-p', String(svc.service.mqttPort)]
  const auditTopic = uniqueName('uns.audit')
  const creds = (user: string) => ['-u', user, '-P', PASSWORD]

  before(async () => {
    certs = makeTestCerts()
    const tls = `{ port: 0, cert: ${certs.server1.cert}, key: ${certs.server1.key}, ca: ${certs.ca}, clientCertificates: optional }`
    svc = await startService(
      // Every refusal logged: the tests read the log (the default keeps 20 lines a second).
      kafkaEnv({ UNS_SECURITY_AUDIT_TOPIC: auditTopic, UNS_SECURITY_AUDIT_LOG_PER_SECOND: '100000' }),
      await securityYaml(`mqtt:\n  tls: ${tls}\n`),
    )
    await svc.ready()
    url = svc.mqttUrl
    tlsUrl = `mqtts://127.0.0.1:${svc.service.mqttTlsPort}`
  })
  after(async () => {
    await Promise.all(open.map((c) => c.endAsync(true)))
    await svc.close()
  })

  it('refuses an anonymous client with CONNACK 5 (mqtt.js and mosquitto_pub), counted and audited', async () => {
    const connects = await audited('connect')
    assert.equal(await tryConnect(url), 5)
    const pub = await mosquitto('mosquitto_pub', [...base(), '-t', 'acme/x', '-m', '1', '-q', '1'])
    assert.equal(pub.code, 5)
    assert.match(pub.stderr, /not authorised/)
    assert.equal(await rejected('not_authorized'), 2)
    assert.equal((await audited('connect')) - connects, 2)
    const line = svc.logs.find((l) => l.msg === 'access refused' && l.action === 'connect')
    assert.equal(line?.identity, 'anonymous')
    assert.match(String(line?.address), /^127\.0\.0\.1:\d+$/)
  })

  it('refuses a wrong password and an unknown user with CONNACK 4', async () => {
    assert.equal(await tryConnect(url, { username: 'plc-berlin-1', password: 'wrong' }), 4)
    assert.equal(await tryConnect(url, { username: 'nobody', password: PASSWORD }), 4)
    const pub = await mosquitto('mosquitto_pub', [
      ...base(),
      '-u',
      'plc-berlin-1',
      '-P',
      'x',
      '-t',
      'a',
      '-m',
      '1',
    ])
    assert.equal(pub.code, 4)
    assert.match(pub.stderr, /bad user name or password/)
    assert.equal(await rejected('bad_credentials'), 3)
    // The audit trail names who tried, never the password.
    assert.ok(svc.logs.some((l) => l.action === 'connect' && l.identity === 'nobody'))
    assert.ok(!JSON.stringify(svc.logs).includes(PASSWORD))
  })

  // Each role of the example: what it may publish and subscribe, and what it may not.
  const matrix: {
    user: string
    publish: { allowed: string[]; refused: string[] }
    subscribe: { allowed: string[]; refused: string[] }
  }[] = [
    {
      user: 'plc-berlin-1',
      publish: {
        allowed: ['acme/berlin/packaging/line-1/temp', 'spBv1.0/acme-berlin/NDATA/plc-m1'],
        refused: ['acme/austin/assembly/line-1/temp', 'spBv1.0/acme-austin/NDATA/plc-m1', 'other/x'],
      },
      subscribe: {
        allowed: ['spBv1.0/STATE/#', 'spBv1.0/acme-berlin/NCMD/#', 'spBv1.0/acme-berlin/DCMD/plc-m1/+'],
        refused: ['acme/#', 'spBv1.0/#', 'spBv1.0/acme-berlin/NDATA/#', '#'],
      },
    },
    {
      user: 'reader-1',
      publish: { allowed: [], refused: ['acme/berlin/packaging/line-1/temp'] },
      subscribe: {
        allowed: ['acme/#', 'acme/+/packaging/#', 'acme'],
        refused: ['#', '+/berlin/#', 'spBv1.0/#'],
      },
    },
    {
      // operator holds read and write (REST, uns.commands), which are not MQTT publish or subscribe.
      user: 'operator-1',
      publish: { allowed: [], refused: ['acme/berlin/packaging/line-1/speed'] },
      subscribe: { allowed: [], refused: ['acme/#', 'acme/berlin/packaging/#'] },
    },
    {
      user: 'admin-1',
      publish: { allowed: ['acme/austin/x', 'anything/else'], refused: [] },
      subscribe: { allowed: ['#', '$SYS/#', 'spBv1.0/#'], refused: [] },
    },
  ]
  for (const role of matrix) {
    it(`${role.user}: allowed publishes are delivered, refused ones close the connection and are audited`, async () => {
      const watcher = await as('admin-1')
      const seen = collect(watcher)
      await watcher.subscribeAsync(['#'], { qos: 1 })
      const refusedBefore = await audited('publish')
      for (const topic of role.publish.allowed) {
        assert.equal(await publishOutcome(await as(role.user), topic, `ok-${role.user}`), 'acked', topic)
        await eventually(() => seen.find((m) => m.topic === topic))
      }
      for (const topic of role.publish.refused) {
        assert.equal(await publishOutcome(await as(role.user), topic, `no-${role.user}`), 'closed', topic)
      }
      assert.equal((await audited('publish')) - refusedBefore, role.publish.refused.length)
      // A refused message never reaches anyone: the last allowed publish went out after them.
      await publishOutcome(watcher, 'marker/after', role.user)
      await eventually(() => seen.find((m) => m.topic === 'marker/after' && m.payload === role.user))
      assert.deepEqual(
        seen.filter((m) => m.payload === `no-${role.user}`),
        [],
      )
    })

    it(`${role.user}: SUBACK grants its filters and answers 0x80 for the others`, async () => {
      const client = await as(role.user)
      const filters = [...role.subscribe.allowed, ...role.subscribe.refused]
      const before = await audited('subscribe')
      const granted = await suback(client, filters)
      assert.deepEqual(
        granted.map((g) => g !== REFUSED),
        filters.map((f) => role.subscribe.allowed.includes(f)),
        filters.join(' '),
      )
      assert.equal((await audited('subscribe')) - before, role.subscribe.refused.length)
      assert.ok(client.connected, 'a refused filter does not close the connection')
    })
  }

  it('refuses a filter deeper or longer than the topic limits with SUBACK 0x80, and such a topic by closing', async () => {
    const before = await rejected('topic_limit')
    const deep = Array.from({ length: 40 }, (_, i) => `l${i}`).join('/') // security.limits.topicMaxLevels: 32
    const long = `acme/${'x'.repeat(1100)}` // topicMaxLength: 1,024
    const admin = await as('admin-1')
    assert.deepEqual(await suback(admin, [`${deep}/#`, long, 'acme/#']), [REFUSED, REFUSED, 1])
    assert.equal(await publishOutcome(await as('admin-1'), deep), 'closed')
    assert.equal(await publishOutcome(await as('admin-1'), long), 'closed')
    assert.equal((await rejected('topic_limit')) - before, 4)
  })

  it('mosquitto_sub: a reader is told every subscription was denied for #; mosquitto_pub gets a closed connection', async () => {
    const sub = await mosquitto('mosquitto_sub', [
      ...base(),
      ...creds('reader-1'),
      '-t',
      '#',
      '-C',
      '1',
      '-W',
      '5',
    ])
    assert.match(sub.stderr, /All subscription requests were denied/)
    const pub = await mosquitto('mosquitto_pub', [
      ...base(),
      ...creds('reader-1'),
      '-t',
      'acme/x',
      '-m',
      '1',
      '-q',
      '1',
    ])
    assert.notEqual(pub.code, 0)
    assert.match(pub.stderr, /connection was lost/)
    const ok = await mosquitto('mosquitto_pub', [
      ...base(),
      ...creds('plc-berlin-1'),
      '-t',
      'acme/berlin/packaging/line-1/temp',
      '-m',
      '21.5',
      '-q',
      '1',
    ])
    assert.equal(ok.code, 0, ok.stderr)
  })

  it('${username} and ${clientid} grant a client its own subtree and nobody else’s', async () => {
    const alice = await as('alice', 'c-alice')
    assert.deepEqual(await suback(alice, ['devices/alice/#', 'clients/c-alice/#']), [1, 1])
    assert.deepEqual(await suback(alice, ['devices/bob/#', 'clients/c-bob/#', 'devices/+/#']), [
      REFUSED,
      REFUSED,
      REFUSED,
    ])
    assert.equal(await publishOutcome(alice, 'devices/alice/temp'), 'acked')
    assert.equal(await publishOutcome(alice, 'clients/c-alice/state'), 'acked')
    assert.equal(await publishOutcome(await as('alice', 'c-alice-2'), 'devices/bob/temp'), 'closed')
    assert.equal(await publishOutcome(await as('alice', 'c-alice-3'), 'clients/c-alice/x'), 'closed')
  })

  it('a username or client id with +, # or / cannot widen a placeholder rule', async () => {
    // Such usernames cannot be configured, so they never log in (the trick of Mosquitto < 1.4.12).
    for (const username of ['#', '+', 'alice/#']) {
      assert.equal(await tryConnect(url, { username, password: PASSWORD }), 4, username)
    }
    // A configured user picks a client id that would turn clients/${clientid}/# into a wider filter.
    // Each filter is what clients/${clientid}/# would become by plain substitution (made a valid filter).
    const widened: [clientId: string, filter: string][] = [
      ['#', 'clients/#'],
      ['+', 'clients/+/#'],
      ['x/#', 'clients/x/#'],
      ['c-alice/+', 'clients/c-alice/+/#'],
    ]
    for (const [clientId, filter] of widened) {
      const c = await as('alice', clientId)
      assert.deepEqual(await suback(c, [filter]), [REFUSED], clientId)
    }
    const slash = await as('alice', 'a/b')
    assert.equal(await publishOutcome(slash, 'clients/a/b/x'), 'closed')
  })

  it('does not forward retained messages to a subscriber without subscribe on them', async () => {
    const admin = await as('admin-1')
    await publishOutcome(admin, 'plant/secret/recipe', 'secret', { retain: true })
    await publishOutcome(admin, 'acme/berlin/packaging/line-1/count', '7', { retain: true })
    await publishOutcome(admin, 'spBv1.0/STATE/other-host', '{"online":true,"timestamp":1}', { retain: true })
    const reader = await as('reader-1')
    const got = collect(reader)
    // One SUBSCRIBE: # refused, acme/# granted; retained messages follow only the granted filter.
    assert.deepEqual(await suback(reader, ['#', 'acme/#', 'spBv1.0/STATE/#']), [REFUSED, 1, REFUSED])
    await eventually(() => got.find((m) => m.topic === 'acme/berlin/packaging/line-1/count'))
    await publishOutcome(admin, 'acme/marker', 'end')
    await eventually(() => got.find((m) => m.topic === 'acme/marker'))
    assert.deepEqual(
      got.filter((m) => !m.topic.startsWith('acme/')),
      [],
    )
    // The same retained messages reach an identity that may see them.
    const edge = await as('plc-berlin-1')
    const edgeGot = collect(edge)
    assert.deepEqual(await suback(edge, ['spBv1.0/STATE/#']), [1])
    await eventually(() => edgeGot.find((m) => m.topic === 'spBv1.0/STATE/other-host' && m.retain))
  })

  it('logs in a verified client certificate as the user its CN names, over TLS (mqtt.js and mosquitto_pub)', async () => {
    const tls = { ca: readFileSync(certs.ca), rejectUnauthorized: true }
    const c = await tryConnect(tlsUrl, {
      ...tls,
      cert: readFileSync(certs.client.cert),
      key: readFileSync(certs.client.key),
    })
    assert.ok(typeof c !== 'number', `refused with ${String(c)}`)
    open.push(c)
    c.on('error', () => {})
    // plc-berlin-1's grants apply: its own subtree yes, another site no.
    assert.equal(await publishOutcome(c, 'acme/berlin/packaging/line-1/temp'), 'acked')
    assert.equal(await publishOutcome(c, 'acme/austin/assembly/line-1/temp'), 'closed')
    const pub = await mosquitto('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(svc.service.mqttTlsPort),
      '--cafile',
      certs.ca,
      '--cert',
      certs.client.cert,
      '--key',
      certs.client.key,
      '-t',
      'acme/berlin/packaging/line-1/temp',
      '-m',
      '1',
      '-q',
      '1',
    ])
    assert.equal(pub.code, 0, pub.stderr)
    // A certificate with the same CN from another CA is not verified: no identity, so anonymous, refused.
    assert.equal(
      await tryConnect(tlsUrl, {
        ...tls,
        cert: readFileSync(certs.stranger.cert),
        key: readFileSync(certs.stranger.key),
      }),
      5,
    )
    // Without a certificate (clientCertificates: optional) a password still works over TLS.
    const pw = await tryConnect(tlsUrl, { ...tls, username: 'reader-1', password: PASSWORD })
    assert.ok(typeof pw !== 'number')
    open.push(pw)
  })

  it('the TLS port refuses plain MQTT over TCP: no CONNACK, counted', async () => {
    const before = await rejected('tls_handshake')
    const plain = await tryConnect(`mqtt://127.0.0.1:${svc.service.mqttTlsPort}`, {
      username: 'admin-1',
      password: PASSWORD,
      connectTimeout: 3000,
    }).catch((err: Error) => err)
    assert.ok(plain instanceof Error, 'no MQTT session over plain TCP on the TLS port')
    const pub = await mosquitto('mosquitto_pub', [
      '-h',
      '127.0.0.1',
      '-p',
      String(svc.service.mqttTlsPort),
      ...creds('admin-1'),
      '-t',
      'acme/x',
      '-m',
      '1',
    ])
    assert.notEqual(pub.code, 0)
    await eventually(async () => ((await rejected('tls_handshake')) - before >= 2 ? true : undefined))
  })

  it('refuses NCMD and DCMD without a write grant and lets an identity with one send them', async () => {
    const edge = await as('plc-berlin-1')
    const cmds = collect(edge)
    assert.deepEqual(await suback(edge, ['spBv1.0/acme-berlin/NCMD/#']), [1])
    // edge-berlin may publish under spBv1.0/acme-berlin/# but holds no write grant.
    for (const topic of ['spBv1.0/acme-berlin/NCMD/plc-x', 'spBv1.0/acme-berlin/DCMD/plc-x/dev']) {
      assert.equal(await publishOutcome(await as('plc-berlin-2'), topic, 'forged'), 'closed', topic)
    }
    const pub = await mosquitto('mosquitto_pub', [
      ...base(),
      ...creds('plc-berlin-2'),
      '-t',
      'spBv1.0/acme-berlin/NCMD/plc-x',
      '-m',
      'forged',
      '-q',
      '1',
    ])
    assert.notEqual(pub.code, 0)
    assert.ok(
      svc.logs.some((l) => l.action === 'publish' && /NCMD needs a write grant/.test(String(l.reason))),
    )
    // admin holds write on #.
    assert.equal(await publishOutcome(await as('admin-1'), 'spBv1.0/acme-berlin/NCMD/plc-x', 'real'), 'acked')
    await eventually(() => cmds.find((m) => m.payload === 'real'))
    assert.deepEqual(
      cmds.filter((m) => m.payload === 'forged'),
      [],
    )
  })

  it('refuses a faked NDEATH for another client’s edge node; the real edge node stays online', async () => {
    const edge = await login(url, 'plc-berlin-1', {
      clientId: 'plc-owner',
      will: {
        topic: 'spBv1.0/acme-berlin/NDEATH/plc-own',
        payload: Buffer.from(ndeath(3)),
        qos: 1,
        retain: false,
      },
    })
    open.push(edge)
    assert.equal(
      await publishOutcome(edge, 'spBv1.0/acme-berlin/NBIRTH/plc-own', Buffer.from(nbirth({ bdSeq: 3 }))),
      'acked',
    )
    const online = () => svc.service.sparkplug.nodes().find((n) => n.edge === 'plc-own')?.online
    await eventually(() => (online() === true ? true : undefined))
    // Same role, same publish grant, another client: it may not speak for plc-own.
    const forger = await as('plc-berlin-2')
    assert.equal(
      await publishOutcome(forger, 'spBv1.0/acme-berlin/NDEATH/plc-own', Buffer.from(ndeath(3))),
      'closed',
    )
    const tool = await mosquitto('mosquitto_pub', [
      ...base(),
      ...creds('plc-berlin-2'),
      '-t',
      'spBv1.0/acme-berlin/NDEATH/plc-own',
      '-m',
      'x',
      '-q',
      '1',
    ])
    assert.notEqual(tool.code, 0)
    assert.equal(online(), true)
    assert.ok(edge.connected)
    assert.ok(svc.logs.some((l) => /edge node acme-berlin\/plc-own belongs to/.test(String(l.reason))))
    // Its own Will, when its connection dies, is delivered: the node goes offline.
    edge.stream.destroy()
    await eventually(() => (online() === false ? true : undefined))
  })

  it('puts every refused connect, publish and subscribe of this file on the audit topic in Kafka', async () => {
    interface Event {
      identity: string
      address: string
      action: string
      target: string
      result: string
      reason?: string
    }
    // Every refusal counted so far, by action; the topic must hold as many refused records of each.
    const counted: Record<string, number> = {}
    for (const action of ['connect', 'publish', 'subscribe']) counted[action] = await audited(action)
    const refusedOf = (events: Event[], action: string) =>
      events.filter((e) => e.action === action && e.result === 'refused').length
    const records = await readTopic(auditTopic, 0, 60000, undefined, (rs) => {
      const events = rs.map((r) => JSON.parse(r.value?.toString() ?? '{}') as Event)
      return Object.entries(counted).every(([action, n]) => refusedOf(events, action) >= n)
    })
    const events = records.map((r) => JSON.parse(r.value?.toString() ?? '{}') as Event)
    for (const [action, n] of Object.entries(counted)) {
      assert.ok(n > 0, `the matrix refused some ${action}`)
      assert.equal(refusedOf(events, action), n, `refused ${action} records`)
    }
    const connect = events.find((e) => e.action === 'connect' && e.result === 'refused')
    assert.match(connect?.address ?? '', /^127\.0\.0\.1:\d+$/)
    const ncmd = events.find((e) => e.action === 'publish' && /NCMD needs a write grant/.test(e.reason ?? ''))
    assert.match(ncmd?.target ?? '', /^spBv1\.0\/acme-berlin\/NCMD\//)
    assert.ok(
      events.every((e) => !JSON.stringify(e).includes(PASSWORD)),
      'no password in the audit trail',
    )
  })
})

describe('MQTT over TLS only, certificates reloaded on SIGHUP (the CLI as an operator runs it)', () => {
  it('serves TLS without a plain TCP listener and swaps certificates on SIGHUP without dropping connections', async () => {
    const certs = makeTestCerts()
    const dir = mkdtempSync(join(tmpdir(), 'uns-sighup-'))
    const cert = join(dir, 'server.pem')
    const key = join(dir, 'server-key.pem')
    copyFileSync(certs.server1.cert, cert)
    copyFileSync(certs.server1.key, key)
    const file = join(dir, 'config.yaml')
    writeFileSync(
      file,
      `host: 127.0.0.1\nhttp: { port: 0 }\nmqtt:\n  port: 0\n  plaintext: false\n  tls: { port: 0, cert: ${cert}, key: ${key} }\n${await securityYaml()}`,
    )
    const { child, lines } = spawnLoggingCli(['--config', file])
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    const clients: MqttClient[] = []
    try {
      const listening = await eventually(() => lines.find((l) => l.msg === 'MQTT/TLS listening'), 60000)
      await eventually(() => lines.find((l) => l.msg === 'HTTP listening'), 60000)
      assert.equal(lines.filter((l) => l.msg === 'MQTT listening').length, 0, 'no plain MQTT listener')
      const tlsUrl = `mqtts://127.0.0.1:${String(listening.port)}`
      const connect = async () => {
        const c = await login(tlsUrl, 'admin-1', { ca: readFileSync(certs.ca), rejectUnauthorized: true })
        clients.push(c)
        return c
      }
      const serverCn = (c: MqttClient) => (c.stream as TLSSocket).getPeerCertificate().subject.CN
      const first = await connect()
      assert.equal(serverCn(first), 'uns-bridge-1')

      // Renewed certificate files, then SIGHUP: new handshakes get them, the open connection keeps working.
      copyFileSync(certs.server2.cert, cert)
      copyFileSync(certs.server2.key, key)
      child.kill('SIGHUP')
      await eventually(() => lines.find((l) => l.msg === 'MQTT/TLS certificates reloaded'))
      const second = await connect()
      assert.equal(serverCn(second), 'uns-bridge-2')
      const got = collect(second)
      await second.subscribeAsync('acme/#', { qos: 1 })
      assert.equal(await publishOutcome(first, 'acme/reload/check', 'still here'), 'acked')
      await eventually(() => got.find((m) => m.payload === 'still here'))

      // A broken file on the next SIGHUP: logged, the previous certificates stay, the service stays up.
      writeFileSync(cert, 'not a certificate')
      child.kill('SIGHUP')
      await eventually(() =>
        lines.find((l) => l.msg === 'TLS certificates not reloaded; the previous ones stay in use'),
      )
      assert.equal(serverCn(await connect()), 'uns-bridge-2')
    } finally {
      await Promise.all(clients.map((c) => c.endAsync(true)))
      child.kill('SIGTERM')
    }
    assert.equal(await exited, 0)
  })
})
