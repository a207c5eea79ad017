// Sparkplug B payload decoder on top of the generated protobuf classes. Datatypes and names come from
// the BIRTH model (`resolver`) because DATA metrics are alias-only and datatype-less
// [tck-id-payloads-alias-data-cmd-requirement, tck-id-payloads-metric-datatype-not-req].
// Bad bytes and bad metrics become reasons in the result; nothing throws out of this file.
// Before protobufjs runs, `scanPayload` checks nesting depth and metric count without recursion
// (issue 11, decision 0020): both protobufjs and the decoders below recurse once per nesting level.
import { inflateSync, gunzipSync } from 'node:zlib'
import { SpbPayloadInvalid, SpbPayloadLimit, type UnsErrorClass } from '../errors.js'
import type { Quality, UnsValue } from '../uns/index.js'
import { decodeDataSet } from './dataset.js'
import { DT, toDatatypeName, type DatatypeName } from './datatypes.js'
import { decodePropertySet, toQuality } from './properties.js'
import { decodeTemplateDefinition, type TemplateDefinition } from './template.js'
import { decodeValue, inferDatatype } from './values.js'
import { Proto, isSet, toNumber, type WireMetric, type WirePayload } from './wire.js'
import { scanPayload } from './wire-scan.js'

/** Limits on what one payload may make the decoder do (config `sparkplug.*`, see config/schema.ts). */
export interface DecodeLimits {
  /** Deepest nesting of Templates, PropertySets (lists included) and DataSets; a Template instance is 1. */
  readonly maxNestingDepth: number
  /** Most metrics in a BIRTH or DEATH, Template members included (DATA is bounded by its size only). */
  readonly maxMetricsPerBirth: number
  /** Largest inflated body of a compressed (`SPBV1.0_COMPRESSED`) payload, bytes. */
  readonly maxInflatedBytes: number
}

/** The defaults of `sparkplug.maxNestingDepth` etc. in config/schema.ts (a test keeps them equal). */
export const DEFAULT_DECODE_LIMITS: DecodeLimits = {
  maxNestingDepth: 16,
  maxMetricsPerBirth: 10_000,
  maxInflatedBytes: 16_777_216,
}

/** A payload that could not be decoded; `error` is the catalogued problem to report (topic, reason). */
export interface DecodeFailure {
  readonly ok: false
  readonly reason: string
  /** UNS_ERR_SPB_PAYLOAD_INVALID for bad bytes, UNS_ERR_SPB_PAYLOAD_LIMIT for a payload over a limit. */
  readonly error: UnsErrorClass
}

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

export type DecodeResult = { ok: true; payload: DecodedPayload } | DecodeFailure

interface Ctx {
  readonly resolver: MetricResolver | undefined
  readonly out: DecodedPayload
  /** Problems beyond MAX_PROBLEMS, summed up in one. */
  omitted: number
  omittedUnknown: boolean
}

// A DATA of 1 MB can carry 500,000 unknown aliases: listing each as an error object would cost more
// than the message is worth. The first ones are listed, the rest summed up in one problem.
const MAX_PROBLEMS = 100

const COMPRESSED_UUID = 'SPBV1.0_COMPRESSED'

/** The envelope of a payload: header fields decoded, metrics still on the wire. */
export interface Envelope {
  readonly timestamp: number | undefined
  /** Presence matters: a missing seq reads as 0 from the prototype (3.x errata #430). */
  readonly seq: number | undefined
  readonly uuid: string | undefined
  readonly wire: WirePayload
}

export type EnvelopeResult = { ok: true; envelope: Envelope } | DecodeFailure

/**
 * Decodes the protobuf envelope (timestamp, seq); garbage, empty and truncated bytes give a reason, and
 * so does a payload over `limits` (missing ones: DEFAULT_DECODE_LIMITS). `messageType` (NBIRTH, NDATA,
 * ...) decides whether the metric count applies: not to DATA.
 */
export function decodeEnvelope(
  bytes: Uint8Array,
  limits: Partial<DecodeLimits> = {},
  messageType?: string,
): EnvelopeResult {
  const wire = decodeWire(bytes, { ...DEFAULT_DECODE_LIMITS, ...definedOnly(limits) }, messageType)
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
  const ctx: Ctx = { resolver, out, omitted: 0, omittedUnknown: false }
  for (const m of envelope.wire.metrics) decodeMetric(ctx, m, undefined, undefined)
  if (ctx.omitted > 0) {
    const reason = `${ctx.omitted} more metric problems not listed`
    out.problems.push({ metric: `(${ctx.omitted} more)`, reason, unknown: ctx.omittedUnknown })
  }
  return out
}

/** Decodes a Sparkplug B payload in one step (envelope + metrics). */
export function decodePayload(
  bytes: Uint8Array,
  resolver?: MetricResolver,
  limits?: Partial<DecodeLimits>,
): DecodeResult {
  const env = decodeEnvelope(bytes, limits)
  return env.ok ? { ok: true, payload: decodeMetrics(env.envelope, resolver) } : env
}

const invalid = (reason: string): DecodeFailure => ({ ok: false, reason, error: SpbPayloadInvalid })
const refused = (reason: string): DecodeFailure => ({ ok: false, reason, error: SpbPayloadLimit })

function definedOnly(limits: Partial<DecodeLimits>): Partial<DecodeLimits> {
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined))
}

function decodeWire(
  bytes: Uint8Array,
  limits: DecodeLimits,
  messageType: string | undefined,
): { ok: true; payload: WirePayload } | DecodeFailure {
  if (bytes.byteLength === 0) return invalid('empty payload')
  const counted = messageType === undefined || !messageType.endsWith('DATA')
  const scanLimits = {
    maxNestingDepth: limits.maxNestingDepth,
    maxMetrics: counted ? limits.maxMetricsPerBirth : Infinity,
  }
  const checked = (b: Uint8Array): DecodeFailure | undefined => {
    const scan = scanPayload(b, scanLimits)
    if (scan.ok) return undefined
    if (scan.limit === 'depth') return refused(`${scan.reason} (sparkplug.maxNestingDepth)`)
    if (scan.limit === 'metrics') return refused(`${scan.reason} (sparkplug.maxMetricsPerBirth)`)
    return invalid(`not a Sparkplug B protobuf payload (${scan.reason})`)
  }
  const bad = checked(bytes)
  if (bad !== undefined) return bad
  let p: WirePayload
  try {
    p = Proto.Payload.decode(bytes)
  } catch (err) {
    return invalid(`not a Sparkplug B protobuf payload (${(err as Error).message})`)
  }
  if (p.uuid !== COMPRESSED_UUID) return { ok: true, payload: p }
  // Tahu clients may wrap the real payload (requirements §3.11): DEFLATE by default, or GZIP. The
  // inflated size is capped: 1 MB of DEFLATE can expand to 1 GB.
  const algorithm = p.metrics.find((m) => m.name === 'algorithm')?.stringValue ?? 'DEFLATE'
  const opts = { maxOutputLength: limits.maxInflatedBytes }
  let body: Buffer
  try {
    body = algorithm.toUpperCase() === 'GZIP' ? gunzipSync(p.body, opts) : inflateSync(p.body, opts)
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE')
      return refused(
        `compressed body inflates beyond ${limits.maxInflatedBytes} bytes (sparkplug.maxInflatedBytes)`,
      )
    return invalid(`compressed Sparkplug B payload does not inflate (${(err as Error).message})`)
  }
  const badBody = checked(body)
  if (badBody !== undefined) return badBody
  try {
    return { ok: true, payload: Proto.Payload.decode(body) }
  } catch (err) {
    return invalid(`not a Sparkplug B protobuf payload (${(err as Error).message})`)
  }
}

function problem(ctx: Ctx, p: MetricProblem): void {
  if (ctx.out.problems.length < MAX_PROBLEMS) {
    ctx.out.problems.push(p)
    return
  }
  ctx.omitted++
  if (p.unknown) ctx.omittedUnknown = true
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
    problem(ctx, { metric: label, reason: 'not in the birth certificate', unknown: true })
    return
  }
  // BIRTH metrics MUST carry their datatype [tck-id-payloads-metric-datatype-req]; DATA uses the BIRTH one.
  const datatype = def?.datatype ?? (m.datatype || inferDatatype(m))
  if (datatype === DT.Template) return decodeTemplate(ctx, m, name, alias)
  const isNull = m.isNull === true
  let properties: Record<string, UnsValue> | undefined
  let value: UnsValue = null
  try {
    // A malformed property (a value its type cannot carry) makes the metric a problem, like its value.
    properties = m.properties != null ? decodePropertySet(m.properties) : undefined
    if (isNull) value = null
    else if (datatype === DT.DataSet) value = decodeDataSet(m.datasetValue ?? {}) as unknown as UnsValue
    else value = decodeValue(m, datatype)
  } catch (err) {
    problem(ctx, { metric: label, reason: (err as Error).message, unknown: false })
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
    if (m.isNull !== true) problem(ctx, { metric: name, reason: 'Template without a value', unknown: false })
    return
  }
  if (tv.isDefinition === true) {
    try {
      ctx.out.templates.push(decodeTemplateDefinition(name, tv))
    } catch (err) {
      problem(ctx, { metric: name, reason: (err as Error).message, unknown: false })
    }
    return
  }
  const instance: TemplateInstance = { name, alias, ref: tv.templateRef ?? '' }
  ctx.out.instances.push(instance)
  for (const member of tv.metrics ?? []) decodeMetric(ctx, member, instance, name)
}
