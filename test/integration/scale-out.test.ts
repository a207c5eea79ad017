// [issue 15] Three uns-bridge instances share one MQTT fabric through Redis (mqemitter-redis +
// aedes-persistence-redis, decision 0050) and one Kafka: what a client publishes on A reaches a
// subscriber on C once, retained messages are seen on every instance, each publish enters Kafka
// once (through A, where authorizePublish ran), the REST tree is the same everywhere, and a
// clean=false QoS 1 subscriber that left A gets on C what was published on B meanwhile.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import mqtt, { type MqttClient } from 'mqtt'
import { startRedis, type TestRedis } from '../helpers/redis.js'
import { readTopic, uniqueName } from '../helpers/kafka.js'
import { eventually, kafkaEnv, startService, uniqueTopics, type TestService } from '../helpers/service.js'

describe('scale-out: 3 instances over Redis and one Kafka', () => {
  let redis: TestRedis
  let instances: TestService[] = []
  const topics = uniqueTopics()
  const group = uniqueName('group')
  const [A, B, C] = [0, 1, 2]
  const inst = (i: number): TestService => instances[i] as TestService

  before(async () => {
    redis = await startRedis()
    instances = await Promise.all(
      ['a', 'b', 'c'].map((id) =>
        startService(
          kafkaEnv(
            {
              UNS_CLUSTER_REDIS: redis.url,
              UNS_INSTANCE_ID: `uns-${id}`,
              UNS_SPARKPLUG_HOST_ID: `host-${id}`,
              UNS_KAFKA_CONSUMER_GROUP: group,
            },
            topics,
          ),
        ),
      ),
    )
    await Promise.all(instances.map((s) => s.ready(60_000)))
  })
  after(async () => {
    await Promise.all(instances.map((s) => s.close()))
    await redis?.stop()
  })

  it('/health/ready reports Redis ready on every instance', async () => {
    for (const s of instances) {
      const res = await fetch(`${s.httpUrl}/health/ready`)
      const body = (await res.json()) as { ready: boolean; redis?: { state: string } }
      assert.equal(res.status, 200)
      assert.equal(body.redis?.state, 'ready')
    }
  })

  it('a subscriber on C receives once what a client publishes on A; Kafka gets it once', async () => {
    const sub = await inst(C).connect('sub-c')
    const got: string[] = []
    const probes: string[] = []
    sub.on('message', (t) => void (t.endsWith('/probe') ? probes.push(t) : undefined))
    // Probes may still arrive after the first one; only the numbered messages are counted.
    sub.on('message', (t, p) => void (t.endsWith('/probe') ? undefined : got.push(p.toString())))
    await sub.subscribeAsync('acme/berlin/scale/#', { qos: 1 })
    // The subscription reaches the other instances through Redis; publish until it is in place.
    const pub = await inst(A).connect('pub-a')
    await eventually(async () => {
      await pub.publishAsync('acme/berlin/scale/probe', '0', { qos: 1 })
      return probes.length > 0 ? true : undefined
    }, 20_000)
    const n = 20
    const before = got.length
    for (let i = 1; i <= n; i++)
      await pub.publishAsync(`acme/berlin/scale/m${i}`, String(i * 1000), { qos: 1 })
    await eventually(() => (got.length - before >= n ? true : undefined), 20_000)
    // A short wait for duplicates that would come through a second path.
    await new Promise((r) => setTimeout(r, 1000))
    const payloads = got.slice(before)
    assert.deepEqual(
      payloads,
      Array.from({ length: n }, (_, i) => String((i + 1) * 1000)),
    )

    const mine = (r: { key: string | null }) => r.key !== null && /acme\/berlin\/scale\/m\d+$/.test(r.key)
    const records = await readTopic(topics.telemetry, Number.MAX_SAFE_INTEGER, 10_000)
    const scale = records.filter(mine)
    const keys = scale.map((r) => r.key)
    assert.equal(scale.length, n, `telemetry records for the ${n} publishes: ${keys.join(',')}`)
    assert.equal(new Set(keys).size, n)
    assert.ok(scale.every((r) => r.headers.origin === undefined || r.headers.origin === 'uns-a'))
  })

  it('a retained message is seen by a new subscriber on every instance', async () => {
    const pub = await inst(B).connect('retain-b')
    await pub.publishAsync('acme/berlin/scale/retained', '42', { qos: 1, retain: true })
    for (const s of instances) {
      const c = await s.connect()
      const msg = new Promise<string>((res) => c.once('message', (_t, p) => res(p.toString())))
      await c.subscribeAsync('acme/berlin/scale/retained', { qos: 1 })
      assert.equal(await msg, '42')
    }
  })

  it('the REST tree shows the same value on every instance', async () => {
    const pub = await inst(A).connect('tree-a')
    await pub.publishAsync('acme/berlin/scale/tree-check', '77', { qos: 1 })
    for (const s of instances) {
      await eventually(async () => {
        const res = await fetch(`${s.httpUrl}/api/v1/nodes/acme/berlin/scale/tree-check`)
        if (res.status !== 200) return undefined
        const body = (await res.json()) as { value?: { value: unknown } }
        return body.value?.value === 77 ? true : undefined
      }, 20_000)
    }
  })

  it('a clean=false QoS 1 subscriber that leaves A gets on C what B published meanwhile', async () => {
    const opts = { clientId: 'persistent-sub', clean: false, reconnectPeriod: 0 }
    const first: MqttClient = await mqtt.connectAsync(inst(A).mqttUrl, opts)
    await first.subscribeAsync('acme/berlin/queued/#', { qos: 1 })
    // Wait until the subscription is in Redis: a probe from B reaches it.
    const pub = await inst(B).connect('pub-b')
    const probe = new Promise<void>((res) => first.once('message', () => res()))
    await pub.publishAsync('acme/berlin/queued/probe', '0', { qos: 1 })
    await probe
    await first.endAsync()
    for (let i = 1; i <= 5; i++) await pub.publishAsync(`acme/berlin/queued/q${i}`, String(i), { qos: 1 })
    const got: string[] = []
    const second = mqtt.connect(inst(C).mqttUrl, opts)
    second.on('message', (t, p) => void got.push(`${t}=${p.toString()}`))
    try {
      await eventually(() => (got.length >= 5 ? true : undefined), 20_000)
      assert.deepEqual(
        got.filter((g) => !g.includes('probe')),
        [1, 2, 3, 4, 5].map((i) => `acme/berlin/queued/q${i}=${i}`),
      )
    } finally {
      await second.endAsync(true)
    }
  })
})
