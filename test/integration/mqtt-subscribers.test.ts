// What MQTT clients see of the namespace (issue 11): every derived value reaches every matching
// subscription exactly once, whatever else the client subscribed to, and `$` topics stay out of `#`
// [MQTT-4.7.2-1]. Real mqtt.js clients over TCP against a running service (no Kafka needed).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import type { MqttClient } from 'mqtt'
import { nbirth } from '../fixtures/sparkplug/index.js'
import { eventually, startService, type TestService } from '../helpers/service.js'
import { connectEdge, type Received } from './sparkplug-helpers.js'

const NS_DIR = 'test/fixtures/sparkplug/namespace'

/** Everything `client` receives from now on, whatever filter it matched. */
function inbox(client: MqttClient): Received[] {
  const got: Received[] = []
  client.on('message', (topic, payload, packet) =>
    got.push({ topic, payload, retain: packet.retain, qos: packet.qos }),
  )
  return got
}

const count = (got: Received[], topic: string): number => got.filter((m) => m.topic === topic).length

describe('MQTT subscribers see the namespace', () => {
  let svc: TestService
  before(async () => {
    svc = await startService({ UNS_NAMESPACE_DIR: NS_DIR, UNS_SPARKPLUG_HOST_ID: 'sub-host' })
  })
  after(() => svc.close())

  for (const qos of [0, 1, 2] as const) {
    it(`delivers the JSON republish and the certificate of a QoS ${qos} NBIRTH exactly once to overlapping subscriptions`, async () => {
      const group = `GQ${qos}`
      const everything = await svc.connect()
      const everythingGot = inbox(everything)
      await everything.subscribeAsync('#', { qos: 1 })
      // Filters that match both the original and the republish, plus the certificates.
      const both = await svc.connect()
      const bothGot = inbox(both)
      await both.subscribeAsync(
        [`spBv1.0/${group}/#`, `${group}/#`, `$sparkplug/certificates/spBv1.0/${group}/#`],
        { qos: 1 },
      )

      const edge = await connectEdge(svc.mqttUrl, group, 'E', 0)
      const birth = `spBv1.0/${group}/NBIRTH/E`
      await edge.publishAsync(birth, Buffer.from(nbirth({ bdSeq: 0 })), { qos })
      const derived = `${group}/E/Temperature`
      const certificate = `$sparkplug/certificates/${birth}`
      await eventually(() => (count(everythingGot, derived) > 0 ? true : undefined))
      await eventually(() =>
        count(bothGot, derived) > 0 && count(bothGot, certificate) > 0 ? true : undefined,
      )
      // A marker published after everything else: once it is in, a duplicate would have arrived too.
      await edge.publishAsync(`${group}/marker`, '1', { qos: 1 })
      await eventually(() => (count(everythingGot, `${group}/marker`) > 0 ? true : undefined))
      await eventually(() => (count(bothGot, `${group}/marker`) > 0 ? true : undefined))

      assert.equal(count(everythingGot, birth), 1, '# gets the Sparkplug original once')
      assert.equal(count(everythingGot, derived), 1, '# gets the derived JSON value once')
      assert.equal(count(everythingGot, certificate), 0, '# does not match a $ topic [MQTT-4.7.2-1]')
      assert.equal(count(bothGot, birth), 1)
      assert.equal(count(bothGot, derived), 1)
      assert.equal(count(bothGot, certificate), 1)
      const env = JSON.parse(everythingGot.find((m) => m.topic === derived)?.payload.toString() ?? '{}')
      assert.equal(env.value, 21.5)
      // The Sparkplug-aware broker's copy is delivered retained, byte for byte
      // [tck-id-conformance-mqtt-aware-nbirth-mqtt-retain].
      const cert = bothGot.find((m) => m.topic === certificate)
      assert.equal(cert?.retain, true)
      assert.deepEqual(cert?.payload, Buffer.from(nbirth({ bdSeq: 0 })))
      await Promise.all([edge.endAsync(), everything.endAsync(), both.endAsync()])
    })
  }

  it('gives a new # subscriber the retained UNS values but none of the retained $sparkplug topics', async () => {
    const edge = await connectEdge(svc.mqttUrl, 'GR', 'E', 0)
    await edge.publishAsync('spBv1.0/GR/NBIRTH/E', Buffer.from(nbirth({ bdSeq: 0 })), { qos: 0 })
    const cert = await svc.connect()
    const certGot = inbox(cert)
    await eventually(async () => {
      await cert.subscribeAsync('$sparkplug/certificates/spBv1.0/GR/#', { qos: 1 })
      return certGot.length > 0 ? true : undefined
    })
    assert.equal(certGot[0]?.retain, true)

    const late = await svc.connect()
    const lateGot = inbox(late)
    await late.subscribeAsync('#', { qos: 1 })
    await eventually(() => (count(lateGot, 'GR/E/Temperature') > 0 ? true : undefined))
    // Retained messages are sent in one go at subscribe time; the marker comes after them.
    await edge.publishAsync('GR/marker', '1', { qos: 1 })
    await eventually(() => (count(lateGot, 'GR/marker') > 0 ? true : undefined))
    assert.deepEqual(
      lateGot.filter((m) => m.topic.startsWith('$')).map((m) => m.topic),
      [],
      'retained $ topics do not reach a # subscriber',
    )
    await Promise.all([edge.endAsync(), cert.endAsync(), late.endAsync()])
  })
})
