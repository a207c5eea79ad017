// Current state in Kafka (issue 3 item 4): every change goes to the compacted state topic, a restarted
// instance restores the tree from it before it reports ready, a tombstone deletes, and two instances
// on one Kafka show the same values. Strict mode refuses undeclared paths into the dead-letter topic.
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readTopic, uniqueName } from '../helpers/kafka.js'
import { eventually, kafkaEnv, startService, uniqueTopics, type TestService } from '../helpers/service.js'

const FILLER = 'acme/berlin/packaging/line-1/filler'

describe('namespace state in Kafka', () => {
  const topics = uniqueTopics()
  const instance = (id: string, extra: Record<string, string> = {}) =>
    startService(kafkaEnv({ UNS_INSTANCE_ID: id, ...extra }, topics))
  const ready = (svc: TestService) => svc.ready()
  const valueOf = (svc: TestService, path: string) => svc.service.tree.node(path).value?.value
  let a: TestService
  let b: TestService

  before(async () => {
    a = await instance('plant-a')
    await ready(a)
  })
  after(async () => {
    await a?.close()
    await b?.close()
  })

  it('a second instance on the same Kafka shows the values the first accepted, and follows changes', async () => {
    const plc = await a.connect('plc-1')
    await plc.publishAsync(`${FILLER}/temperature`, '{"value": 71.5, "timestamp": 1764072000000}', { qos: 1 })
    await plc.publishAsync(`${FILLER}/state`, '"running"', { qos: 1 })
    await plc.publishAsync('acme/berlin/undeclared/tag', '5', { qos: 1 })
    b = await instance('plant-b')
    await ready(b)
    assert.equal(valueOf(b, `${FILLER}/temperature`), 71.5)
    assert.equal(b.service.tree.node(`${FILLER}/temperature`).value?.timestamp, 1764072000000)
    assert.equal(valueOf(b, `${FILLER}/state`), 'running')
    assert.equal(valueOf(b, 'acme/berlin/undeclared/tag'), 5)

    await plc.publishAsync(`${FILLER}/temperature`, '72', { qos: 1 })
    await eventually(() => (valueOf(b, `${FILLER}/temperature`) === 72 ? true : undefined))
  })

  it('an empty retained publish deletes the value here, on the other instance and in the state topic', async () => {
    const plc = await a.connect()
    await plc.publishAsync(`${FILLER}/pressure`, '3.5', { qos: 1 })
    await eventually(() => (valueOf(b, `${FILLER}/pressure`) === 3.5 ? true : undefined))
    await plc.publishAsync(`${FILLER}/pressure`, '', { qos: 1, retain: true })
    assert.equal(valueOf(a, `${FILLER}/pressure`), undefined)
    await eventually(() => (valueOf(b, `${FILLER}/pressure`) === undefined ? true : undefined))
    const records = await readTopic(topics.state, 1000, 3000)
    const last = records.filter((r) => r.key === `${FILLER}/pressure`).at(-1)
    assert.equal(last?.value, null, 'a tombstone on the compacted topic')
  })

  it('a restarted instance restores every value from the state topic before it reports ready', async () => {
    await a.close()
    a = await instance('plant-a')
    assert.equal(a.service.health().ready, false, 'not ready before the restore')
    await ready(a)
    assert.equal(valueOf(a, `${FILLER}/temperature`), 72)
    assert.equal(valueOf(a, `${FILLER}/state`), 'running')
    assert.equal(valueOf(a, 'acme/berlin/undeclared/tag'), 5)
    assert.equal(valueOf(a, `${FILLER}/pressure`), undefined)
  })

  it('strict mode refuses an undeclared path into the dead-letter topic and keeps it out of the tree', async () => {
    const strict = await instance('plant-strict', {
      UNS_NAMESPACE_MODE: 'strict',
      UNS_KAFKA_TOPICS_DLQ: uniqueName('uns.dlq'),
    })
    try {
      await ready(strict)
      const plc = await strict.connect('plc-strict')
      await plc.publishAsync('acme/berlin/nowhere/tag', '1', { qos: 1 })
      await plc.publishAsync(`${FILLER}/fillRate`, '600', { qos: 1 })
      assert.equal(valueOf(strict, `${FILLER}/fillRate`), 600)
      assert.throws(() => strict.service.tree.node('acme/berlin/nowhere/tag'), /No node at path/)
      const [dead] = await readTopic(strict.config.kafka.topics.dlq, 1)
      assert.equal(dead?.key, 'acme/berlin/nowhere/tag')
      assert.equal(dead?.headers['error-code'], 'UNS_ERR_NAMESPACE_PATH_UNDECLARED')
    } finally {
      await strict.close()
    }
  })
})
