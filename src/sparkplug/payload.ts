// Sparkplug B payload decoder on top of the generated protobuf classes. Datatypes and names come from
// the BIRTH model (`resolver`) because DATA metrics are alias-only and datatype-less
// [tck-id-payloads-alias-data-cmd-requirement, tck-id-payloads-metric-datatype-not-req].
// Bad bytes and bad metrics become reasons in the result; nothing throws out of this file.
import { inflateSync, gunzipSync } from 'node:zlib'
import type { Quality, UnsValue } from '../uns/index.js'
import { decodeDataSet } from './dataset.js'
import { DT, toDatatypeName, type DatatypeName } from './datatypes.js'
import { decodePropertySet, toQuality } from './properties.js'
import { decodeTemplateDefinition, type TemplateDefinition } from './template.js'
import { decodeValue, inferDatatype } from './values.js'
import { Proto, isSet, toNumber, type WireMetric, type WirePayload } from './wire.js'

/** What the BIRTH certificate said about one metric (template members use their `instance/member` path). */
export interface MetricDefinition {
  readonly name: string
  readonly alias: number | undefined
  /** Wire datatype id (see DatatypeName). */
  readonly datatype: number
}

/** Looks metrics of one edge node or device up by alias and by (flattened) name. */
export interface MetricResolver {
  byAlias(alias: number): MetricDefinition | undefined
  byName(name: string): MetricDefinition | undefined
}

export interface SparkplugMetric {
  /** Metric name; members of template instances are flattened to `instance/member`. */
  readonly name: string
  readonly alias: number | undefined
  readonly datatype: DatatypeName
  /** Decoded value; null when is_null. 64-bit integers are numbers up to 2^53, exact bigints beyond. */
  readonly value: UnsValue
  /** Metric timestamp (UTC ms) when the metric carries one. */
  readonly timestamp: number | undefined
  /** From the `Quality` property of this message; good when absent. */
  readonly quality: Quality
  readonly isNull: boolean
  readonly isHistorical: boolean
  readonly isTransient: boolean
  /** PropertySet of this message (engUnit, Quality, ...) when present. */
  readonly properties: Readonly<Record<string, UnsValue>> | undefined
  /** Template instance this metric is a member of. */
  readonly template: { readonly instance: string; readonly ref: string } | undefined
}

/** A template instance seen in a payload (its alias maps DATA back to the instance). */
export interface TemplateInstance {
  readonly name: string
  readonly alias: number | undefined
  readonly ref: string
}

export interface MetricProblem {
  /** Metric name, or `alias <n>` when only the alias is known. */
  readonly metric: string
  readonly reason: string
  /** True when the metric is not in the BIRTH model (a reason to request a rebirth). */
  readonly unknown: boolean
}

export interface DecodedPayload {
  readonly timestamp: number | undefined
  readonly seq: number | undefined
  readonly uuid: string | undefined
  readonly metrics: SparkplugMetric[]
  readonly templates: TemplateDefinition[]
  readonly instances: TemplateInstance[]
  readonly problems: MetricProblem[]
}

export type DecodeResult = { ok: true; payload: DecodedPayload } | { ok: false; reason: string }

interface Ctx {
  readonly resolver: MetricResolver | undefined
  readonly out: DecodedPayload
}

const COMPRESSED_UUID = 'SPBV1.0_COMPRESSED'

/** The envelope of a payload: header fields decoded, metrics still on the wire. */
export interface Envelope {
  readonly timestamp: number | undefined
  /** Presence matters: a missing seq reads as 0 from the prototype (3.x errata #430). */
  readonly seq: number | undefined
  readonly uuid: string | undefined
  readonly wire: WirePayload
}

export type EnvelopeResult = { ok: true; envelope: Envelope } | { ok: false; reason: string }

/** Decodes the protobuf envelope (timestamp, seq); garbage, empty and truncated bytes give a reason. */
export function decodeEnvelope(bytes: Uint8Array): EnvelopeResult {
  const wire = decodeWire(bytes)
  if (!wire.ok) return wire
  const p = wire.payload
  return {
    ok: true,
    envelope: {
      timestamp: isSet(p, 'timestamp') ? toNumber(p.timestamp) : undefined,
      seq: isSet(p, 'seq') ? toNumber(p.seq) : undefined,
      uuid: isSet(p, 'uuid') ? p.uuid : undefined,
      wire: p,
    },
  }
}

/** Decodes the metrics of an envelope; with a resolver, alias-only and datatype-less metrics are resolved. */
export function decodeMetrics(envelope: Envelope, resolver?: MetricResolver): DecodedPayload {
  const out: DecodedPayload = {
    timestamp: envelope.timestamp,
    seq: envelope.seq,
    uuid: envelope.uuid,
    metrics: [],
    templates: [],
    instances: [],
    problems: [],
  }
  const ctx: Ctx = { resolver, out }
  for (const m of envelope.wire.metrics) decodeMetric(ctx, m, undefined, undefined)
  return out
}

/** Decodes a Sparkplug B payload in one step (envelope + metrics). */
export function decodePayload(bytes: Uint8Array, resolver?: MetricResolver): DecodeResult {
  const env = decodeEnvelope(bytes)
  return env.ok ? { ok: true, payload: decodeMetrics(env.envelope, resolver) } : env
}

function decodeWire(bytes: Uint8Array): { ok: true; payload: WirePayload } | { ok: false; reason: string } {
  if (bytes.byteLength === 0) return { ok: false, reason: 'empty payload' }
  try {
    const p = Proto.Payload.decode(bytes)
    if (p.uuid !== COMPRESSED_UUID) return { ok: true, payload: p }
    // Tahu clients may wrap the real payload (requirements §3.11): DEFLATE by default, or GZIP.
    const algorithm = p.metrics.find((m) => m.name === 'algorithm')?.stringValue ?? 'DEFLATE'
    const body = algorithm.toUpperCase() === 'GZIP' ? gunzipSync(p.body) : inflateSync(p.body)
    return { ok: true, payload: Proto.Payload.decode(body) }
  } catch (err) {
    return { ok: false, reason: `not a Sparkplug B protobuf payload (${(err as Error).message})` }
  }
}

function decodeMetric(
  ctx: Ctx,
  m: WireMetric,
  parent: TemplateInstance | undefined,
  parentPath?: string,
): void {
  const { resolver, out } = ctx
  let name: string | undefined
  let alias: number | undefined
  let def: MetricDefinition | undefined
  if (parentPath === undefined) {
    if (isSet(m, 'alias')) {
      alias = toNumber(m.alias ?? 0)
      def = resolver?.byAlias(alias)
    }
    if (def === undefined && isSet(m, 'name')) {
      name = m.name ?? ''
      def = resolver?.byName(name)
    }
  } else {
    name = `${parentPath}/${m.name ?? ''}`
    def = resolver?.byName(name)
  }
  if (def !== undefined) name = def.name
  const label = name ?? `alias ${alias ?? '?'}`
  if (name === undefined || (resolver !== undefined && def === undefined)) {
    out.problems.push({ metric: label, reason: 'not in the birth certificate', unknown: true })
    return
  }
  // BIRTH metrics MUST carry their datatype [tck-id-payloads-metric-datatype-req]; DATA uses the BIRTH one.
  const datatype = def?.datatype ?? (m.datatype || inferDatatype(m))
  if (datatype === DT.Template) return decodeTemplate(ctx, m, name, alias)
  const isNull = m.isNull === true
  const properties = m.properties != null ? decodePropertySet(m.properties) : undefined
  let value: UnsValue = null
  try {
    if (isNull) value = null
    else if (datatype === DT.DataSet) value = decodeDataSet(m.datasetValue ?? {}) as unknown as UnsValue
    else value = decodeValue(m, datatype)
  } catch (err) {
    out.problems.push({ metric: label, reason: (err as Error).message, unknown: false })
    return
  }
  out.metrics.push({
    name,
    alias: alias ?? def?.alias,
    datatype: toDatatypeName(datatype),
    value,
    timestamp: isSet(m, 'timestamp') ? toNumber(m.timestamp ?? 0) : undefined,
    quality: toQuality(properties?.['Quality']),
    isNull,
    isHistorical: m.isHistorical === true,
    isTransient: m.isTransient === true,
    properties,
    template: parent === undefined ? undefined : { instance: parent.name, ref: parent.ref },
  })
}

// Template definitions are model information, not values; instances are flattened into
// `instance/member` metrics (tck-id-payloads-template-*; requirements §3.9).
function decodeTemplate(ctx: Ctx, m: WireMetric, name: string, alias: number | undefined): void {
  const tv = m.templateValue
  if (tv == null) {
    if (m.isNull !== true)
      ctx.out.problems.push({ metric: name, reason: 'Template without a value', unknown: false })
    return
  }
  if (tv.isDefinition === true) {
    try {
      ctx.out.templates.push(decodeTemplateDefinition(name, tv))
    } catch (err) {
      ctx.out.problems.push({ metric: name, reason: (err as Error).message, unknown: false })
    }
    return
  }
  const instance: TemplateInstance = { name, alias, ref: tv.templateRef ?? '' }
  ctx.out.instances.push(instance)
  for (const member of tv.metrics ?? []) decodeMetric(ctx, member, instance, name)
}
