// Validations per second of the UNS envelope schema on one core (issue 5 target: 1,000,000/s), next to
// a hand-written typeof check as the baseline, in the same run. About 4 x 3 s.
// Run: npx tsx bench/registry-validate.bench.ts [secondsPerCase]
import { execSync } from 'node:child_process'
import { createMemoryStore, createRegistry, UNS_ENVELOPE_SUBJECT } from '../src/registry/index.js'

const seconds = Number(process.argv[2] ?? 3)
const branch = (() => {
  try {
    return execSync('git rev-parse --abbrev-ref HEAD', { encoding: 'utf8' }).trim()
  } catch {
    return 'unknown'
  }
})()

const QUALITIES = ['good', 'uncertain', 'bad', 'stale']
// 1024 distinct envelopes, so no case can be answered from one hot object.
const envelopes = Array.from({ length: 1024 }, (_, i) => ({
  value: i % 3 === 0 ? i * 0.5 : i % 3 === 1 ? `s${i}` : i % 2 === 0,
  timestamp: 1_764_072_000_000 + i,
  quality: QUALITIES[i % 4] as string,
  datatype: 'Float',
}))
const events = envelopes.map((e, i) => ({ path: `acme/berlin/line-${i % 16}/filler/temp`, ...e }))

function handWritten(e: Record<string, unknown>): boolean {
  return (
    'value' in e &&
    typeof e['timestamp'] === 'number' &&
    Number.isInteger(e['timestamp']) &&
    (e['timestamp'] as number) >= 0 &&
    typeof e['quality'] === 'string' &&
    QUALITIES.includes(e['quality']) &&
    (e['datatype'] === undefined || (typeof e['datatype'] === 'string' && e['datatype'].length > 0))
  )
}

function run(name: string, fn: (i: number) => boolean): number {
  let ok = 0
  for (let i = 0; i < 200_000; i++) if (fn(i & 1023)) ok++ // warm-up, lets the JIT settle
  let ops = 0
  const start = process.hrtime.bigint()
  const budget = BigInt(Math.round(seconds * 1e9))
  let elapsed = 0n
  while (elapsed < budget) {
    for (let i = 0; i < 100_000; i++) if (fn(i & 1023)) ok++
    ops += 100_000
    elapsed = process.hrtime.bigint() - start
  }
  const perSecond = ops / (Number(elapsed) / 1e9)
  if (ok === 0) throw new Error(`${name}: nothing validated as ok`)
  console.log(`${branch},${name},${Math.round(perSecond)},ops/s`)
  return perSecond
}

const registry = await createRegistry({ store: createMemoryStore() })
await registry.bind({
  subject: UNS_ENVELOPE_SUBJECT,
  policy: 'reject',
  target: 'envelope',
  topicFilter: 'acme/#',
})
// Fail fast if the cases disagree on what is valid.
for (const e of envelopes) {
  if (!handWritten(e) || !registry.validate(UNS_ENVELOPE_SUBJECT, 'latest', e).ok)
    throw new Error('fixture invalid')
}

console.log('branch,case,rate,unit')
const baseline = run('baseline typeof check', (i) => handWritten(envelopes[i] as Record<string, unknown>))
const validate = run(
  'registry.validate(envelope, latest)',
  (i) => registry.validate(UNS_ENVELOPE_SUBJECT, 'latest', envelopes[i]).ok,
)
const check = run('registry.check(event) incl. binding + envelope', (i) => {
  const e = events[i]
  return e !== undefined && registry.check(e).verdict === 'accept'
})
console.log(`${branch},validate vs baseline,${(validate / baseline).toFixed(2)},x`)
console.log(`${branch},check vs baseline,${(check / baseline).toFixed(2)},x`)
console.log(`${branch},compiled validators,${registry.stats().compiledValidators},count`)
await registry.close()
