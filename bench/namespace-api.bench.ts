// Namespace REST API at 100,000 tags under load: GET /api/v1/values (filter of 100 results) and
// GET /api/v1/tree (depth 2) measured with autocannon against a real listening server, next to
// GET /health/live as the baseline of the same HTTP stack; plus RSS per tag of the server process.
// The server runs in a child process so the load generator does not share its event loop.
// Run: node --import tsx bench/namespace-api.bench.ts
import { execSync, fork, type ChildProcess } from 'node:child_process'
import { loadavg } from 'node:os'
import { fileURLToPath } from 'node:url'
import autocannon from 'autocannon'
import type { NodeDef } from '../src/namespace/index.js'

const DURATION_S = 5
const CONNECTIONS = 10
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
const VALUES_URL = '/api/v1/values?filter=acme/site-0/area-0/%2B/%2B/temperature&limit=1000'
const TREE_URL = '/api/v1/tree?path=acme/site-0&depth=2'

interface ServerReady {
  readonly port: number
  readonly tags: number
  readonly nodes: number
  readonly buildMs: number
  readonly rssPerTag: number
  readonly heapPerTag: number
}

async function server(): Promise<void> {
  const { Registry } = await import('prom-client')
  const { buildApi } = await import('../src/api/index.js')
  const { createLogger } = await import('../src/logger.js')
  const ns = await import('../src/namespace/index.js')
  const gc = (globalThis as { gc?: () => void }).gc
  if (gc === undefined) throw new Error('the server child needs --expose-gc')
  const mem = () => {
    gc()
    gc()
    return process.memoryUsage()
  }
  const before = mem()
  const buildStart = performance.now()
  const nodes: NodeDef[] = []
  for (let s = 0; s < SITES; s++)
    for (let a = 0; a < AREAS; a++)
      for (let l = 0; l < LINES; l++)
        for (let c = 0; c < CELLS; c++)
          nodes.push({
            path: `acme/site-${s}/area-${a}/line-${l}/cell-${c}`,
            level: 'cell',
            model: { name: 'Machine', version: 1 },
            attributes: {},
            source: { file: 'bench' },
          })
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
  const tree = ns.createNamespaceTree(
    {
      levels: ns.DEFAULT_LEVELS,
      models: { Machine: { name: 'Machine', versions: [model] } },
      nodes,
      sparkplug: { pathTemplate: ns.DEFAULT_SPARKPLUG_TEMPLATE, mappings: [] },
      files: [],
    },
    { mode: 'strict' },
  )
  let i = 0
  for (const cell of nodes)
    for (const f of FIELDS) {
      const r = tree.apply({
        path: `${cell.path}/${f}`,
        value: i++ * 0.5,
        timestamp: 1764072000000,
        quality: 'good',
        source: 'plc-1',
        origin: 'bench',
      })
      if (!r.ok) throw r.error
    }
  const buildMs = performance.now() - buildStart
  nodes.length = 0
  const after = mem()
  const app = await buildApi({
    logger: createLogger('warn'),
    health: () => ({ ready: true, mqtt: { listening: true, clients: 0 }, kafka: { state: 'disabled' } }),
    metricsRegistry: new Registry(),
    handleMqttStream: () => {},
    tree,
    stream: { throttleMs: 250 },
  })
  await app.listen({ port: 0, host: '127.0.0.1' })
  const address = app.server.address()
  if (address === null || typeof address === 'string') throw new Error('no TCP address')
  const stats = tree.stats()
  const ready: ServerReady = {
    port: address.port,
    tags: stats.values,
    nodes: stats.nodes,
    buildMs,
    rssPerTag: (after.rss - before.rss) / stats.values,
    heapPerTag: (after.heapUsed - before.heapUsed) / stats.values,
  }
  process.send?.(ready)
  process.on('disconnect', () => void app.close().then(() => process.exit(0)))
}

async function load(base: string, path: string) {
  const r = await autocannon({ url: base + path, connections: CONNECTIONS, duration: DURATION_S })
  if (r.errors > 0 || r.non2xx > 0) throw new Error(`${path}: ${r.errors} errors, ${r.non2xx} non-2xx`)
  // autocannon records latencies in whole ms, so a sub-ms mean reads as 0; with a fixed number of
  // connections in a closed loop, Little's law gives the mean exactly: connections / throughput.
  return {
    p50: r.latency.p50,
    p99: r.latency.p99,
    mean: (CONNECTIONS / r.requests.average) * 1000,
    rps: r.requests.average,
    bytes: r.throughput.average,
  }
}

async function main(): Promise<void> {
  const branch = (() => {
    try {
      return execSync('git rev-parse --abbrev-ref HEAD', { encoding: 'utf8' }).trim()
    } catch {
      return 'unknown'
    }
  })()
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), ['--server'], {
    execArgv: [...process.execArgv, '--expose-gc'],
  })
  try {
    const ready = await new Promise<ServerReady>((resolve, reject) => {
      child.once('message', (m) => resolve(m as ServerReady))
      child.once('exit', (code) => reject(new Error(`server exited with ${code}`)))
    })
    const base = `http://127.0.0.1:${ready.port}`
    const values = (await (await fetch(base + VALUES_URL)).json()) as { items: unknown[] }
    if (values.items.length !== 100)
      throw new Error(`values filter matched ${values.items.length}, expected 100`)
    const treeBody = (await (await fetch(base + TREE_URL)).json()) as { children: { children: unknown[] }[] }
    const entries = treeBody.children.reduce((n, c) => n + 1 + c.children.length, 0)
    // Warm-up: JIT and fast-json-stringify caches, outside the measurement.
    await autocannon({ url: base + VALUES_URL, connections: CONNECTIONS, amount: 2000 })
    await autocannon({ url: base + TREE_URL, connections: CONNECTIONS, amount: 2000 })
    const live = await load(base, '/health/live')
    const v = await load(base, VALUES_URL)
    const t = await load(base, TREE_URL)

    const row = (k: string, s: string): void => console.log(`${k.padEnd(46)} ${s}`)
    const lat = (r: { p50: number; p99: number; mean: number; rps: number }) =>
      `p50 ${r.p50} ms  p99 ${r.p99} ms  mean ${r.mean.toFixed(2)} ms (Little)  ${Math.round(r.rps).toLocaleString('en')} req/s`
    const ratio = (r: { mean: number; rps: number }) =>
      `mean latency x${(r.mean / live.mean).toFixed(1)}  req/s x${(r.rps / live.rps).toFixed(2)}`
    console.log(
      `# namespace-api bench, branch ${branch}, node ${process.version}, autocannon ${CONNECTIONS} connections x ${DURATION_S} s`,
    )
    row('tags (values held)', `${ready.tags.toLocaleString('en')}, ${ready.nodes.toLocaleString('en')} nodes`)
    row('build: declare + first value per tag', `${ready.buildMs.toFixed(0)} ms`)
    row('server RSS per tag (incl. definition)', `${ready.rssPerTag.toFixed(0)} B`)
    row('server heap per tag (incl. definition)', `${ready.heapPerTag.toFixed(0)} B`)
    row('baseline GET /health/live', lat(live))
    row('GET /values, filter of 100 results', lat(v))
    row('  ratio to baseline', ratio(v))
    row(`GET /tree depth 2 (${entries} entries)`, lat(t))
    row('  ratio to baseline', ratio(t))
    console.log(
      `# load average after the run: ${loadavg()
        .map((l) => l.toFixed(2))
        .join(' ')}`,
    )
    row(
      'response size values / tree',
      `${(v.bytes / v.rps / 1024).toFixed(1)} KiB / ${(t.bytes / t.rps / 1024).toFixed(1)} KiB`,
    )
  } finally {
    child.disconnect()
  }
}

await (process.argv.includes('--server') ? server() : main())
