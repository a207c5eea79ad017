// What the host remembers per edge node and device, and how BIRTH, DATA and DEATH change it.
import type { Quality, UnsValue } from '../uns/index.js'
import { createMetricModel, newEntry, type MetricModel } from './aliases.js'
import { DT, toDatatypeId } from './datatypes.js'
import type { MetricUpdate } from './host-types.js'
import { isProtocolMetric } from './protocol-metrics.js'
import type { DecodedPayload, Envelope } from './payload.js'
import type { SequenceTracker } from './sequence.js'
import type { TemplateDefinition } from './template.js'
import type { EdgeTopic } from './topic.js'

/** A message waiting in the reorder buffer. */
export interface Pending {
  readonly topic: EdgeTopic
  readonly envelope: Envelope
  readonly receivedAt: number
}

export interface DeviceState {
  readonly device: string
  online: boolean
  birthTime: number | undefined
  deathTime: number | undefined
  model: MetricModel
}

export interface NodeState {
  readonly group: string
  readonly edge: string
  online: boolean
  bdSeq: number | bigint | undefined
  birthTime: number | undefined
  deathTime: number | undefined
  model: MetricModel
  readonly devices: Map<string, DeviceState>
  templates: Map<string, TemplateDefinition>
  seq: SequenceTracker<Pending> | undefined
  timer: unknown
}

/** Where updates go: one node or device. */
export interface Target {
  readonly group: string
  readonly edge: string
  readonly device: string | undefined
  readonly source: string
}

export function targetOf(group: string, edge: string, device: string | undefined): Target {
  return {
    group,
    edge,
    device,
    source: device === undefined ? `${group}/${edge}` : `${group}/${edge}/${device}`,
  }
}

function update(
  t: Target,
  metric: string,
  e: { datatypeName: MetricUpdate['datatype']; properties: MetricUpdate['properties'] },
  value: UnsValue,
  timestamp: number,
  quality: Quality,
  flags: { isHistorical: boolean; isTransient: boolean },
  cause: MetricUpdate['cause'],
  staleSince?: number,
): MetricUpdate {
  const { group, edge, device, source } = t
  const historical = flags.isHistorical
  const transient = flags.isTransient
  return {
    group,
    edge,
    device,
    metric,
    value,
    datatype: e.datatypeName,
    timestamp,
    quality,
    staleSince,
    historical,
    transient,
    properties: e.properties,
    source,
    cause,
  }
}

const NO_FLAGS = { isHistorical: false, isTransient: false }

/**
 * Builds a fresh model from a BIRTH (every metric with name, datatype and value,
 * [tck-id-topics-nbirth-metrics, tck-id-topics-dbirth-metrics]) and emits one update per metric
 * (not for the protocol metrics bdSeq and Node Control/*, see protocol-metrics.ts).
 * Returns alias conflicts [tck-id-payloads-alias-uniqueness] as reasons.
 */
export function buildModel(
  d: DecodedPayload,
  t: Target,
  fallbackTs: number,
  out: MetricUpdate[],
): {
  model: MetricModel
  conflicts: string[]
} {
  const model = createMetricModel()
  const conflicts: string[] = []
  for (const inst of d.instances) {
    const bad = model.define({ name: inst.name, alias: inst.alias, datatype: DT.Template })
    if (bad !== undefined) conflicts.push(bad)
  }
  for (const m of d.metrics) {
    const timestamp = m.timestamp ?? fallbackTs
    const datatype = toDatatypeId(m.datatype) ?? DT.Unknown
    const e = newEntry(m.name, m.alias, datatype, {
      properties: m.properties,
      value: m.value,
      timestamp,
      quality: m.quality,
    })
    const bad = model.add(e)
    if (bad !== undefined) conflicts.push(bad)
    if (!isProtocolMetric(m.name)) out.push(update(t, m.name, e, m.value, timestamp, m.quality, m, 'birth'))
  }
  return { model, conflicts }
}

/**
 * Applies DATA: only the metrics present change (RBE). Historical values are passed on but do not
 * become the current value (requirements §3.7).
 */
export function applyData(
  model: MetricModel,
  d: DecodedPayload,
  t: Target,
  fallbackTs: number,
  out: MetricUpdate[],
): void {
  for (const m of d.metrics) {
    const e = model.entries.get(m.name)
    if (e === undefined) continue
    const timestamp = m.timestamp ?? fallbackTs
    if (m.properties !== undefined && !m.isHistorical) e.properties = { ...e.properties, ...m.properties }
    const shown =
      m.isHistorical && m.properties !== undefined
        ? { ...e, properties: { ...e.properties, ...m.properties } }
        : e
    if (!m.isHistorical) {
      e.value = m.value
      e.timestamp = timestamp
      e.quality = m.quality
      e.staleSince = undefined
    }
    if (!isProtocolMetric(m.name))
      out.push(update(t, m.name, shown, m.value, timestamp, m.quality, m, 'data'))
  }
}

/**
 * Marks every metric of a model stale with its last value
 * [tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-tags-stale]. The value keeps
 * the timestamp of its last sample; `since` (the death or disconnect time) goes to `staleSince`.
 */
export function markStale(
  model: MetricModel,
  t: Target,
  since: number,
  cause: MetricUpdate['cause'],
  out: MetricUpdate[],
): void {
  for (const e of model.entries.values()) {
    e.quality = 'stale'
    e.staleSince = since
    if (isProtocolMetric(e.name)) continue
    out.push(update(t, e.name, e, e.value, e.timestamp, 'stale', NO_FLAGS, cause, since))
  }
}

/** Metrics of the old model that a new BIRTH no longer declares: reported stale once, then forgotten. */
export function markRemoved(
  old: MetricModel,
  next: MetricModel,
  t: Target,
  since: number,
  out: MetricUpdate[],
): void {
  for (const e of old.entries.values()) {
    if (!next.entries.has(e.name) && !isProtocolMetric(e.name))
      out.push(update(t, e.name, e, e.value, e.timestamp, 'stale', NO_FLAGS, 'removed', since))
  }
}

/** The bdSeq metric of an NBIRTH or NDEATH [tck-id-payloads-nbirth-bdseq, tck-id-payloads-ndeath-bdseq]. */
export function bdSeqOf(d: DecodedPayload): number | bigint | undefined {
  const v = d.metrics.find((m) => m.name === 'bdSeq')?.value
  return typeof v === 'number' || typeof v === 'bigint' ? v : undefined
}
