// The host application's session against an independent broker (Debian's mosquitto): the order of its
// packets as mosquitto logged them, and that edge traffic delivered on its `spBv1.0/#` subscription is
// not handed to the host state machine (the pipeline sees it elsewhere; processing it here would count
// every NBIRTH/NDATA twice).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { connect as netConnect } from 'node:net'
import mqtt from 'mqtt'
import { createSparkplugHost } from '../../src/sparkplug/index.js'
import { createHostClient, type HostClient } from '../../src/sparkplug/host-client.js'
import { startMosquitto, type TestMosquitto } from '../helpers/mosquitto.js'

const quiet = { info() {}, warn() {} }
const wait = async <T>(f: () => T | undefined, ms = 10000): Promise<T> => {
  const end = Date.now() + ms
  for (;;) {
    const v = f()
    if (v !== undefined) return v
    if (Date.now() > end) throw new Error('timed out')
    await new Promise((r) => setTimeout(r, 20))
  }
}

describe('host application session on mosquitto', () => {
  let broker: TestMosquitto
  let client: HostClient
  const handled: string[] = []

  before(async () => {
    broker = await startMosquitto()
    const host = createSparkplugHost(
      { clock: { now: Date.now, setTimeout, clearTimeout }, hostId: 'hm' },
      { reorderTimeoutMs: 100, rebirthMinIntervalMs: 1000 },
    )
    const spy = new Proxy(host, {
      get(target, key, receiver) {
        if (key !== 'handle') return Reflect.get(target, key, receiver) as unknown
        return (topic: string, payload: Uint8Array, at: number) => {
          handled.push(topic)
          return target.handle(topic, payload, at)
        }
      },
    })
    client = await createHostClient(
      {
        openStream: () => netConnect(broker.port, '127.0.0.1'),
        host: spy,
        logger: quiet,
        onOutcome: () => {},
      },
      { hostId: 'hm', reconnectPeriodMs: 200 },
    )
  })
  after(async () => {
    await client?.close()
    await broker?.close()
  })

  it('has mosquitto receive its SUBSCRIBE (STATE and spBv1.0/#) before its STATE PUBLISH', async () => {
    // [tck-id-host-topic-phid-birth-sub-required, tck-id-message-flow-phid-sparkplug-subscription,
    // tck-id-payloads-state-subscribe]
    const mine = await wait(() => {
      const p = broker.packets().filter((x) => x.clientId === 'hm-host' && x.direction === 'received')
      return p.some((x) => x.type === 'PUBLISH') ? p : undefined
    })
    const sub = mine.findIndex((x) => x.type === 'SUBSCRIBE')
    const pub = mine.findIndex((x) => x.type === 'PUBLISH' && x.topics[0] === 'spBv1.0/STATE/hm')
    assert.ok(sub >= 0, 'no SUBSCRIBE from the host')
    assert.deepEqual([...(mine[sub]?.topics ?? [])].sort(), ['spBv1.0/#', 'spBv1.0/STATE/hm'])
    assert.deepEqual(mine[sub]?.qos, [1, 1])
    assert.ok(sub < pub, `SUBSCRIBE (#${sub}) must come before the STATE PUBLISH (#${pub})`)
    assert.equal(mine[pub]?.retain, true)
  })

  it('receives edge traffic on spBv1.0/# without handing it to the host state machine', async () => {
    const edge = await mqtt.connectAsync(broker.url, { clientId: 'edge-1' })
    await edge.publishAsync('spBv1.0/G/NDEATH/E', Buffer.from([8, 0]), { qos: 1 })
    await edge.endAsync()
    // mosquitto delivered it to the host's session...
    await wait(() =>
      broker
        .packets()
        .some(
          (x) =>
            x.type === 'PUBLISH' &&
            x.direction === 'sent' &&
            x.clientId === 'hm-host' &&
            x.topics[0] === 'spBv1.0/G/NDEATH/E',
        )
        ? true
        : undefined,
    )
    // ...and the host session left it alone.
    assert.deepEqual(
      handled.filter((t) => t !== 'spBv1.0/STATE/hm'),
      [],
    )
  })
})
