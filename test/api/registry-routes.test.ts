import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { Registry as MetricsRegistry } from 'prom-client'
import { buildApi } from '../../src/api/index.js'
import { createLogger } from '../../src/logger.js'
import { createMemoryStore, createRegistry } from '../../src/registry/index.js'

const temp = { type: 'object', properties: { temp: { type: 'number' } }, additionalProperties: false }
const CT = 'application/vnd.schemaregistry.v1+json'

async function build() {
  const registry = await createRegistry({ store: createMemoryStore() }, { builtins: false })
  const app = await buildApi({
    logger: createLogger('silent'),
    health: () => ({ ready: true, mqtt: { listening: true, clients: 0 }, kafka: { state: 'disabled' } }),
    metricsRegistry: new MetricsRegistry(),
    handleMqttStream: () => {},
    schemaRegistry: registry,
  })
  await app.ready()
  return { app, registry }
}

describe('REST routes under /api/v1/schemas', () => {
  test('registers, lists and gets versions including latest', async () => {
    const { app } = await build()
    const created = await app.inject({
      method: 'POST',
      url: '/api/v1/schemas/line.temp/versions',
      payload: { schema: temp },
    })
    assert.equal(created.statusCode, 201)
    assert.deepEqual(
      { ...(created.json() as object), registeredAt: 0 },
      {
        subject: 'line.temp',
        version: 1,
        id: 1,
        schemaType: 'JSON',
        schema: temp,
        registeredAt: 0,
      },
    )
    const list = await app.inject({ url: '/api/v1/schemas' })
    assert.deepEqual(list.json(), [{ subject: 'line.temp', versions: [1], compatibility: 'BACKWARD' }])
    assert.deepEqual((await app.inject({ url: '/api/v1/schemas/line.temp/versions' })).json(), [1])
    const latest = await app.inject({ url: '/api/v1/schemas/line.temp/versions/latest' })
    assert.deepEqual(latest.json().schema, temp)
  })

  test('an incompatible registration is a 409 naming the change; unknown subjects are 404', async () => {
    const { app } = await build()
    await app.inject({ method: 'POST', url: '/api/v1/schemas/s/versions', payload: { schema: temp } })
    const refused = await app.inject({
      method: 'POST',
      url: '/api/v1/schemas/s/versions',
      payload: { schema: { ...temp, required: ['temp'] } },
    })
    assert.equal(refused.statusCode, 409)
    assert.equal(refused.headers['content-type'], 'application/problem+json; charset=utf-8')
    assert.match(refused.json().detail, /\/properties\/temp: property made required/)
    assert.equal((await app.inject({ url: '/api/v1/schemas/nope/versions' })).statusCode, 404)
    assert.equal((await app.inject({ url: '/api/v1/schemas/s/versions/x1' })).statusCode, 400)
  })

  test('sets compatibility and validates a payload against a version', async () => {
    const { app } = await build()
    await app.inject({ method: 'POST', url: '/api/v1/schemas/s/versions', payload: { schema: temp } })
    const set = await app.inject({
      method: 'PUT',
      url: '/api/v1/schemas/s/compatibility',
      payload: { compatibility: 'FULL' },
    })
    assert.deepEqual(set.json(), { compatibility: 'FULL' })
    assert.deepEqual((await app.inject({ url: '/api/v1/schemas/s/compatibility' })).json(), {
      compatibility: 'FULL',
      own: true,
    })
    const bad = await app.inject({
      method: 'PUT',
      url: '/api/v1/schemas/s/compatibility',
      payload: { compatibility: 'X' },
    })
    assert.equal(bad.statusCode, 400)
    const valid = await app.inject({
      method: 'POST',
      url: '/api/v1/schemas/s/versions/latest/validate',
      payload: { value: { temp: 1 } },
    })
    assert.deepEqual(valid.json(), { ok: true })
    const invalid = await app.inject({
      method: 'POST',
      url: '/api/v1/schemas/s/versions/1/validate',
      payload: { value: { temp: 'hot' } },
    })
    assert.deepEqual(invalid.json(), {
      ok: false,
      errors: [{ instancePath: '/temp', message: 'must be number' }],
    })
    assert.equal(
      (
        await app.inject({
          method: 'POST',
          url: '/api/v1/schemas/s/versions/9/validate',
          payload: { value: 1 },
        })
      ).statusCode,
      404,
    )
  })
})

describe('Confluent Schema Registry compatible subset', () => {
  const post = (app: Awaited<ReturnType<typeof build>>['app'], url: string, body: unknown) =>
    app.inject({ method: 'POST', url, headers: { 'content-type': CT }, payload: JSON.stringify(body) })

  test('registers with the Confluent content type and reads back by subject, version and id', async () => {
    const { app } = await build()
    const reg = await post(app, '/subjects/orders-value/versions', {
      schema: JSON.stringify(temp),
      schemaType: 'JSON',
    })
    assert.equal(reg.statusCode, 200)
    assert.deepEqual(reg.json(), { id: 1 })
    assert.equal(reg.headers['content-type'], CT)
    assert.deepEqual((await app.inject({ url: '/subjects' })).json(), ['orders-value'])
    assert.deepEqual((await app.inject({ url: '/subjects/orders-value/versions' })).json(), [1])
    const v = (await app.inject({ url: '/subjects/orders-value/versions/latest' })).json()
    assert.deepEqual(
      { ...v, schema: JSON.parse(v.schema) },
      {
        subject: 'orders-value',
        version: 1,
        id: 1,
        schemaType: 'JSON',
        schema: temp,
      },
    )
    const byId = (await app.inject({ url: '/schemas/ids/1' })).json()
    assert.equal(byId.schemaType, 'JSON')
    assert.deepEqual(JSON.parse(byId.schema), temp)
    const lookup = await post(app, '/subjects/orders-value', {
      schema: JSON.stringify(temp),
      schemaType: 'JSON',
    })
    assert.equal(lookup.json().id, 1)
  })

  test('answers errors with Confluent error codes', async () => {
    const { app } = await build()
    assert.deepEqual((await app.inject({ url: '/subjects/none/versions' })).json(), {
      error_code: 40401,
      message: 'Subject none is not registered',
    })
    await post(app, '/subjects/s/versions', { schema: JSON.stringify(temp), schemaType: 'JSON' })
    assert.equal((await app.inject({ url: '/subjects/s/versions/5' })).json().error_code, 40402)
    assert.equal((await app.inject({ url: '/schemas/ids/77' })).json().error_code, 40403)
    const invalid = await post(app, '/subjects/s/versions', { schema: '{"type":"nope"}', schemaType: 'JSON' })
    assert.deepEqual([invalid.statusCode, invalid.json().error_code], [422, 42201])
    const avro = await post(app, '/subjects/s/versions', { schema: '"string"', schemaType: 'AVRO' })
    assert.equal(avro.json().error_code, 42201)
    const incompatible = await post(app, '/subjects/s/versions', {
      schema: '{"type":"string"}',
      schemaType: 'JSON',
    })
    assert.deepEqual([incompatible.statusCode, incompatible.json().error_code], [409, 409])
    assert.match(incompatible.json().message, /type changed from object to string/)
    const notFound = await post(app, '/subjects/s', { schema: '{"type":"string"}' })
    assert.deepEqual([notFound.statusCode, notFound.json().error_code], [404, 40403])
  })

  test('tests compatibility and reads and sets config per subject and globally', async () => {
    const { app } = await build()
    await post(app, '/subjects/s/versions', { schema: JSON.stringify(temp) })
    const no = await post(app, '/compatibility/subjects/s/versions/latest', { schema: '{"type":"string"}' })
    assert.deepEqual(no.json(), {
      is_compatible: false,
      messages: ['/: type changed from object to string (against version 1)'],
    })
    const yes = await post(app, '/compatibility/subjects/s/versions/1', { schema: JSON.stringify(temp) })
    assert.deepEqual(yes.json(), { is_compatible: true, messages: [] })
    assert.equal((await app.inject({ url: '/config/s' })).json().error_code, 40408)
    assert.deepEqual((await app.inject({ url: '/config/s?defaultToGlobal=true' })).json(), {
      compatibilityLevel: 'BACKWARD',
    })
    const put = await app.inject({
      method: 'PUT',
      url: '/config/s',
      headers: { 'content-type': CT },
      payload: '{"compatibility":"NONE"}',
    })
    assert.deepEqual(put.json(), { compatibility: 'NONE' })
    assert.deepEqual((await app.inject({ url: '/config/s' })).json(), { compatibilityLevel: 'NONE' })
    await app.inject({ method: 'PUT', url: '/config', payload: { compatibility: 'FULL' } })
    assert.deepEqual((await app.inject({ url: '/config' })).json(), { compatibilityLevel: 'FULL' })
    const wrong = await app.inject({
      method: 'PUT',
      url: '/config/s',
      payload: { compatibility: 'SOMETIMES' },
    })
    assert.deepEqual([wrong.statusCode, wrong.json().error_code], [422, 42203])
  })
})
