// `npm run simulate -- --edges N --devices M --metrics K --rate R --qos 0|1`: a simulated factory of
// Sparkplug B edge nodes and plain-JSON publishers against a running uns-bridge (or any MQTT broker).
import { existsSync } from 'node:fs'
import { parseArgs } from 'node:util'
import { loadNamespace, type NamespaceDefinition } from '../src/namespace/index.js'
import { startSimulator, type LayoutName } from './simulator/index.js'

const HELP = `usage: npm run simulate -- [options]

  --url URL          MQTT broker (default mqtt://127.0.0.1:1883)
  --edges N          Sparkplug edge nodes, one MQTT connection each (default 2)
  --devices M        devices per generic edge node (default 2)
  --metrics K        metrics per generic device (default 10)
  --rate R           DDATA messages per second per device (default 1)
  --qos 0|1          QoS of DDATA and JSON publishes (default 0; births QoS 0, NDEATH will QoS 1)
  --layout L         acme: the first two edges are the demo namespace's mapped PLCs
                     (acme-berlin/plc-packaging-1, acme-austin/plc-assembly-1); generic: all generic
                     (default acme)
  --group G          Sparkplug group of the generic edges (default sim)
  --json-tags N      plain-JSON tags from the namespace (energy meters, MES orders, SCADA alarms, ...);
                     0 turns them off (default: all declared tags not fed by Sparkplug)
  --namespace DIR    namespace for the JSON tags (default ./namespace)
  --primary-host ID  wait for spBv1.0/STATE/ID online before the births
  --duration S       stop after S seconds (default: until Ctrl-C)
  -h, --help         this text
`

function fail(message: string): never {
  console.error(`simulate: ${message}\n\n${HELP}`)
  process.exit(2)
}

function integer(name: string, raw: string | undefined, fallback: number, min: number): number {
  if (raw === undefined) return fallback
  const n = Number(raw)
  if (!Number.isInteger(n) || n < min) fail(`--${name} must be an integer >= ${min}, got "${raw}"`)
  return n
}

let args
try {
  args = parseArgs({
    options: {
      url: { type: 'string', default: 'mqtt://127.0.0.1:1883' },
      edges: { type: 'string' },
      devices: { type: 'string' },
      metrics: { type: 'string' },
      rate: { type: 'string' },
      qos: { type: 'string', default: '0' },
      layout: { type: 'string', default: 'acme' },
      group: { type: 'string', default: 'sim' },
      'json-tags': { type: 'string' },
      namespace: { type: 'string', default: 'namespace' },
      'primary-host': { type: 'string' },
      duration: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  }).values
} catch (err) {
  fail((err as Error).message)
}
if (args.help) {
  console.log(HELP)
  process.exit(0)
}
const rate = Number(args.rate ?? '1')
if (!Number.isFinite(rate) || rate <= 0) fail(`--rate must be a number > 0, got "${args.rate}"`)
if (args.qos !== '0' && args.qos !== '1') fail(`--qos must be 0 or 1, got "${args.qos}"`)
if (args.layout !== 'acme' && args.layout !== 'generic')
  fail(`--layout must be acme or generic, got "${args.layout}"`)
if (/[/+#]/.test(args.group)) fail(`--group must not contain / + or #, got "${args.group}"`)
const jsonTags = args['json-tags'] === undefined ? undefined : integer('json-tags', args['json-tags'], 0, 0)
const duration = args.duration === undefined ? undefined : Number(args.duration)
if (duration !== undefined && !(duration > 0))
  fail(`--duration must be a number of seconds > 0, got "${args.duration}"`)

let namespace: NamespaceDefinition | undefined
if (jsonTags !== 0 && existsSync(args.namespace)) namespace = await loadNamespace(args.namespace)

const say = (line: string): void => console.log(`[simulate] ${line}`)
const sim = await startSimulator({
  url: args.url,
  edges: integer('edges', args.edges, 2, 0),
  devices: integer('devices', args.devices, 2, 1),
  metrics: integer('metrics', args.metrics, 10, 1),
  rate,
  qos: args.qos === '1' ? 1 : 0,
  layout: args.layout as LayoutName,
  group: args.group,
  ...(jsonTags === undefined ? {} : { jsonTags }),
  ...(namespace === undefined ? {} : { namespace }),
  ...(args['primary-host'] === undefined ? {} : { primaryHostId: args['primary-host'] }),
  log: say,
}).catch((err: Error) => fail(`cannot connect to ${args.url}: ${err.message}`))
const devices = sim.edges.reduce((n, e) => n + e.spec.devices.length, 0)
say(`${sim.edges.length} edge nodes, ${devices} devices, ${sim.json?.tags ?? 0} JSON tags -> ${args.url}`)

let last = sim.totals()
let lastAt = performance.now()
const progress = setInterval(() => {
  const t = sim.totals()
  const now = performance.now()
  const per = (a: number, b: number): string =>
    Math.round(((a - b) * 1000) / (now - lastAt)).toLocaleString('en')
  say(
    `DDATA ${per(t.sparkplugMessages, last.sparkplugMessages)}/s, metric updates ${per(t.metricUpdates, last.metricUpdates)}/s, ` +
      `JSON ${per(t.jsonMessages, last.jsonMessages)}/s | births ${t.births}, rebirth requests ${t.rebirthRequests}, writes ${t.writes}`,
  )
  last = t
  lastAt = now
}, 5000)

let stopping = false
async function stop(): Promise<void> {
  if (stopping) return
  stopping = true
  clearInterval(progress)
  await sim.stop()
  const t = sim.totals()
  say(
    `stopped: ${t.sparkplugMessages} DDATA, ${t.metricUpdates} metric updates, ${t.jsonMessages} JSON publishes`,
  )
  process.exit(0)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
if (duration !== undefined) setTimeout(() => void stop(), duration * 1000)
