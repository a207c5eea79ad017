import { SparkplugUnmappable } from '../errors.js'
import type { SparkplugMappingDef, SparkplugSection } from './definition.js'
import { fail, type Result } from '../uns/index.js'
import { parseUnsPath, type UnsPath } from '../uns/index.js'

/** The Sparkplug identity of one metric ([tck-id-topic-structure]: group / edge node / device). */
export interface SparkplugMetricId {
  readonly group: string
  readonly edge: string
  /** Absent for the edge node's own metrics (NBIRTH/NDATA). */
  readonly device?: string
  /** Metric name; `/` in it (Sparkplug folders) becomes path levels. */
  readonly metric: string
}

export interface SparkplugMapper {
  /** Where a metric lives in the UNS; a result because metric names come from devices. */
  toUnsPath(id: SparkplugMetricId): Result<UnsPath>
}

/** Builds the lookup once per definition; `toUnsPath` is then two Map reads and a path check. */
export function createSparkplugMapper(section: SparkplugSection): SparkplugMapper {
  const exact = new Map<string, SparkplugMappingDef>()
  for (const m of section.mappings) exact.set(key(m.group, m.edge, m.device), m)
  const template = section.pathTemplate
  // A metric's path is asked for with every DATA message: the answer is kept per metric (issue 13: a
  // path was built and parsed again per value). Bounded: metric names come from devices.
  let known = new Map<string, Result<UnsPath>>()

  return {
    toUnsPath(id) {
      const memoKey = `${key(id.group, id.edge, id.device)}\u0000${id.metric}`
      const hit = known.get(memoKey)
      if (hit !== undefined) return hit
      const result = resolve(id)
      if (known.size >= MEMO_MAX) known = new Map()
      known.set(memoKey, result)
      return result
    },
  }

  function resolve(id: SparkplugMetricId): Result<UnsPath> {
    let path: string
    const device = id.device === undefined ? undefined : exact.get(key(id.group, id.edge, id.device))
    const edge = exact.get(key(id.group, id.edge, undefined))
    if (device !== undefined) path = `${device.path}/${device.metrics[id.metric] ?? id.metric}`
    else if (edge !== undefined) {
      const below = id.device === undefined ? '' : `${id.device}/`
      path = `${edge.path}/${below}${edge.metrics[id.metric] ?? id.metric}`
    } else {
      path = template
        .replace('{group}', id.group)
        .replace('{edge}', id.edge)
        // Node-level metrics have no device: drop the level rather than leave it empty.
        .replace(id.device === undefined ? /\{device\}\/?/ : '{device}', id.device ?? '')
        .replace('{metric}', id.metric)
    }
    const parsed = parseUnsPath(path)
    if (parsed.ok) return parsed
    const name = `${id.group}/${id.edge}${id.device === undefined ? '' : `/${id.device}`}/${id.metric}`
    return fail(new SparkplugUnmappable([name, parsed.error.message], { ...id, path }))
  }
}

const MEMO_MAX = 100_000

function key(group: string, edge: string, device: string | undefined): string {
  // NUL cannot occur in an MQTT topic [MQTT-4.7.3-2], so it separates ids unambiguously.
  return `${group}\u0000${edge}\u0000${device ?? ''}`
}
