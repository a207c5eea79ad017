// A burst of publishes must not crash the broker. aedes hands its `concurrency` (default 100) to mqemitter,
// which queues publishes beyond 100 in progress and, when one finishes, starts the next queued one inside
// the same call: a long queue of publishes that finish at once (no subscriber) drained as one nested call
// per message, "RangeError: Maximum call stack size exceeded", the process gone. Seen in the throughput
// bench (issue 13, larger socket reads); the service's own publishes go through the same queue.
// Decision 0061.
import assert from 'node:assert/strict'
import { after, before, describe, it } from 'node:test'
import mqtt, { type MqttClient } from 'mqtt'
import type { Broker } from '../../src/broker/index.js'
import { startBroker } from '../helpers/broker.js'
import { eventually } from '../helpers/service.js'

describe('the broker under a burst of publishes', () => {
  let broker: Broker
  let subscriber: MqttClient
  before(async () => {
    broker = await startBroker()
    subscriber = await mqtt.connectAsync(`mqtt://127.0.0.1:${broker.port}`, { reconnectPeriod: 0 })
  })
  after(async () => {
    await subscriber.endAsync()
    await broker.close()
  })

  it('delivers 20,150 publishes made at once, 150 of them behind a subscriber, and stays up', async () => {
    let received = 0
    subscriber.on('message', () => received++)
    await subscriber.subscribeAsync('hold/#', { qos: 0 })
    // Deliveries to a subscriber finish a turn later: the first 150 keep publishes in progress while the
    // 20,000 others (no subscriber, finished at once) wait behind them.
    const sends = [
      ...Array.from({ length: 150 }, (_, i) =>
        broker.publish({ topic: 'hold/t', payload: Buffer.from(`${i}`), qos: 0, retain: false }),
      ),
      ...Array.from({ length: 20_000 }, (_, i) =>
        broker.publish({ topic: `free/${i % 100}`, payload: Buffer.from(`${i}`), qos: 0, retain: false }),
      ),
    ]
    assert.equal((await Promise.allSettled(sends)).filter((s) => s.status === 'fulfilled').length, 20_150)
    await eventually(() => (received === 150 ? true : undefined))
    assert.equal(broker.listening, true)
  })
})
