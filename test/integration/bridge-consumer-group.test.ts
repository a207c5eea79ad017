// Issue 6: two instances in one consumer group share the commands topic: every record is delivered
// to MQTT once while both run, and still delivered when one of them stops.
import { after, it } from 'node:test'
import assert from 'node:assert/strict'
import { createTopic, produce, uniqueName } from '../helpers/kafka.js'
import { eventually, kafkaEnv, startService, uniqueTopics, type TestService } from '../helpers/service.js'
import type { MqttClient } from 'mqtt'

it('delivers every uns.commands record once across two instances of a group, and after one stops', async () => {
  const kafkaTopics = uniqueTopics()
  const commands = kafkaTopics.commands
  await createTopic(commands, 4)
  const group = uniqueName('shared-group')
  const env = (id: string) => kafkaEnv({ UNS_INSTANCE_ID: id, UNS_KAFKA_CONSUMER_GROUP: group }, kafkaTopics)
  const a = await startService(env('group-a'))
  const b = await startService(env('group-b'))
  const services: TestService[] = [a, b]
  after(() => Promise.all(services.map((s) => s.close())))
  for (const s of services) await s.ready()

  const delivered: string[] = []
  const listen = async (svc: TestService, name: string): Promise<MqttClient> => {
    const sub = await svc.connect(`listener-${name}`)
    await sub.subscribeAsync('cmd/#', { qos: 1 })
    sub.on('message', (topic) => delivered.push(`${name}:${topic}`))
    return sub
  }
  await listen(a, 'a')
  await listen(b, 'b')
  // Both members must own partitions before the test counts: wait until each has delivered one.
  let warm = 0
  await eventually(async () => {
    await produce(
      commands,
      Array.from({ length: 8 }, (_, i) => ({ key: `cmd/warm-${warm}-${i}`, value: '0' })),
    )
    warm++
    return delivered.some((d) => d.startsWith('a:')) && delivered.some((d) => d.startsWith('b:'))
      ? true
      : undefined
  }, 40000)
  // A join can still be settling (a member fetching partitions it is losing delivers them again): wait
  // until a whole warm batch comes through once, then count.
  await eventually(async () => {
    delivered.length = 0
    const batch = Array.from({ length: 8 }, (_, i) => `cmd/settle-${warm}-${i}`)
    warm++
    await produce(
      commands,
      batch.map((key) => ({ key, value: '0' })),
    )
    await eventually(() => (delivered.length >= batch.length ? true : undefined), 20000).catch(() => {})
    await new Promise((r) => setTimeout(r, 1000))
    const got = delivered.map((d) => d.slice(2)).sort()
    return JSON.stringify(got) === JSON.stringify([...batch].sort()) ? true : undefined
  }, 60000)
  delivered.length = 0

  const keys = Array.from({ length: 40 }, (_, i) => `cmd/order-${i}`)
  await produce(
    commands,
    keys.map((key) => ({ key, value: '{"value":1}' })),
  )
  await eventually(() => (delivered.length >= keys.length ? true : undefined), 20000)
  await new Promise((r) => setTimeout(r, 1000))
  const topics = delivered.map((d) => d.slice(2)).sort()
  assert.deepEqual(topics, [...keys].sort(), 'each record delivered exactly once while both run')
  assert.ok(
    delivered.some((d) => d.startsWith('a:')) && delivered.some((d) => d.startsWith('b:')),
    'both instances took a share',
  )

  await b.close()
  services.splice(services.indexOf(b), 1)
  delivered.length = 0
  const later = Array.from({ length: 20 }, (_, i) => `cmd/after-stop-${i}`)
  await produce(
    commands,
    later.map((key) => ({ key, value: '{"value":2}' })),
  )
  await eventually(() => (delivered.length >= later.length ? true : undefined), 40000)
  await new Promise((r) => setTimeout(r, 1000))
  assert.deepEqual(
    delivered.map((d) => d.slice(2)).sort(),
    [...later].sort(),
    'all delivered by the remaining instance, once',
  )
  assert.ok(delivered.every((d) => d.startsWith('a:')))
})
