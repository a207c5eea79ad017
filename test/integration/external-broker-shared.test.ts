// Issue 16 acceptance: two uns-bridge instances on one external broker (Debian's mosquitto, started
// here) share the UNS filters with an MQTT 5 shared subscription ($share/<group>/acme/#): each message
// reaches Kafka once per delivery and both instances take part of the load. Sparkplug is ingested by
// exactly one of them (mqtt.external.sparkplug), so its records are not doubled (decision 0060).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import mqtt from 'mqtt'
import { DEVICE, EDGE, GROUP, dbirth, nbirth } from '../fixtures/sparkplug/index.js'
import { readTopic } from '../helpers/kafka.js'
import { startMosquitto, type TestMosquitto } from '../helpers/mosquitto.js'
import { eventually, kafkaEnv, startService, uniqueTopics, type TestService } from '../helpers/service.js'
import { connectEdge, send } from './sparkplug-helpers.js'

const CLIENTS = 5
const PER_CLIENT = 400
const PRESS = 'plant/site/area/line/press'

describe('two instances on one external broker', () => {
  let broker: TestMosquitto
  let a: TestService
  let b: TestService
  const topics = uniqueTopics()
  const instance = (id: string, sparkplug: boolean) =>
    startService(
      kafkaEnv(
        {
          UNS_NAMESPACE_DIR: 'test/fixtures/sparkplug/namespace',
          UNS_INSTANCE_ID: id,
          // One Sparkplug host id per instance (decision 0060).
          UNS_SPARKPLUG_HOST_ID: `host-${id}`,
        },
        topics,
      ),
      `mqtt:\n  external:\n    url: ${broker.url}\n    clientId: uns-${id}\n    subscriptions: ["acme/#"]\n` +
        `    sharedGroup: uns-bridge\n    sparkplug: ${sparkplug}\n`,
    )

  before(async () => {
    broker = await startMosquitto({ extraConfig: ['max_queued_messages 100000'] })
    a = await instance('a', true)
    b = await instance('b', false)
    await Promise.all([a.ready(60000), b.ready(60000)])
  })
  after(async () => {
    await a?.close()
    await b?.close()
    await broker?.close()
  })

  it('splits the UNS load between them with $share and writes each message to Kafka once per delivery', async () => {
    const clients = await Promise.all(
      Array.from({ length: CLIENTS }, (_, c) =>
        mqtt.connectAsync(broker.url, { clientId: `line-${c}`, reconnectPeriod: 0 }),
      ),
    )
    await Promise.all(
      clients.map(async (client, c) => {
        for (let i = 0; i < PER_CLIENT; i++)
          await client.publishAsync(`acme/line-${c}/tag-${i % 10}`, JSON.stringify({ value: i }), { qos: 1 })
      }),
    )
    await Promise.all(clients.map((c) => c.endAsync()))
    const total = CLIENTS * PER_CLIENT
    // Deliveries of acme/ messages to each instance's session, from mosquitto's log (redeliveries count).
    const delivered = (id: string) =>
      broker
        .packets()
        .filter((p) => p.type === 'PUBLISH' && p.direction === 'sent' && p.clientId === `uns-${id}`)
        .filter((p) => p.topics[0]?.startsWith('acme/')).length
    await eventually(() => (delivered('a') + delivered('b') >= total ? true : undefined), 60000)
    const records = await readTopic(topics.telemetry, total, 60000)
    const ids = records.map((r) => `${r.key}#${r.value?.toString()}`)
    const distinct = new Set(ids).size
    const [toA, toB] = [delivered('a'), delivered('b')]
    console.log(
      `# $share: ${total} messages; instance a got ${toA}, b got ${toB}; ${records.length} records in Kafka, ` +
        `${distinct} distinct, ${records.length - distinct} duplicates`,
    )
    assert.ok(toA > 0 && toB > 0, `both instances took part (a ${toA}, b ${toB})`)
    assert.equal(distinct, total, 'every message is in Kafka')
    assert.equal(records.length, toA + toB, 'once per delivery')
  })

  it('ingests Sparkplug on the one instance that has it on, so its records are not doubled', async () => {
    const edge = await connectEdge(broker.url, GROUP, EDGE, 0)
    await send(edge, `spBv1.0/${GROUP}/NBIRTH/${EDGE}`, nbirth(), { qos: 0 })
    await send(edge, `spBv1.0/${GROUP}/DBIRTH/${EDGE}/${DEVICE}`, dbirth(1), { qos: 0 })
    await eventually(() => a.service.tree.node(`${PRESS}/speed`).value, 15000)
    const raw = await readTopic(topics.sparkplug, 0, 20000, undefined, (rs) =>
      rs.some((r) => r.key === `spBv1.0/${GROUP}/DBIRTH/${EDGE}/${DEVICE}`),
    )
    assert.equal(raw.filter((r) => r.key === `spBv1.0/${GROUP}/NBIRTH/${EDGE}`).length, 1)
    // b, without spBv1.0/# in its session, has no Sparkplug value of its own...
    assert.equal(b.service.sparkplug.nodes().length, 0)
    // ...and each instance is its own Sparkplug host, online on mosquitto under its own id.
    const states = broker
      .packets()
      .filter(
        (p) =>
          p.type === 'PUBLISH' && p.direction === 'received' && p.topics[0]?.startsWith('spBv1.0/STATE/'),
      )
      .map((p) => p.topics[0])
    assert.ok(states.includes('spBv1.0/STATE/host-a') && states.includes('spBv1.0/STATE/host-b'))
    await edge.endAsync()
  })
})
