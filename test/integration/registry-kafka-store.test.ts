// The registry on the compacted uns.schemas topic of a real Kafka: the abstract store contract,
// restart restore, several instances sharing one registry, and what lands on the topic.
import assert from 'node:assert/strict'
import { after, describe, test } from 'node:test'
import { Kafka, logLevel } from 'kafkajs'
import { createKafkaClient, type KafkaClient } from '../../src/kafka/index.js'
import { createLogger } from '../../src/logger.js'
import { createRegistry, type Registry } from '../../src/registry/index.js'
import { createKafkaRegistryStore } from '../../src/registry/kafka-store.js'
import { type RegistryStore } from '../../src/registry/store.js'
import { produce, readTopic, testBrokers, testKafkaClient, uniqueName } from '../helpers/kafka.js'
import { runRegistryStoreSuite } from '../registry/abstract-registry-store.js'

const logger = createLogger('silent')

const newClient = (): KafkaClient =>
  createKafkaClient(
    {
      client: testKafkaClient(),
      brokers: [testBrokers()],
      clientId: uniqueName('registry-test'),
      connectTimeoutMs: 3000,
      requestTimeoutMs: 10000,
      ssl: false,
    },
    logger,
  )

// One store per "instance", each with its own client; closing the store closes its client too.
async function openStore(topic: string): Promise<RegistryStore> {
  const client = newClient()
  const store = await createKafkaRegistryStore({ client, logger }, { topic })
  return {
    load: () => store.load(),
    append: (r) => store.append(r),
    subscribe: (l) => store.subscribe(l),
    close: async () => {
      await store.close()
      await client.close()
    },
  }
}

runRegistryStoreSuite('Kafka store', async () => {
  const topic = uniqueName('uns.schemas')
  return { open: () => openStore(topic), dispose: async () => {} }
})

async function eventually(cond: () => boolean, timeoutMs = 15_000): Promise<void> {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 20))
  }
}

// Closed content model: adding an optional property is then a BACKWARD compatible change.
const lineSpeed = {
  type: 'object',
  properties: { speed: { type: 'number' } },
  additionalProperties: false,
}
const lineSpeedV2 = {
  type: 'object',
  properties: { speed: { type: 'number' }, unit: { type: 'string' } },
  additionalProperties: false,
}

describe('a registry on the Kafka store', () => {
  const toClose: { close(): Promise<void> }[] = []
  after(async () => {
    for (const c of toClose.reverse()) await c.close()
  })
  const openRegistry = async (topic: string): Promise<{ registry: Registry; store: RegistryStore }> => {
    const store = await openStore(topic)
    const registry = await createRegistry({ store })
    toClose.push(store, registry)
    return { registry, store }
  }

  test('a restarted registry restores subjects, versions, ids and compatibility levels', async () => {
    const topic = uniqueName('uns.schemas')
    const first = await openRegistry(topic)
    const v1 = await first.registry.register('line.speed', lineSpeed)
    const v2 = await first.registry.register('line.speed', lineSpeedV2)
    await first.registry.setCompatibility('line.speed', 'FULL')
    await first.registry.setCompatibility(null, 'NONE')
    await first.registry.close()
    await first.store.close()

    const second = await openRegistry(topic)
    assert.deepEqual(second.registry.listSubjects(), ['line.speed', 'uns.envelope'])
    assert.deepEqual(second.registry.listVersions('line.speed'), [1, 2])
    assert.deepEqual(second.registry.getVersion('line.speed', 1), v1)
    assert.deepEqual(second.registry.getVersion('line.speed', 'latest'), v2)
    assert.equal(second.registry.getSchemaById(v2.id).schema, v2.schema)
    assert.equal(second.registry.getCompatibility('line.speed'), 'FULL')
    assert.equal(second.registry.getCompatibility(), 'NONE')
    // The built-in envelope was already registered: the restart does not add a version of it.
    assert.deepEqual(second.registry.listVersions('uns.envelope'), [1])
    // Ids keep counting from the restored ones instead of reusing them.
    const v3 = await second.registry.register('other', { type: 'string' })
    assert.ok(v3.id > v2.id)
  })

  test('a second instance sees a schema registered by the first, and refuses an incompatible one', async () => {
    const topic = uniqueName('uns.schemas')
    const a = await openRegistry(topic)
    const b = await openRegistry(topic)
    const v1 = await a.registry.register('line.speed', lineSpeed)
    await eventually(() => b.registry.listSubjects().includes('line.speed'))
    assert.deepEqual(b.registry.getVersion('line.speed', 1), v1)
    assert.deepEqual(b.registry.validate('line.speed', 'latest', { speed: 'fast' }).ok, false)
    // BACKWARD by default: b knows v1, so a required property without default is refused there too.
    await assert.rejects(
      b.registry.register('line.speed', { ...lineSpeed, required: ['speed'] }),
      (err: Error & { code?: string }) =>
        err.code === 'UNS_ERR_REGISTRY_INCOMPATIBLE' && /speed/.test(err.message),
    )
    await b.registry.bind({ subject: 'line.speed', policy: 'reject', topicFilter: 'acme/+/speed' })
    await eventually(() => a.registry.listBindings().length === 1)
    assert.equal(a.registry.check({ path: 'acme/l1/speed', value: { speed: 'x' } }).verdict, 'reject')
  })

  test('records on the topic are compacted JSON keyed by subject and version', async () => {
    const topic = uniqueName('uns.schemas')
    const { registry } = await openRegistry(topic)
    await registry.register('line.speed', lineSpeed)
    const records = await readTopic(topic, 2)
    assert.deepEqual(
      records.map((r) => r.key),
      ['schema/uns.envelope/1', 'schema/line.speed/1'],
    )
    const admin = new Kafka({ brokers: [testBrokers()], logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    const described = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [{ type: 2, name: topic, configNames: ['cleanup.policy'] }],
    })
    await admin.disconnect()
    assert.equal(described.resources[0]?.configEntries[0]?.configValue, 'compact')
  })

  test('garbage written to the topic by someone else is skipped, not fatal', async () => {
    const topic = uniqueName('uns.schemas')
    const { registry } = await openRegistry(topic)
    await produce(topic, [
      { key: 'schema/x/1', value: 'not json' },
      { key: 'schema/y/1', value: JSON.stringify({ type: 'schema', subject: 'z', version: 1 }) },
      { key: 'config', value: null },
    ])
    const second = await openRegistry(topic)
    assert.deepEqual(second.registry.listSubjects(), ['uns.envelope'])
    assert.deepEqual(registry.listSubjects(), ['uns.envelope'])
  })
})
