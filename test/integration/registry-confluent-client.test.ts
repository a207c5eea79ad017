// @kafkajs/confluent-schema-registry (the client Kafka consumers in Node use) against the Confluent
// compatible routes of uns-bridge, with the registry kept on a real uns.schemas topic.
import assert from 'node:assert/strict'
import { after, before, describe, test } from 'node:test'
import { SchemaRegistry, SchemaType } from '@kafkajs/confluent-schema-registry'
import { Ajv2020 } from 'ajv/dist/2020.js'
import type { FastifyInstance } from 'fastify'
import { Registry as MetricsRegistry } from 'prom-client'
import { buildApi } from '../../src/api/index.js'
import { createKafkaClient, type KafkaClient } from '../../src/kafka/index.js'
import { createLogger } from '../../src/logger.js'
import { createRegistry, type Registry } from '../../src/registry/index.js'
import { createKafkaRegistryStore } from '../../src/registry/kafka-store.js'
import { type RegistryStore } from '../../src/registry/store.js'
import { testBrokers, uniqueName } from '../helpers/kafka.js'

const logger = createLogger('silent')
// Mounted under a prefix: the client joins its `host` and the Confluent paths, so any mount point works.

// The client's own Ajv defaults to draft-07; a consumer of 2020-12 schemas hands it an Ajv2020.
const clientFor = (host: string, clientId = 'itest'): SchemaRegistry =>
  new SchemaRegistry(
    { host, clientId },
    { [SchemaType.JSON]: { ajvInstance: new Ajv2020({ strict: false }) as never } },
  )

const machineState = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  type: 'object',
  properties: {
    state: { enum: ['RUNNING', 'STOPPED', 'FAULT'] },
    speed: { type: 'number' },
  },
  required: ['state'],
  additionalProperties: false,
}

describe('the Confluent client against uns-bridge', () => {
  let app: FastifyInstance
  let client: KafkaClient
  let store: RegistryStore
  let registry: Registry
  let host: string

  before(async () => {
    client = createKafkaClient(
      {
        brokers: [testBrokers()],
        clientId: 'confluent-test',
        connectTimeoutMs: 3000,
        requestTimeoutMs: 10000,
        ssl: false,
      },
      logger,
    )
    store = await createKafkaRegistryStore({ client, logger }, { topic: uniqueName('uns.schemas') })
    registry = await createRegistry({ store })
    // The Confluent subset is served at the root of the service's API, as a Confluent client expects it.
    app = await buildApi({
      logger,
      health: () => ({ ready: true, mqtt: { listening: true, clients: 0 }, kafka: { state: 'disabled' } }),
      metricsRegistry: new MetricsRegistry(),
      handleMqttStream: () => {},
      schemaRegistry: registry,
    })
    host = await app.listen({ port: 0, host: '127.0.0.1' })
  })
  after(async () => {
    await app.close()
    await registry.close()
    await store.close()
    await client.close()
  })

  test('registers a JSON schema, gets its id back and encodes and decodes a record with it', async () => {
    const sr = clientFor(host)
    const { id } = await sr.register(
      { type: SchemaType.JSON, schema: JSON.stringify(machineState) },
      { subject: 'line1.filler.state-value' },
    )
    assert.equal(await sr.getLatestSchemaId('line1.filler.state-value'), id)
    assert.equal(registry.getVersion('line1.filler.state-value', 'latest').id, id)

    const encoded = await sr.encode(id, { state: 'RUNNING', speed: 12.5 })
    // Confluent wire format: magic byte 0, then the 4-byte schema id, then the JSON.
    assert.equal(encoded[0], 0)
    assert.equal(encoded.readInt32BE(1), id)
    // A fresh client has nothing cached: decoding fetches the schema by id from uns-bridge.
    const reader = clientFor(host, 'itest-reader')
    assert.deepEqual(await reader.decode(encoded), { state: 'RUNNING', speed: 12.5 })
    // The registration also set the subject's level, as the client asks for (BACKWARD by default).
    assert.equal(registry.getOwnCompatibility('line1.filler.state-value'), 'BACKWARD')
  })

  test('the client refuses to encode a record the fetched schema rejects', async () => {
    const sr = clientFor(host)
    const id = await sr.getLatestSchemaId('line1.filler.state-value')
    await assert.rejects(sr.encode(id, { state: 'EXPLODED' }), (err: Error & { paths?: unknown }) => {
      assert.equal(err.message, 'invalid payload')
      assert.deepEqual(err.paths, [['/state']])
      return true
    })
  })

  test('an incompatible registration is refused with the reason from uns-bridge', async () => {
    const sr = clientFor(host)
    const narrowed = {
      ...machineState,
      properties: { ...machineState.properties, speed: { type: 'integer' } },
      required: ['state', 'speed'],
    }
    await assert.rejects(
      sr.register(
        { type: SchemaType.JSON, schema: JSON.stringify(narrowed) },
        { subject: 'line1.filler.state-value' },
      ),
      (err: Error & { status?: number }) => {
        assert.equal(err.status, 409)
        assert.match(err.message, /incompatible under BACKWARD/)
        assert.match(err.message, /\/properties\/speed/)
        return true
      },
    )
    assert.deepEqual(registry.listVersions('line1.filler.state-value'), [1])
  })
})
