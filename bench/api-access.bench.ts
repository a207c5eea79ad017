// Cost of the API access hook (issue 12): time per request of GET /api/v1/values and GET /api/v1/tree over
// the demo namespace in three apps built side by side: without security (the API as it was), open mode
// through the hook, and a bearer token of a reader role (cached token check, filter coverage, tree
// filtering). Requests go through Fastify's inject in small batches, the three apps taking turns, and the
// median batch is reported: on a shared machine that is steadier than sockets and a load generator.
// Run: npx tsx bench/api-access.bench.ts [rounds]
import { execSync } from 'node:child_process'
import { loadavg } from 'node:os'
import { Registry } from 'prom-client'
import { buildApi } from '../src/api/index.js'
import { loadConfig } from '../src/config/index.js'
import { createLogger } from '../src/logger.js'
import { createNamespaceTree, loadNamespace } from '../src/namespace/index.js'
import { createSecurity, hashPassword } from '../src/security/index.js'

const ROUNDS = Number(process.argv[2] ?? 120)
const BATCH = 50
const WARMUP_ROUNDS = 20
const TOKEN = 'bench-reader-token'
const MODES = ['none', 'open', 'token'] as const
type Mode = (typeof MODES)[number]

const tree = createNamespaceTree(await loadNamespace('namespace'), { mode: 'lenient' })
// A value on every declared tag, so answers have content.
for (const path of tree.search({ limit: 1000 }).map((h) => h.path))
  tree.apply({ path, value: 1, timestamp: Date.now(), quality: 'good', source: 'bench', origin: 'bench' })
const base = loadConfig({ env: {} }).security
const reader = { read: ['acme/#'], publish: [], subscribe: [], write: [], admin: false }

async function app(mode: Mode) {
  const security =
    mode === 'none'
      ? undefined
      : await createSecurity(
          { logger: createLogger('silent') },
          {
            security:
              mode === 'open'
                ? base
                : {
                    ...base,
                    tokens: [{ name: 'reader', token: await hashPassword(TOKEN), roles: ['reader'] }],
                    roles: { reader },
                  },
            sparkplugHostId: 'uns-bridge',
          },
        )
  return buildApi({
    logger: createLogger('silent'),
    health: () => ({ ready: true, mqtt: { listening: true, clients: 0 }, kafka: { state: 'disabled' } }),
    metricsRegistry: new Registry(),
    handleMqttStream: () => {},
    tree,
    explorer: false,
    ...(security === undefined ? {} : { security }),
  })
}

const apps = { none: await app('none'), open: await app('open'), token: await app('token') }
const branch = execSync('git rev-parse --abbrev-ref HEAD', { encoding: 'utf8' }).trim()
console.log(`branch ${branch}, load average ${loadavg()[0]?.toFixed(1)}, ${ROUNDS} rounds of ${BATCH}`)
for (const url of ['/api/v1/values?filter=acme/berlin/%23&limit=5', '/api/v1/tree?depth=3']) {
  const perRequest: Record<Mode, number[]> = { none: [], open: [], token: [] }
  for (let round = 0; round < ROUNDS; round++) {
    for (const mode of MODES) {
      const headers: Record<string, string> = mode === 'token' ? { authorization: `Bearer ${TOKEN}` } : {}
      const t = performance.now()
      for (let i = 0; i < BATCH; i++) {
        const res = await apps[mode].inject({ url, headers })
        if (res.statusCode !== 200) throw new Error(`${mode} ${url}: ${res.statusCode}`)
      }
      if (round >= WARMUP_ROUNDS) perRequest[mode].push(((performance.now() - t) / BATCH) * 1000)
    }
  }
  const median = (a: number[]) => [...a].sort((x, y) => x - y)[Math.floor(a.length / 2)] ?? 0
  const none = median(perRequest.none)
  for (const mode of MODES) {
    const us = median(perRequest[mode])
    console.log(`${url}\t${mode}\t${us.toFixed(0)} us/request\t+${(us - none).toFixed(0)} us`)
  }
}
for (const a of Object.values(apps)) await a.close()
