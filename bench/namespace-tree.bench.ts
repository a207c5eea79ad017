// Live namespace tree at 100,000 tags: memory per tag, values() with a 100-result filter and
// children(depth 2), each against a naive flat-map baseline in the same run.
// Run: node --expose-gc --import tsx bench/namespace-tree.bench.ts
import { execSync } from 'node:child_process'
import {
  createNamespaceTree,
  DEFAULT_LEVELS,
  type NamespaceDefinition,
  type NodeDef,
} from '../src/namespace/index.js'
import { matchesFilter, parseTopicFilter } from '../src/uns/index.js'

const SITES = 2
const AREAS = 50
const LINES = 10
const CELLS = 10
const FIELDS = [
  'temperature',
  'pressure',
  'speed',
  'current',
  'voltage',
  'state',
  'count',
  'alarm',
  'setpoint',
  'oee',
]
const RUNS = 300

const gc = (globalThis as { gc?: () => void }).gc
if (gc === undefined) throw new Error('run with node --expose-gc')
const branch = (() => {
  try {
    return execSync('git rev-parse --abbrev-ref HEAD', { encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
})()

function mem(): { heap: number; rss: number } {
  gc?.()
  gc?.()
  const m = process.memoryUsage()
  return { heap: m.heapUsed, rss: m.rss }
}

function time(fn: () => unknown, runs = RUNS): { p50: number; p99: number } {
  for (let i = 0; i < 5; i++) fn()
  const t: number[] = []
  for (let i = 0; i < runs; i++) {
    const s = process.hrtime.bigint()
    fn()
    t.push(Number(process.hrtime.bigint() - s) / 1e6)
  }
  t.sort((a, b) => a - b)
  return { p50: t[Math.floor(runs * 0.5)] as number, p99: t[Math.floor(runs * 0.99)] as number }
}

const before = mem()
const model = {
  name: 'Machine',
  version: 1,
  fields: FIELDS.map((name) => ({
    name,
    type: 'number' as const,
    unit: 'u',
    class: 'telemetry' as const,
    writable: false,
  })),
  source: { file: 'bench' },
}
const nodes: NodeDef[] = []
const paths: string[] = []
for (let s = 0; s < SITES; s++)
  for (let a = 0; a < AREAS; a++)
    for (let l = 0; l < LINES; l++)
      for (let c = 0; c < CELLS; c++) {
        const path = `acme/site-${s}/area-${a}/line-${l}/cell-${c}`
        nodes.push({
          path,
          level: 'cell',
          model: { name: 'Machine', version: 1 },
          attributes: {},
          source: { file: 'bench' },
        })
        for (const f of FIELDS) paths.push(`${path}/${f}`)
      }
const definition: NamespaceDefinition = {
  levels: DEFAULT_LEVELS,
  models: { Machine: { name: 'Machine', versions: [model] } },
  nodes,
  sparkplug: { pathTemplate: '{group}/{edge}/{device}/{metric}', mappings: [] },
  files: [],
}
const tags = paths.length
const buildStart = performance.now()
const tree = createNamespaceTree(definition, { mode: 'strict' })
let i = 0
for (const path of paths) {
  const r = tree.apply({
    path,
    value: i++ * 0.5,
    timestamp: 1764072000000,
    quality: 'good',
    source: 'plc-1',
    origin: 'bench',
  })
  if (!r.ok) throw r.error
}
const buildMs = performance.now() - buildStart
paths.length = 0 // the tree must not depend on the input array
const after = mem()

const updStart = performance.now()
const UPDATES = 200_000
for (let k = 0; k < UPDATES; k++) {
  const n = k % 10_000
  tree.apply({
    path: `acme/site-${n % 2}/area-${n % 50}/line-${n % 10}/cell-${(n >> 3) % 10}/temperature`,
    value: k,
    timestamp: 1764072000000 + k,
    quality: 'good',
    source: 'plc-1',
    origin: 'bench',
  })
}
const updPerSec = UPDATES / ((performance.now() - updStart) / 1000)

// Baseline: what a flat last-value cache (Map path -> value) would do for the same two queries.
const flat = new Map<string, number>()
for (const v of tree.values({ filter: '#', limit: 1000 }).items) flat.set(v.path, v.value as number)
let cursor = tree.values({ filter: '#', limit: 1000 }).nextCursor
while (cursor !== undefined) {
  const page = tree.values({ filter: '#', limit: 1000, cursor })
  for (const v of page.items) flat.set(v.path, v.value as number)
  cursor = page.nextCursor
}
const FILTER = 'acme/site-0/area-0/+/+/temperature'
const filter = parseTopicFilter(FILTER)
if (!filter.ok) throw filter.error
const baselineValues = (): number => {
  const out: string[] = []
  for (const p of [...flat.keys()].sort()) if (matchesFilter(filter.value, p.split('/'))) out.push(p)
  return out.length
}
const baselineChildren = (): number => {
  const prefix = 'acme/site-0/'
  const seen = new Set<string>()
  for (const p of flat.keys()) {
    if (!p.startsWith(prefix)) continue
    const rest = p.slice(prefix.length).split('/')
    seen.add(rest[0] as string)
    seen.add(`${rest[0]}/${rest[1]}`)
  }
  return seen.size
}

const valuesCount = tree.values({ filter: FILTER, limit: 1000 }).items.length
const childEntries = (() => {
  const e = tree.children('acme/site-0', 2)
  return (e.children ?? []).reduce((n, c) => n + 1 + (c.children?.length ?? 0), 0)
})()
if (valuesCount !== 100 || baselineValues() !== 100)
  throw new Error(`filter matched ${valuesCount}, expected 100`)
if (childEntries !== baselineChildren())
  throw new Error(`children ${childEntries} != baseline ${baselineChildren()}`)

const tv = time(() => tree.values({ filter: FILTER, limit: 1000 }))
const tc = time(() => tree.children('acme/site-0', 2))
// The baselines are ~1000x slower: fewer runs keep the bench under 20 s.
const bv = time(baselineValues, 40)
const bc = time(baselineChildren, 40)
const stats = tree.stats()

const row = (k: string, v: string): void => console.log(`${k.padEnd(44)} ${v}`)
console.log(`# namespace-tree bench, branch ${branch}, node ${process.version}`)
row('tags (values held)', `${stats.values} of ${tags}, ${stats.nodes} nodes`)
row('build: declare + first value per tag', `${buildMs.toFixed(0)} ms`)
row('heap used per tag (incl. definition)', `${((after.heap - before.heap) / tags).toFixed(0)} B`)
row('RSS per tag (incl. definition)', `${((after.rss - before.rss) / tags).toFixed(0)} B`)
row('apply() updates of existing tags', `${Math.round(updPerSec).toLocaleString('en')} /s`)
row(`values(${FILTER}) = 100 results`, `p50 ${tv.p50.toFixed(3)} ms  p99 ${tv.p99.toFixed(3)} ms`)
row('  baseline: sorted scan of a flat Map', `p50 ${bv.p50.toFixed(3)} ms  p99 ${bv.p99.toFixed(3)} ms`)
row(
  `children(acme/site-0, 2) = ${childEntries} entries`,
  `p50 ${tc.p50.toFixed(3)} ms  p99 ${tc.p99.toFixed(3)} ms`,
)
row('  baseline: prefix scan of a flat Map', `p50 ${bc.p50.toFixed(3)} ms  p99 ${bc.p99.toFixed(3)} ms`)
