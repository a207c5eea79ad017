// Access decisions per second on the MQTT hot path (issue 12 goal: rules on costs under 5 % of
// throughput): publish checks (role grants + Sparkplug guard) and forward checks for a user with the
// roles of the example, next to open mode as the baseline, in the same run. About 4 x 2 s.
// Run: npx tsx bench/security-rules.bench.ts [secondsPerCase]
import { execSync } from 'node:child_process'
import { loadConfig } from '../src/config/index.js'
import { createLogger } from '../src/logger.js'
import { createSecurity, hashPassword, type ClientSession } from '../src/security/index.js'

const seconds = Number(process.argv[2] ?? 2)
const branch = (() => {
  try {
    return execSync('git rev-parse --abbrev-ref HEAD', { encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
})()

const hash = await hashPassword('pw', { ln: 10, r: 8, p: 1 })
const { mkdtempSync, writeFileSync } = await import('node:fs')
const { join } = await import('node:path')
const { tmpdir } = await import('node:os')
const file = join(mkdtempSync(join(tmpdir(), 'uns-bench-')), 'config.yaml')
writeFileSync(
  file,
  `security:
  users: [{ username: plc-berlin-1, password: "${hash}", roles: [edge-berlin, reader] }]
  roles:
    edge-berlin: { publish: ["acme/berlin/#", "spBv1.0/acme-berlin/#"], subscribe: ["spBv1.0/STATE/#", "spBv1.0/acme-berlin/NCMD/#", "spBv1.0/acme-berlin/DCMD/#"] }
    reader: { subscribe: ["acme/#", "devices/\${clientid}/#"], read: ["acme/#"] }
`,
)
const logger = createLogger('silent')
const secured = await createSecurity(
  { logger },
  { security: loadConfig({ file, env: {} }).security, sparkplugHostId: 'h' },
)
const open = await createSecurity(
  { logger },
  { security: loadConfig({ env: {} }).security, sparkplugHostId: 'h' },
)
const auth = await secured.authenticate({ username: 'plc-berlin-1', password: 'pw', address: 'a' })
if (!auth.ok) throw new Error('bench user did not authenticate')
const session: ClientSession = { identity: auth.identity, clientId: 'plc1', address: '127.0.0.1:1' }
secured.clientConnected(session)
const anon = await open.authenticate({ address: 'a' })
if (!anon.ok) throw new Error('open mode refused')
const openSession: ClientSession = { identity: anon.identity, clientId: 'plc1', address: '127.0.0.1:1' }

// 1024 distinct topics of realistic depth, half JSON UNS paths, half Sparkplug.
const topics = Array.from({ length: 1024 }, (_, i) =>
  i % 2 === 0
    ? `acme/berlin/packaging/line-${i % 16}/cell-${i % 7}/temp-${i}`
    : `spBv1.0/acme-berlin/DDATA/plc1/dev-${i % 32}`,
)

function run(name: string, fn: (i: number) => boolean): number {
  let ok = 0
  for (let i = 0; i < 200_000; i++) if (fn(i & 1023)) ok++
  let ops = 0
  const start = process.hrtime.bigint()
  const budget = BigInt(Math.round(seconds * 1e9))
  let elapsed = 0n
  while (elapsed < budget) {
    for (let i = 0; i < 100_000; i++) if (fn(i & 1023)) ok++
    ops += 100_000
    elapsed = process.hrtime.bigint() - start
  }
  if (ok === 0) throw new Error(`${name}: nothing allowed`)
  const perSecond = ops / (Number(elapsed) / 1e9)
  console.log(`${branch},${name},${Math.round(perSecond)},ops/s,${(1e9 / perSecond).toFixed(0)},ns/op`)
  return perSecond
}

run('publish-open-mode', (i) => open.authorizePublish(openSession, topics[i] as string).allowed)
run('publish-rules+guard', (i) => secured.authorizePublish(session, topics[i] as string).allowed)
run('forward-open-mode', (i) => open.authorizeForward(openSession, topics[i & ~1] as string))
run('forward-rules', (i) => secured.authorizeForward(session, topics[i & ~1] as string))
