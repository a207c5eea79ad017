// One write path for `POST /api/v1/nodes/{path}/write` and `uns.commands` records: a UNS path backed by a
// Sparkplug metric becomes an NCMD/DCMD to its edge node or device; only tags the namespace declares
// `writable` may be written, only with a value its model allows (type, range, enum: checked before anything
// is sent, PRODUCT.md §7), and every write is logged. Who may write is the caller's question (src/security).
import {
  SpbCommandUnknownMetric,
  WriteNotWritable,
  WriteOutsideModel,
  WritePathUnknown,
  WriteTargetOffline,
  WriteUnavailable,
  WriteValueInvalid,
  type UnsError,
} from '../errors.js'
import { fieldValueProblem, type FieldConstraints } from '../namespace/index.js'
import { parseUnsPayload } from '../uns/index.js'
import type { UnsValue } from '../uns/index.js'
import type { MetricId } from './ingest.js'
import type { SparkplugHost } from './session.js'

export type WriteSource = 'api' | 'kafka'

/** What the namespace says about a path: absent, or present and (not) declared writable. */
export type PathDeclaration =
  | { readonly exists: false }
  | {
      readonly exists: true
      readonly declared: boolean
      readonly writable: boolean
      /** The model field of a declared tag (`Name@version` in `model`), which a written value must fit. */
      readonly field?: FieldConstraints & { readonly model?: string | undefined }
    }

/** What became of one `uns.commands` record. */
export type CommandOutcome =
  /** Not Sparkplug-backed and nothing against it: the caller publishes it on MQTT as it is. */
  | { readonly outcome: 'publish' }
  | { readonly outcome: 'written'; readonly topic: string }
  | { readonly outcome: 'refused'; readonly error: UnsError }

export type WriteResult =
  | {
      readonly ok: true
      /** `sparkplug`: an NCMD/DCMD was sent; `mqtt`: the path is not Sparkplug-backed (plain MQTT write). */
      readonly via: 'sparkplug' | 'mqtt'
      /** The MQTT topic the write went to. */
      readonly topic: string
    }
  | { readonly ok: false; readonly error: UnsError }

export interface WriterDeps {
  readonly host: SparkplugHost
  /** The Sparkplug metric behind a UNS path (from births). */
  readonly resolve: (path: string) => MetricId | undefined
  readonly declaration: (path: string) => PathDeclaration
  /** The Sparkplug node or device a namespace mapping puts at or above `path`, if any. */
  readonly sparkplugOwner: (path: string) => string | undefined
  /** Publishes as the host application; rejects when its session is down. */
  readonly sendCommand: (m: { topic: string; payload: Uint8Array; qos: 0; retain: false }) => Promise<void>
  /** Plain MQTT write for paths no Sparkplug metric backs (the command topic is the path itself). */
  readonly publishPlain: (m: { topic: string; payload: Buffer; qos: 1; retain: false }) => Promise<void>
  readonly hostConnected: () => boolean
  readonly count: (source: WriteSource, result: string) => void
  readonly logger: { info(obj: object, msg: string): void }
  readonly now?: () => number
}

export interface Writer {
  /** Writes `value` to the UNS `path`; resolves with a result, never rejects for bad input. */
  write(path: string, value: UnsValue, source: WriteSource): Promise<WriteResult>
  /** A `uns.commands` record: 'publish' when it is not Sparkplug-backed and may go out as today. */
  fromCommand(path: string, payload: Buffer): Promise<CommandOutcome>
}

export function createWriter(deps: WriterDeps): Writer {
  const { host, logger } = deps
  const now = deps.now ?? Date.now

  function audit(path: string, value: UnsValue, source: WriteSource, r: WriteResult): WriteResult {
    const result = r.ok ? `ok via ${r.via}` : r.error.code
    deps.count(source, r.ok ? 'ok' : r.error.code)
    // Audit trail: every write, its origin and its outcome (values as text: bigint and bytes are not JSON).
    logger.info({ audit: 'write', path, value: show(value), source, result }, 'write')
    return r
  }
  const refuse = (error: UnsError): WriteResult => ({ ok: false, error })

  /** Whether a Sparkplug-backed or declared path may be written: only tags declared writable. */
  function writableProblem(path: string, decl: PathDeclaration): UnsError | undefined {
    if (!decl.exists || !decl.declared)
      return new WriteNotWritable([path, 'the namespace does not declare this tag'], { path })
    if (!decl.writable)
      return new WriteNotWritable([path, 'the namespace declares this tag read-only'], { path })
    return undefined
  }

  /** A value the tag's model does not allow never leaves: 5000 to a setpoint declared `max: 1200`. */
  function modelProblem(path: string, decl: PathDeclaration, value: UnsValue): UnsError | undefined {
    if (!decl.exists || decl.field === undefined) return undefined
    const reason = fieldValueProblem(decl.field, value)
    return reason === undefined
      ? undefined
      : new WriteOutsideModel([path, reason, decl.field.model ?? '?'], { path, reason })
  }

  async function toSparkplug(path: string, id: MetricId, value: UnsValue): Promise<WriteResult> {
    const decl = deps.declaration(path)
    const problem = writableProblem(path, decl) ?? modelProblem(path, decl, value)
    if (problem) return refuse(problem)
    const node = host.nodes().find((n) => n.group === id.group && n.edge === id.edge)
    const device = id.device === undefined ? undefined : node?.devices.find((d) => d.device === id.device)
    const desc = `${id.group}/${id.edge}${id.device === undefined ? '' : `/${id.device}`}`
    if (node?.online !== true || (id.device !== undefined && device?.online !== true))
      return refuse(new WriteTargetOffline([path, desc], { path, target: desc }))
    // Alias-only when aliases are in use, value coerced to the BIRTH datatype, no seq
    // [tck-id-payloads-alias-data-cmd-requirement, tck-id-payloads-ncmd-seq, tck-id-payloads-dcmd-seq].
    const cmd = host.commandFor(id.group, id.edge, id.device, id.metric, value)
    if (!cmd.ok) {
      const e = cmd.error
      return refuse(e.statusCode === 400 ? new WriteValueInvalid([path, e.message], { path }) : e)
    }
    if (!deps.hostConnected()) return refuse(new WriteUnavailable([path], { path }))
    try {
      await deps.sendCommand(cmd)
    } catch (err) {
      return refuse(new WriteUnavailable([path], { path }, { cause: err }))
    }
    return { ok: true, via: 'sparkplug', topic: cmd.topic }
  }

  /** A path under a Sparkplug mapping whose metric no birth has shown: never a plain MQTT write. */
  function unbornProblem(path: string): UnsError | undefined {
    const owner = deps.sparkplugOwner(path)
    return owner === undefined ? undefined : new SpbCommandUnknownMetric([path, owner], { path, owner })
  }

  async function toPlain(path: string, value: UnsValue): Promise<WriteResult> {
    const decl = deps.declaration(path)
    if (!decl.exists) return refuse(new WritePathUnknown([path], { path }))
    const problem = writableProblem(path, decl) ?? unbornProblem(path) ?? modelProblem(path, decl, value)
    if (problem) return refuse(problem)
    const json = JSON.stringify({ value, timestamp: now() }, (_k, v: unknown) =>
      typeof v === 'bigint' ? v.toString() : v,
    )
    try {
      await deps.publishPlain({ topic: path, payload: Buffer.from(json), qos: 1, retain: false })
    } catch (err) {
      return refuse(new WriteUnavailable([path], { path }, { cause: err }))
    }
    return { ok: true, via: 'mqtt', topic: path }
  }

  return {
    async write(path, value, source) {
      const id = deps.resolve(path)
      const r = id === undefined ? await toPlain(path, value) : await toSparkplug(path, id, value)
      return audit(path, value, source, r)
    },
    async fromCommand(path, payload) {
      const id = deps.resolve(path)
      const refused = (value: UnsValue, error: UnsError): CommandOutcome => {
        audit(path, value, 'kafka', refuse(error))
        return { outcome: 'refused', error }
      }
      if (id === undefined) {
        // Not Sparkplug-backed: published as before, unless the namespace declares it read-only, it lies
        // under a Sparkplug mapping (its edge node has not shown that metric in a birth), or its value
        // does not fit the declared tag's model.
        const decl = deps.declaration(path)
        const readOnly = decl.exists && decl.declared && !decl.writable
        const problem = readOnly ? writableProblem(path, decl) : unbornProblem(path)
        if (problem !== undefined) return refused(show(payload), problem)
        if (decl.exists && decl.field !== undefined) {
          const parsed = parseUnsPayload(payload, now())
          const invalid = !parsed.ok
            ? new WriteValueInvalid([path, parsed.error.message], { path })
            : parsed.value.tombstone
              ? undefined
              : modelProblem(path, decl, parsed.value.value)
          if (invalid !== undefined) return refused(parsed.ok ? parsed.value.value : show(payload), invalid)
        }
        return { outcome: 'publish' }
      }
      const parsed = parseUnsPayload(payload, now())
      const r =
        parsed.ok && !parsed.value.tombstone
          ? await toSparkplug(path, id, parsed.value.value)
          : refuse(
              new WriteValueInvalid(
                [path, parsed.ok ? 'an empty record carries no value' : parsed.error.message],
                { path },
              ),
            )
      audit(path, parsed.ok ? parsed.value.value : show(payload), 'kafka', r)
      return r.ok ? { outcome: 'written', topic: r.topic } : { outcome: 'refused', error: r.error }
    },
  }
}

function show(value: UnsValue | Buffer): string {
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`
  return JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'null'
}
