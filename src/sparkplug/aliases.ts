// The metric model of one edge node or device, rebuilt from each BIRTH: definitions by name and by
// alias, plus the last value of every metric (needed to mark them stale on death).
// Aliases MUST be unique across the edge node's metrics [tck-id-payloads-alias-uniqueness]; the host
// keeps one alias table per node/device, which resolves the same messages for compliant edges.
import type { Quality, UnsValue } from '../uns/index.js'
import { toDatatypeName, type DatatypeName } from './datatypes.js'
import type { MetricDefinition, MetricResolver } from './payload.js'

/** The current state of one metric. */
export interface MetricEntry {
  readonly name: string
  readonly alias: number | undefined
  readonly datatype: number
  readonly datatypeName: DatatypeName
  properties: Readonly<Record<string, UnsValue>> | undefined
  value: UnsValue
  timestamp: number
  quality: Quality
  /** Set when the metric went stale (death, disconnect); cleared by the next value. */
  staleSince?: number | undefined
}

export interface MetricModel extends MetricResolver {
  /** Value-carrying metrics by (flattened) name. */
  readonly entries: ReadonlyMap<string, MetricEntry>
  /** True when the BIRTH used aliases: commands are then sent alias-only. */
  readonly usesAliases: boolean
  /** Registers a definition; returns a reason when its alias is already taken. */
  define(def: MetricDefinition): string | undefined
  /** Adds a value-carrying metric (also defines it). */
  add(entry: MetricEntry): string | undefined
}

export function createMetricModel(): MetricModel {
  const defs = new Map<string, MetricDefinition>()
  const aliases = new Map<number, MetricDefinition>()
  const entries = new Map<string, MetricEntry>()
  const model = {
    entries,
    usesAliases: false,
    byAlias: (alias: number) => aliases.get(alias),
    byName: (name: string) => defs.get(name),
    define(def: MetricDefinition): string | undefined {
      defs.set(def.name, def)
      if (def.alias === undefined) return undefined
      model.usesAliases = true
      const taken = aliases.get(def.alias)
      if (taken !== undefined && taken.name !== def.name) {
        return `alias ${def.alias} of ${def.name} is already used by ${taken.name}`
      }
      aliases.set(def.alias, def)
      return undefined
    },
    add(entry: MetricEntry): string | undefined {
      entries.set(entry.name, entry)
      return model.define(entry)
    },
  }
  return model
}

export function newEntry(
  name: string,
  alias: number | undefined,
  datatype: number,
  rest: Pick<MetricEntry, 'properties' | 'value' | 'timestamp' | 'quality'>,
): MetricEntry {
  return { name, alias, datatype, datatypeName: toDatatypeName(datatype), ...rest }
}
