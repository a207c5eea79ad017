// Issue 6 rules against the real Kafka: wildcard routing, key templates, header contents, topic
// creation (and a clear error when it is not allowed), two-way rules on overlapping topics without loops.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { describeTopic, produce, readTopic, testBrokers, topicExists, uniqueName } from '../helpers/kafka.js'
import { eventually, kafkaEnv, nextMessage, startService, type TestService } from '../helpers/service.js'

describe('bridge rules', () => {
  const t = {
    energy: uniqueName('energy.data'),
    machine: uniqueName('machine.telemetry'),
    alarms: uniqueName('alarms'),
    plant: uniqueName('plant.twoway'),
    orders: uniqueName('production.orders'),
  }
  let svc: TestService
  before(async () => {
    svc = await startService(
      // Full headers here (uns-class below); the lean default is held by bridge-foundation.test.ts.
      kafkaEnv({
        UNS_INSTANCE_ID: 'rules-a',
        UNS_KAFKA_TOPIC_PARTITIONS: '2',
        UNS_KAFKA_TELEMETRY_HEADERS: 'full',
      }),
      `
bridge:
  defaultRoutes: false
  routes:
    - { name: energy, filter: 'acme/+/+/+/energy/#', topic: ${t.energy}, key: '{level:1}/{level:3}', headers: { site: '{level:1}', line: '{level:3}' } }
    - { name: alarms, filter: '#', classes: [alarm], topic: ${t.alarms} }
    - { name: machine, filter: 'acme/#', topic: ${t.machine} }
    - { name: plant, filter: 'plant/#', topic: ${t.plant} }
  inbound:
    - { name: plant-back, topic: ${t.plant}, mqttTopic: '{key}' }
    - { name: orders, topic: ${t.orders}, mqttTopic: 'orders/{value:line}', retain: true }
`,
    )
    await svc.ready().catch((err: unknown) => {
      console.log(
        JSON.stringify(svc.service.health()),
        JSON.stringify(svc.logs.filter((l) => Number(l.level) >= 40)),
      )
      throw err
    })
  })
  after(() => svc.close())

  it('creates the topics of its rules at start, with the configured partitions', async () => {
    for (const topic of [t.energy, t.machine, t.alarms, t.plant, t.orders])
      assert.ok(await topicExists(topic), topic)
    assert.equal((await describeTopic(t.energy)).partitions, 2)
    assert.equal((await describeTopic(svc.config.kafka.topics.state)).cleanupPolicy, 'compact')
  })

  it('routes by wildcard filter and class, first match wins, with rendered keys and headers', async () => {
    const plc = await svc.connect('plc-9')
    await plc.publishAsync('acme/berlin/packaging/line-1/energy/power', '12.5', { qos: 1 })
    await plc.publishAsync('acme/berlin/packaging/line-1/alarms/activeAlarms', '2', { qos: 1 })
    await plc.publishAsync('acme/berlin/packaging/line-1/filler/temperature', '70', { qos: 1 })
    await plc.publishAsync('elsewhere/tag', '1', { qos: 1 })

    const [energy] = await readTopic(t.energy, 1)
    assert.equal(energy?.key, 'berlin/line-1')
    assert.equal(energy?.headers.site, 'berlin')
    assert.equal(energy?.headers.line, 'line-1')
    assert.equal(energy?.headers['uns-path'], 'acme/berlin/packaging/line-1/energy/power')
    assert.equal(energy?.value?.toString(), '12.5')

    const [alarm] = await readTopic(t.alarms, 1)
    assert.equal(alarm?.key, 'acme/berlin/packaging/line-1/alarms/activeAlarms')
    assert.equal(alarm?.headers['uns-class'], 'alarm')

    const machine = await readTopic(t.machine, 10, 4000)
    assert.deepEqual(
      machine.map((r) => r.key),
      ['acme/berlin/packaging/line-1/filler/temperature'],
      'energy and alarm matched earlier rules; nothing else under acme',
    )
    assert.equal(machine[0]?.headers['uns-class'], 'telemetry')
    const metrics = await (await fetch(`${svc.httpUrl}/metrics`)).text()
    assert.match(metrics, /uns_bridge_route_records_total\{route="unrouted"\} 1/)
    assert.match(metrics, /uns_bridge_route_records_total\{route="energy"\} 1/)
  })

  it('two-way rules on an overlapping topic: no message comes back in either direction', async () => {
    const sub = await svc.connect('plant-listener')
    await sub.subscribeAsync('plant/#', { qos: 1 })
    const seen: string[] = []
    sub.on('message', (topic, payload) => seen.push(`${topic}=${payload.toString()}`))
    const plc = await svc.connect('plant-plc')
    await plc.publishAsync('plant/from-mqtt', '1', { qos: 1 })
    await produce(t.plant, [{ key: 'plant/from-kafka', value: '2' }])
    await eventually(() => (seen.includes('plant/from-kafka=2') ? true : undefined))
    await new Promise((r) => setTimeout(r, 1500))
    assert.deepEqual(seen.sort(), ['plant/from-kafka=2', 'plant/from-mqtt=1'], 'each message once on MQTT')
    const records = await readTopic(t.plant, 10, 4000)
    assert.deepEqual(
      records.map((r) => r.key).sort(),
      ['plant/from-kafka', 'plant/from-mqtt'],
      'each message once in Kafka',
    )
  })

  it('renders the MQTT topic of an inbound rule from a field of the record value', async () => {
    const sub = await svc.connect()
    await sub.subscribeAsync('orders/#', { qos: 1 })
    const got = nextMessage(sub)
    await produce(t.orders, [{ key: 'PO-17', value: '{"line":"line-1","qty":500}' }])
    const { topic, payload } = await got
    assert.equal(topic, 'orders/line-1')
    assert.deepEqual(JSON.parse(payload.toString()), { line: 'line-1', qty: 500 })
  })
})

describe('topic creation not allowed', () => {
  it('names the missing topics and stays not ready instead of producing into nowhere', async () => {
    const missing = uniqueName('missing.telemetry')
    const svc = await startService({
      UNS_KAFKA_BROKERS: testBrokers(),
      UNS_KAFKA_CREATE_TOPICS: 'false',
      UNS_KAFKA_TOPICS_TELEMETRY: missing,
      UNS_KAFKA_RECONNECT_MAX_MS: '1000',
    })
    try {
      const report = await eventually(() => {
        const h = svc.service.health()
        return 'topicsError' in h.kafka && h.kafka.topicsError ? h : undefined
      })
      assert.equal(report.ready, false)
      assert.match(
        String((report.kafka as { topicsError?: string }).topicsError),
        new RegExp(`topics .*${missing}.* do not exist and kafka.createTopics is false`),
      )
      assert.ok(svc.logs.some((l) => typeof l.msg === 'string' && l.msg.includes(missing)))
      assert.equal(await topicExists(missing), false)
    } finally {
      await svc.close()
    }
  })
})
