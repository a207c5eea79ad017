// Share of the JSON ingest pipeline spent in schema validation (issue 5 target: under 10%).
// Same run, same inputs, rounds interleaved: parseUnsPayload -> UnsEvent -> tree.apply ->
// envelope JSON bytes for Kafka, WITHOUT and WITH registry.check(event) before the tree.
// Three cases: the built-in envelope schema by binding, a model-like object value schema by binding,
// and the declared number tags of the demo namespace checked against their model field schemas
// (subject model.<Name>, registry.modelPolicy reject) through the service's deferred registry proxy.
// About 30 s. Run: npx tsx bench/registry-pipeline.bench.ts [rounds]
import { execSync } from 'node:child_process'
import {
  createNamespaceTree,
  DEFAULT_LEVELS,
  loadNamespace,
  type NamespaceTree,
} from '../src/namespace/index.js'
import { parseUnsPayload, toEnvelopeJson } from '../src/uns/index.js'
import {
  createDeferredRegistry,
  createMemoryStore,
  createRegistry,
  UNS_ENVELOPE_SUBJECT,
  type Registry,
} from '../src/registry/index.js'
import type { UnsEvent } from '../src/uns/index.js'

const ROUNDS = Number(process.argv[2] ?? 5)
const MESSAGES = 100_000
const PATHS = 8192 // distinct tags, below the registry's default resolve cache of 10,000
const branch = (() => {
  try {
    return execSync('git rev-parse --abbrev-ref HEAD', { encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
})()

const QUALITIES = ['good', 'uncertain', 'bad', 'stale']
const scalarPaths = Array.from(
  { length: PATHS },
  (_, i) => `acme/berlin/area-${i % 8}/line-${i % 64}/tag-${i}`,
)
const objectPaths = scalarPaths.map((p) => p.replace('acme/', 'acme-obj/'))
// Publishes as they arrive on MQTT: bytes. 1024 payload variants per case, so no value is hot.
const scalarPayloads = Array.from({ length: 1024 }, (_, i) =>
  Buffer.from(
    JSON.stringify({ value: i * 0.25, timestamp: 1_764_072_000_000 + i, quality: QUALITIES[i % 4] }),
  ),
)
const objectPayloads = Array.from({ length: 1024 }, (_, i) =>
  Buffer.from(
    JSON.stringify({
      value: { state: i % 2 ? 'RUNNING' : 'STOPPED', speed: i * 0.5, count: i, operator: `op-${i % 7}` },
      timestamp: 1_764_072_000_000 + i,
      quality: 'good',
    }),
  ),
)

const newTree = (): NamespaceTree =>
  createNamespaceTree(
    {
      levels: DEFAULT_LEVELS,
      models: {},
      nodes: [],
      sparkplug: { pathTemplate: '{group}/{edge}/{device}/{metric}', mappings: [] },
      files: [],
    },
    { mode: 'lenient' },
  )

const registry: Registry = await createRegistry({ store: createMemoryStore() })
const bound = registry
await registry.bind({
  subject: UNS_ENVELOPE_SUBJECT,
  policy: 'reject',
  target: 'envelope',
  pathPrefix: 'acme',
})
await registry.register('machine.state', {
  type: 'object',
  properties: {
    state: { enum: ['RUNNING', 'STOPPED', 'FAULT'] },
    speed: { type: 'number', minimum: 0 },
    count: { type: 'integer', minimum: 0 },
    operator: { type: 'string', maxLength: 64 },
  },
  required: ['state', 'speed'],
  additionalProperties: false,
})
await registry.bind({ subject: 'machine.state', policy: 'reject', target: 'value', pathPrefix: 'acme-obj' })

let sink = 0
function pipeline(
  tree: NamespaceTree,
  paths: string[],
  payloads: Buffer[],
  validate: boolean,
  registry: Registry,
): number {
  const start = process.hrtime.bigint()
  for (let i = 0; i < MESSAGES; i++) {
    const path = paths[i % paths.length] as string
    const parsed = parseUnsPayload(payloads[i & 1023] as Buffer, 1_764_072_000_000)
    if (!parsed.ok) throw parsed.error
    const p = parsed.value
    const event: UnsEvent = {
      path,
      value: p.value,
      timestamp: p.timestamp,
      quality: p.quality,
      source: 'plc-1',
      origin: 'bench',
    }
    if (validate && registry.check(event).verdict !== 'accept') throw new Error(`rejected ${path}`)
    const applied = tree.apply(event)
    if (!applied.ok) throw applied.error
    sink += Buffer.from(toEnvelopeJson(event)).length
  }
  return Number(process.hrtime.bigint() - start) / 1e6
}

function measure(
  name: string,
  paths: string[],
  payloads: Buffer[],
  registry: Registry = bound,
  tree: NamespaceTree = newTree(),
): void {
  // Warm-up: fills the tree and the binding cache, compiles the validator, lets the JIT settle.
  pipeline(tree, paths, payloads, false, registry)
  pipeline(tree, paths, payloads, true, registry)
  // The check alone on the same events: a steadier figure than the difference on a busy machine.
  const events: UnsEvent[] = paths.map((path, i) => {
    const parsed = parseUnsPayload(payloads[i & 1023] as Buffer, 1_764_072_000_000)
    if (!parsed.ok) throw parsed.error
    return { path, ...parsed.value, source: 'plc-1', origin: 'bench' }
  })
  const checkOnly = (): number => {
    const start = process.hrtime.bigint()
    for (let i = 0; i < MESSAGES; i++) {
      if (registry.check(events[i % events.length] as UnsEvent).verdict !== 'accept')
        throw new Error('rejected')
    }
    return Number(process.hrtime.bigint() - start) / 1e6
  }
  const without: number[] = []
  const withCheck: number[] = []
  const alone: number[] = []
  for (let r = 0; r < ROUNDS; r++) {
    without.push(pipeline(tree, paths, payloads, false, registry))
    withCheck.push(pipeline(tree, paths, payloads, true, registry))
    alone.push(checkOnly())
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number
  const a = median(without)
  const b = median(withCheck)
  const perSec = (ms: number): number => Math.round(MESSAGES / (ms / 1000))
  console.log(
    `${branch},${name},without check,${perSec(a)},msg/s,${((a * 1e6) / MESSAGES).toFixed(0)},ns/msg`,
  )
  console.log(`${branch},${name},with check,${perSec(b)},msg/s,${((b * 1e6) / MESSAGES).toFixed(0)},ns/msg`)
  const c = median(alone)
  console.log(`${branch},${name},check alone,${perSec(c)},msg/s,${((c * 1e6) / MESSAGES).toFixed(0)},ns/msg`)
  console.log(`${branch},${name},share (with - without) / with,${(((b - a) / b) * 100).toFixed(1)},%`)
  console.log(`${branch},${name},share check alone / (without + check),${((c / (a + c)) * 100).toFixed(1)},%`)
}

console.log('branch,case,variant,value,unit,value,unit')
measure('scalar + envelope schema', scalarPaths, scalarPayloads)
measure('object value + model schema', objectPaths, objectPayloads)

// Demo namespace: every declared tag whose field is a number, values inside every range (0..0.9).
const demo = await loadNamespace('namespace')
const interim = await createRegistry(
  { store: createMemoryStore() },
  { models: { definition: demo, policy: 'reject' } },
)
const numberTags: string[] = []
for (const node of demo.nodes) {
  const versions = node.model ? demo.models[node.model.name]?.versions : undefined
  const mv = versions?.find((v) => v.version === node.model?.version)
  for (const f of mv?.fields ?? []) if (f.type === 'number') numberTags.push(`${node.path}/${f.name}`)
}
const tagPayloads = Array.from({ length: 1024 }, (_, i) =>
  Buffer.from(JSON.stringify({ value: (i % 10) * 0.1, timestamp: 1_764_072_000_000 + i, quality: 'good' })),
)
measure(
  `declared tags + model field schema (${numberTags.length} tags; deferred proxy)`,
  numberTags,
  tagPayloads,
  createDeferredRegistry(interim, 'uns.schemas').registry,
  createNamespaceTree(demo, { mode: 'lenient' }),
)
if (sink === 0) throw new Error('nothing serialised')
