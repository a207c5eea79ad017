// uns-bridge's own in-process clients (the Sparkplug host) are written only the topics they act on: the
// host subscribes to spBv1.0/# as the spec asks, but reads STATE only, and writing it every edge message
// cost about 9 % of the service's CPU under load (issue 13, decision 0062).
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import mqtt, { MqttClient } from 'mqtt'
import { duplexPair } from '../../src/sparkplug/host-client.js'
import type { Broker } from '../../src/broker/index.js'
import { startBroker } from '../helpers/broker.js'
import { eventually } from '../helpers/service.js'

describe('an in-process client of the broker', () => {
  let broker: Broker
  let own: MqttClient
  let outside: MqttClient
  before(async () => {
    broker = await startBroker()
    own = new MqttClient(
      () => {
        const [ours, theirs] = duplexPair()
        broker.handleInternalStream(theirs, 'test-host', (topic) => topic.startsWith('keep/'))
        return ours
      },
      { clientId: 'own', protocolVersion: 4, reconnectPeriod: 0 },
    )
    await new Promise((resolve) => own.once('connect', resolve))
    outside = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0 })
  })
  after(async () => {
    await own.endAsync()
    await outside.endAsync()
    await broker.close()
  })

  it('holds its subscription to # but is written only the topics it acts on', async () => {
    const got: string[] = []
    own.on('message', (topic) => got.push(topic))
    const granted = await own.subscribeAsync('#', { qos: 1 })
    assert.deepEqual(
      granted.map((g) => g.qos),
      [1],
    )
    // One session's QoS 1 deliveries keep publish order: had drop/ been written, it came before keep/.
    await outside.publishAsync('drop/a', 'x', { qos: 1 })
    await outside.publishAsync('keep/a', 'y', { qos: 1 })
    await eventually(() => (got.includes('keep/a') ? true : undefined))
    assert.deepEqual(got, ['keep/a'])
  })
})
