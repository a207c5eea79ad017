import assert from 'node:assert/strict'
import { test } from 'node:test'
import { buildTestApi, demoTree } from './app.js'

interface Operation {
  parameters?: { name: string; in: string; required?: boolean; schema: Record<string, unknown> }[]
  responses: Record<string, { content?: Record<string, { schema: Record<string, unknown> }> }>
}

test('/openapi.json lists every namespace route with its parameters and response schemas', async (ctx) => {
  const app = await buildTestApi(demoTree())
  ctx.after(() => app.close())
  const res = await app.inject('/openapi.json')
  assert.equal(res.statusCode, 200)
  const doc = res.json<{
    openapi: string
    paths: Record<string, Record<string, Operation>>
    components: { schemas: Record<string, { title?: string }> }
  }>()
  assert.match(doc.openapi, /^3\./)
  const params = (path: string) =>
    Object.fromEntries((doc.paths[path]?.get?.parameters ?? []).map((p) => [p.name, p]))

  const expected: Record<string, string[]> = {
    '/api/v1/tree': ['path', 'depth'],
    '/api/v1/nodes/{*}': ['*'],
    '/api/v1/values': ['filter', 'limit', 'cursor'],
    '/api/v1/search': ['q', 'unit', 'class', 'level', 'limit'],
    '/api/v1/stream': ['filter'],
  }
  for (const [path, names] of Object.entries(expected)) {
    const op = doc.paths[path]?.get
    assert.ok(op, `${path} is documented`)
    assert.deepEqual(Object.keys(params(path)).sort(), [...names].sort(), path)
    assert.ok(op.responses['200'], `${path} documents its 200 response`)
    assert.ok(
      op.responses['400']?.content?.['application/problem+json'],
      `${path} documents its problem+json 400`,
    )
  }
  assert.equal(params('/api/v1/values').filter?.required, true)
  assert.deepEqual(params('/api/v1/values').limit?.schema, {
    minimum: 1,
    maximum: 1000,
    default: 100,
    type: 'integer',
  })
  assert.ok(params('/api/v1/search').class?.schema.enum)
  const values = doc.paths['/api/v1/values']?.get?.responses['200']?.content?.['application/json']?.schema
  assert.deepEqual(Object.keys((values?.properties ?? {}) as object), ['items', 'nextCursor'])
  assert.ok(doc.paths['/api/v1/nodes/{*}']?.get?.responses['404'])
  assert.ok(
    doc.paths['/api/v1/stream']?.get?.responses['200']?.content?.['text/event-stream'],
    'the stream documents its media type',
  )
  // The recursive tree entry is a component that refers to itself, so clients can resolve it.
  const treeRef = doc.paths['/api/v1/tree']?.get?.responses['200']?.content?.['application/json']?.schema.$ref
  assert.match(String(treeRef), /^#\/components\/schemas\//)
  const component = doc.components.schemas[String(treeRef).split('/').pop() as string]
  assert.equal(component?.title, 'TreeEntry')
  assert.match(JSON.stringify(component), new RegExp(`"\\$ref":"${String(treeRef)}"`))
})
