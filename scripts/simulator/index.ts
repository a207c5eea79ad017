// The simulated factory: Sparkplug B edge nodes (one MQTT connection each) driven at a steady rate, and
// the plain-JSON publishers of the namespace. Used by `npm run simulate`, `npm run demo` and the tests.
import type { NamespaceDefinition } from '../../src/namespace/index.js'
import { startEdgeNode, type EdgeNode } from './edge-node.js'
import { startJsonFactory, type JsonFactory } from './json-factory.js'
import { buildLayout, type LayoutName } from './layouts.js'

export interface SimulatorOptions {
  readonly url: string
  readonly edges: number
  readonly devices: number
  readonly metrics: number
  /** DDATA messages per second per device. */
  readonly rate: number
  readonly qos: 0 | 1
  readonly layout: LayoutName
  readonly group: string
  /** JSON tags to publish from `namespace` (0: none; undefined: all). */
  readonly jsonTags?: number
  readonly namespace?: NamespaceDefinition
  readonly primaryHostId?: string
  readonly log?: (line: string) => void
}

export interface SimulatorTotals {
  readonly sparkplugMessages: number
  readonly metricUpdates: number
  readonly jsonMessages: number
  readonly births: number
  readonly rebirthRequests: number
  readonly writes: number
}

export interface Simulator {
  readonly edges: readonly EdgeNode[]
  readonly json: JsonFactory | undefined
  totals(): SimulatorTotals
  stop(): Promise<void>
}

/** Timer granularity: rates above 1000/TICK_MS per device send several DDATA per tick. */
const TICK_MS = 10

export async function startSimulator(o: SimulatorOptions): Promise<Simulator> {
  const layout = buildLayout(o)
  const edges = await Promise.all(
    layout.map((spec) =>
      startEdgeNode(spec, {
        url: o.url,
        qos: o.qos,
        ...(o.primaryHostId === undefined ? {} : { primaryHostId: o.primaryHostId }),
        ...(o.log ? { log: o.log } : {}),
      }),
    ),
  )
  const owned = layout.flatMap((e) => e.unsPrefixes)
  const json =
    o.namespace && o.jsonTags !== 0
      ? await startJsonFactory(o.namespace, o.url, {
          qos: o.qos,
          clientId: `sim-json-${process.pid}`,
          exclude: (path) => owned.some((p) => path.startsWith(p)),
          ...(o.jsonTags === undefined ? {} : { maxTags: o.jsonTags }),
        })
      : undefined

  // A token bucket per tick keeps the mean rate exact also when it is not a multiple of the tick.
  let due = 0
  let last = performance.now()
  const timer = setInterval(
    () => {
      const t = performance.now()
      due += ((t - last) * o.rate) / 1000
      last = t
      const rounds = Math.floor(due)
      due -= rounds
      for (let r = 0; r < rounds; r++) for (const e of edges) e.publishData()
    },
    Math.max(TICK_MS, Math.min(1000, 1000 / Math.max(o.rate, 0.001))),
  )

  let stopped: Promise<void> | undefined
  return {
    edges,
    json,
    totals() {
      const sum = (f: (e: EdgeNode) => number): number => edges.reduce((n, e) => n + f(e), 0)
      return {
        sparkplugMessages: sum((e) => e.stats.dataMessages),
        metricUpdates: sum((e) => e.stats.metricUpdates),
        jsonMessages: json?.published ?? 0,
        births: sum((e) => e.stats.births),
        rebirthRequests: sum((e) => e.stats.rebirthRequests),
        writes: sum((e) => e.stats.writes),
      }
    },
    stop: () =>
      (stopped ??= (async () => {
        clearInterval(timer)
        await Promise.all([...edges.map((e) => e.stop()), json?.stop()])
      })()),
  }
}

export type { EdgeNode } from './edge-node.js'
export type { LayoutName } from './layouts.js'
