// Structural diff of two JSON Schema documents (old → new). Each change says whether it keeps
// BACKWARD (old data valid under new) and FORWARD (new data valid under old) compatibility; the
// rule table is in compatibility.ts.
import { jsonEqual } from './canonical.js'
import {
  changed,
  diffBounds,
  diffEnum,
  diffOpaque,
  diffSimple,
  diffType,
  narrowed,
  widened,
  type Change,
  type SchemaObj,
} from './diff-keywords.js'

export type { Change } from './diff-keywords.js'

interface Ctx {
  readonly oldRoot: unknown
  readonly newRoot: unknown
  /** `oldRef|newRef` pairs being compared, so recursive schemas terminate. */
  readonly seen: Set<string>
}

export function diffSchemas(oldSchema: unknown, newSchema: unknown): Change[] {
  if (jsonEqual(oldSchema, newSchema)) return []
  return walk(oldSchema, newSchema, '', { oldRoot: oldSchema, newRoot: newSchema, seen: new Set() })
}

const isFalse = (s: unknown): boolean => s === false
const asObj = (s: unknown): SchemaObj => (s === true || s === undefined ? {} : (s as SchemaObj))
const esc = (key: string): string => key.replaceAll('~', '~0').replaceAll('/', '~1')

// Equal subtrees are equal schemas unless they hold a local $ref, which may point at $defs that changed.
const hasRef = (s: unknown): boolean =>
  s !== null && typeof s === 'object' && (Object.hasOwn(s, '$ref') || Object.values(s).some(hasRef))

function walk(o: unknown, n: unknown, path: string, ctx: Ctx): Change[] {
  if (jsonEqual(o, n) && !hasRef(o)) return []
  if (isFalse(o)) return [widened(path, 'schema changed from false (nothing valid) to a real schema')]
  if (isFalse(n)) return [narrowed(path, 'schema changed to false (nothing valid)')]
  const os = asObj(o)
  const ns = asObj(n)
  const oRef = os['$ref']
  const nRef = ns['$ref']
  if (typeof oRef === 'string' || typeof nRef === 'string') {
    const key = `${String(oRef)}|${String(nRef)}`
    if (ctx.seen.has(key)) return []
    ctx.seen.add(key)
    const ro = deref(os, ctx.oldRoot)
    const rn = deref(ns, ctx.newRoot)
    if (ro === undefined || rn === undefined) {
      return oRef === nRef ? [] : [changed(path, `$ref changed from ${String(oRef)} to ${String(nRef)}`)]
    }
    const out = walk(ro, rn, path, ctx)
    ctx.seen.delete(key)
    return out
  }
  const type = diffType(os, ns, path)
  if (type.disjoint && type.change) return [type.change]
  const out: Change[] = type.change ? [type.change] : []
  out.push(...diffEnum(os, ns, path), ...diffBounds(os, ns, path), ...diffSimple(os, ns, path))
  out.push(...diffObject(os, ns, path, ctx), ...diffArray(os, ns, path, ctx), ...diffOpaque(os, ns, path))
  for (const k of ['anyOf', 'oneOf', 'allOf'] as const) out.push(...diffCombinator(k, os, ns, path, ctx))
  return out
}

// Local `$ref` (`#/$defs/x`) is inlined: the referenced schema merged with the sibling keywords.
function deref(s: SchemaObj, root: unknown): unknown {
  const ref = s['$ref']
  if (typeof ref !== 'string') return s
  if (!ref.startsWith('#')) return undefined
  let target: unknown = root
  for (const part of ref.slice(1).split('/').slice(1)) {
    const key = decodeURIComponent(part).replaceAll('~1', '/').replaceAll('~0', '~')
    if (target === null || typeof target !== 'object') return undefined
    target = (target as Record<string, unknown>)[key]
  }
  if (target === undefined) return undefined
  if (typeof target === 'boolean') return target
  const { $ref: _ignored, ...rest } = s
  return { ...(target as SchemaObj), ...rest }
}

function diffObject(o: SchemaObj, n: SchemaObj, path: string, ctx: Ctx): Change[] {
  const out: Change[] = []
  const op = (o['properties'] ?? {}) as SchemaObj
  const np = (n['properties'] ?? {}) as SchemaObj
  const oAdd = o['additionalProperties'] ?? true
  const nAdd = n['additionalProperties'] ?? true
  for (const key of Object.keys(np)) {
    const at = `${path}/properties/${esc(key)}`
    if (Object.hasOwn(op, key)) {
      out.push(...walk(op[key], np[key], at, ctx))
      continue
    }
    // A new name: old data could only have carried it through the old additionalProperties.
    const sub = walk(oAdd, np[key], at, ctx)
    const backward = sub.every((c) => c.backward)
    const forward = sub.every((c) => c.forward)
    if (backward && forward) continue
    const model = isFalse(oAdd) ? 'closed' : 'open'
    out.push({ path: at, change: `property added to ${model} content model`, backward, forward })
  }
  for (const key of Object.keys(op)) {
    if (Object.hasOwn(np, key)) continue
    const at = `${path}/properties/${esc(key)}`
    const sub = walk(op[key], nAdd, at, ctx)
    const backward = sub.every((c) => c.backward)
    const forward = sub.every((c) => c.forward)
    if (backward && forward) continue
    const model = isFalse(nAdd) ? 'closed' : 'open'
    out.push({ path: at, change: `property removed from ${model} content model`, backward, forward })
  }
  const oReq = new Set((o['required'] ?? []) as string[])
  const nReq = new Set((n['required'] ?? []) as string[])
  for (const key of nReq) {
    if (oReq.has(key)) continue
    const at = `${path}/properties/${esc(key)}`
    out.push(narrowed(at, Object.hasOwn(op, key) ? 'property made required' : 'required property added'))
  }
  for (const key of oReq) {
    if (nReq.has(key)) continue
    const at = `${path}/properties/${esc(key)}`
    out.push(widened(at, Object.hasOwn(np, key) ? 'property made optional' : 'required property removed'))
  }
  if (!jsonEqual(oAdd, nAdd)) out.push(...diffAdditional(oAdd, nAdd, `${path}/additionalProperties`, ctx))
  return out
}

function diffAdditional(o: unknown, n: unknown, path: string, ctx: Ctx): Change[] {
  if (isFalse(n)) return [narrowed(path, 'additionalProperties set to false (content model closed)')]
  if (isFalse(o)) return [widened(path, 'additionalProperties no longer false (content model opened)')]
  return walk(o, n, path, ctx)
}

function diffArray(o: SchemaObj, n: SchemaObj, path: string, ctx: Ctx): Change[] {
  const out: Change[] = []
  if (o['items'] !== undefined || n['items'] !== undefined) {
    out.push(...walk(o['items'] ?? true, n['items'] ?? true, `${path}/items`, ctx))
  }
  const oPre = (o['prefixItems'] ?? []) as unknown[]
  const nPre = (n['prefixItems'] ?? []) as unknown[]
  if (oPre.length !== nPre.length) {
    out.push(
      changed(`${path}/prefixItems`, `prefixItems length changed from ${oPre.length} to ${nPre.length}`),
    )
  } else {
    oPre.forEach((s, i) => out.push(...walk(s, nPre[i], `${path}/prefixItems/${i}`, ctx)))
  }
  return out
}

// anyOf: more alternatives widen, fewer narrow. allOf: the reverse. oneOf: only positional edits are
// analysed, because an added alternative can make old data match twice and fail.
function diffCombinator(k: 'anyOf' | 'oneOf' | 'allOf', o: SchemaObj, n: SchemaObj, path: string, ctx: Ctx) {
  const a = o[k] as unknown[] | undefined
  const b = n[k] as unknown[] | undefined
  const at = `${path}/${k}`
  if (jsonEqual(a, b)) return []
  if (a === undefined) return [narrowed(at, `${k} added`)]
  if (b === undefined) return [widened(at, `${k} removed`)]
  if (a.length === b.length) return a.flatMap((s, i) => walk(s, b[i], `${at}/${i}`, ctx))
  const bHasAllA = a.every((x) => b.some((y) => jsonEqual(x, y)))
  const aHasAllB = b.every((y) => a.some((x) => jsonEqual(x, y)))
  if (k === 'oneOf' || (!bHasAllA && !aHasAllB)) return [changed(at, `${k} alternatives changed`)]
  const more = bHasAllA
  if (k === 'anyOf') return [more ? widened(at, 'alternative added') : narrowed(at, 'alternative removed')]
  return [more ? narrowed(at, 'constraint added') : widened(at, 'constraint removed')]
}
