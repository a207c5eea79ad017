// Sparkplug decode speed, metrics/s on one core, for a realistic DDATA: 10 alias-only, datatype-less
// metrics of mixed types. Baseline in the same run: the raw protobuf decode alone (no datatypes).
// Target (issue 4): 1,000,000 metrics/s. Run: npx tsx bench/sparkplug-decode.bench.ts (about 10 s).
import { execSync } from 'node:child_process'
import spb from 'sparkplug-payload/lib/sparkplugPayloadProto.js'
import { createSparkplugHost, decodePayload, type MetricResolver } from '../src/sparkplug/index.js'

const P = spb.org.eclipse.tahu.protobuf
const DT = P.DataType
const T0 = 1764072000000
const TYPES = [
  DT.Double,
  DT.Float,
  DT.Int32,
  DT.UInt32,
  DT.Int64,
  DT.Boolean,
  DT.String,
  DT.Int16,
  DT.UInt64,
  DT.Double,
]
const METRICS = TYPES.length

function valueFields(type: number, i: number): Record<string, unknown> {
  switch (type) {
    case DT.Float:
    case DT.Double:
      return type === DT.Float ? { floatValue: i + 0.5 } : { doubleValue: i * 1.25 }
    case DT.Int64:
    case DT.UInt64:
      return { longValue: 1_000_000 + i }
    case DT.Boolean:
      return { booleanValue: i % 2 === 0 }
    case DT.String:
      return { stringValue: `state-${i}` }
    default:
      return { intValue: i * 7 }
  }
}

const birth = P.Payload.encode({
  timestamp: T0,
  seq: 0,
  metrics: [
    { name: 'bdSeq', datatype: DT.Int64, longValue: 0 },
    ...TYPES.map((datatype, i) => ({
      name: `m${i}`,
      alias: i + 1,
      timestamp: T0,
      datatype,
      ...valueFields(datatype, 0),
    })),
  ],
}).finish()
const ddata = (seq: number): Uint8Array =>
  P.Payload.encode({
    timestamp: T0,
    seq,
    metrics: TYPES.map((t, i) => ({ alias: i + 1, timestamp: T0 + seq, ...valueFields(t, seq) })),
  }).finish()
const payloads = Array.from({ length: 256 }, (_, s) => ddata(s))

const defs = TYPES.map((datatype, i) => ({ name: `m${i}`, alias: i + 1, datatype }))
const byAlias = new Map(defs.map((d) => [d.alias, d]))
const byName = new Map(defs.map((d) => [d.name, d]))
const resolver: MetricResolver = { byAlias: (a) => byAlias.get(a), byName: (n) => byName.get(n) }

function measure(
  name: string,
  fn: (bytes: Uint8Array, i: number) => void,
  ms = 3000,
): { name: string; rate: number } {
  for (let i = 0; i < 20_000; i++) fn(payloads[i & 255] as Uint8Array, i) // warm-up
  let n = 0
  const start = process.hrtime.bigint()
  const end = start + BigInt(ms) * 1_000_000n
  let now = start
  while (now < end) {
    for (let k = 0; k < 1000; k++, n++) fn(payloads[n & 255] as Uint8Array, n)
    now = process.hrtime.bigint()
  }
  const seconds = Number(now - start) / 1e9
  return { name, rate: (n * METRICS) / seconds }
}

let sink = 0
const baseline = measure('raw protobuf decode (Payload.decode, baseline)', (b) => {
  sink += P.Payload.decode(b).metrics.length
})
const codec = measure('codec: decodePayload with BIRTH datatypes', (b) => {
  const r = decodePayload(b, resolver)
  if (r.ok) sink += r.payload.metrics.length
})
const clock = { now: () => T0, setTimeout: () => 0, clearTimeout: () => undefined }
const host = createSparkplugHost(
  { clock, hostId: 'bench' },
  { reorderTimeoutMs: 0, rebirthMinIntervalMs: 5000 },
)
host.handle('spBv1.0/G/NBIRTH/E', birth, T0)
const hostRun = measure('host: handle() incl. seq check, model update, outcome', (_b, i) => {
  // Seq continues 1, 2, ... 255, 0 after the birth's seq 0.
  sink += host.handle('spBv1.0/G/NDATA/E', payloads[(i + 1) & 255] as Uint8Array, T0).updates.length
})

const check = host.handle(
  'spBv1.0/G/NDATA/E',
  payloads[(host.nodes()[0]?.lastSeq ?? 0) + 1] as Uint8Array,
  T0,
)
if (check.updates.length !== METRICS || check.problems.length > 0)
  throw new Error('host bench did not decode every metric')

let branch = 'unknown'
try {
  branch = execSync('git rev-parse --abbrev-ref HEAD', { encoding: 'utf8' }).trim()
} catch {
  // not a git checkout
}
const fmt = (n: number): string => Math.round(n).toLocaleString('en-US')
console.log(`\nsparkplug decode, DDATA with ${METRICS} alias-only metrics, one core, branch ${branch}\n`)
console.log('| run | metrics/s | vs baseline | target 1,000,000 |')
console.log('|---|---:|---:|---|')
for (const r of [baseline, codec, hostRun]) {
  console.log(
    `| ${r.name} | ${fmt(r.rate)} | ${(r.rate / baseline.rate).toFixed(2)}x | ${r.rate >= 1e6 ? 'met' : 'missed'} |`,
  )
}
if (sink === 42) console.log('') // keeps the work observable
