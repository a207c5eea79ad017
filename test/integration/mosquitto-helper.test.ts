// The independent broker that external-broker tests (issue 16) and the security matrix (issue 12)
// run against: a real mosquitto started by the test, reached by mqtt.js, its packet log readable.
import { after, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import mqtt from 'mqtt'
import { createTestCa } from '../helpers/certs.js'
import { startMosquitto } from '../helpers/mosquitto.js'
import { eventually, nextMessage } from '../helpers/service.js'

it('carries a QoS 1 publish between two clients, and its log shows SUBSCRIBE before PUBLISH per client', async () => {
  const broker = await startMosquitto()
  after(() => broker.close())
  const sub = await mqtt.connectAsync(broker.url, { clientId: 'smoke-sub', reconnectPeriod: 0 })
  after(() => sub.endAsync(true))
  await sub.subscribeAsync(['plant/#', 'spBv1.0/STATE/+'], { qos: 1 })
  const pub = await mqtt.connectAsync(broker.url, { clientId: 'smoke-pub', reconnectPeriod: 0 })
  after(() => pub.endAsync(true))
  const got = nextMessage(sub)
  await pub.publishAsync('plant/line1/temp', '21.5', { qos: 1, retain: true })
  const message = await got
  assert.equal(message.topic, 'plant/line1/temp')
  assert.equal(message.payload.toString(), '21.5')

  const packets = await eventually(() => {
    const p = broker.packets()
    return p.some((x) => x.type === 'PUBACK' && x.clientId === 'smoke-sub') ? p : undefined
  })
  const subscribe = packets.find((p) => p.type === 'SUBSCRIBE' && p.clientId === 'smoke-sub')
  assert.deepEqual(subscribe?.topics, ['plant/#', 'spBv1.0/STATE/+'])
  assert.deepEqual(subscribe?.qos, [1, 1])
  const published = packets.find((p) => p.type === 'PUBLISH' && p.direction === 'received')
  assert.deepEqual(
    {
      client: published?.clientId,
      topics: published?.topics,
      qos: published?.qos,
      retain: published?.retain,
    },
    { client: 'smoke-pub', topics: ['plant/line1/temp'], qos: [1], retain: true },
  )
  assert.ok((subscribe?.line ?? Infinity) < (published?.line ?? -1), 'the log keeps packet order')
})

it('refuses a wrong password, accepts the right one over TLS with a private CA, and comes back after SIGKILL', async () => {
  const ca = createTestCa()
  after(() => ca.remove())
  const server = ca.issue('mosquitto')
  const broker = await startMosquitto({
    allowAnonymous: false,
    users: { edge: 'edge-secret' },
    tls: { cert: server.cert, key: server.key },
  })
  after(() => broker.close())
  assert.ok(broker.tlsUrl)

  await assert.rejects(
    mqtt.connectAsync(broker.url, { username: 'edge', password: 'wrong', reconnectPeriod: 0 }),
    /Not authorized|Bad username or password/,
  )
  const tlsOptions = {
    ca: readFileSync(ca.ca),
    username: 'edge',
    password: 'edge-secret',
    reconnectPeriod: 0,
  }
  const client = await mqtt.connectAsync(broker.tlsUrl, tlsOptions)
  await client.endAsync()
  // Without the private CA the server certificate is not trusted.
  const { ca: _trusted, ...untrusted } = tlsOptions
  await assert.rejects(mqtt.connectAsync(broker.tlsUrl, untrusted), /self.signed|unable to verify/i)

  await broker.kill()
  await assert.rejects(
    mqtt.connectAsync(broker.url, {
      username: 'edge',
      password: 'edge-secret',
      reconnectPeriod: 0,
      connectTimeout: 2000,
    }),
  )
  await broker.restart()
  const again = await mqtt.connectAsync(broker.url, {
    username: 'edge',
    password: 'edge-secret',
    reconnectPeriod: 0,
  })
  await again.endAsync()
})
