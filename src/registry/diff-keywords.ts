// Leaf keyword rules of the schema diff: type, enum/const, numeric and size bounds, pattern/format,
// multipleOf, uniqueItems, and the constraint-only keywords we compare by equality. The full rule table
// is in compatibility.ts. `b` = BACKWARD-safe (old data stays valid), `f` = FORWARD-safe (new data valid
// under the old schema).
import { jsonEqual } from './canonical.js'

export interface Change {
  /** JSON pointer into the schema. */
  readonly path: string
  readonly change: string
  readonly backward: boolean
  readonly forward: boolean
}

export type SchemaObj = Readonly<Record<string, unknown>>

const narrowed = (path: string, change: string): Change => ({ path, change, backward: false, forward: true })
const widened = (path: string, change: string): Change => ({ path, change, backward: true, forward: false })
const changed = (path: string, change: string): Change => ({ path, change, backward: false, forward: false })

const show = (v: unknown): string => (typeof v === 'string' ? `'${v}'` : JSON.stringify(v))

function typesOf(s: SchemaObj): string[] | undefined {
  const t = s['type']
  if (typeof t === 'string') return [t]
  return Array.isArray(t) ? (t as string[]) : undefined
}

// `integer` is a subset of `number` (JSON Schema 2020-12 core §4.2.1).
const covers = (set: readonly string[], t: string): boolean =>
  set.includes(t) || (t === 'integer' && set.includes('number'))

/** Returns the type change, and whether the two types are disjoint (then nothing else is worth comparing). */
export function diffType(o: SchemaObj, n: SchemaObj, path: string): { change?: Change; disjoint: boolean } {
  const ot = typesOf(o)
  const nt = typesOf(n)
  if (ot === undefined && nt === undefined) return { disjoint: false }
  const name = (t: string[] | undefined): string => (t === undefined ? 'any' : t.join('|'))
  const wider = ot !== undefined && (nt === undefined || ot.every((t) => covers(nt, t)))
  const narrower = nt !== undefined && (ot === undefined || nt.every((t) => covers(ot, t)))
  if (wider && narrower) return { disjoint: false }
  const text = (verb: string): string => `type ${verb} from ${name(ot)} to ${name(nt)}`
  if (wider) return { change: widened(path, text('widened')), disjoint: false }
  if (narrower) return { change: narrowed(path, text('narrowed')), disjoint: false }
  const overlap = (ot ?? []).some((t) => covers(nt ?? [], t) || (t === 'number' && nt?.includes('integer')))
  return { change: changed(path, text('changed')), disjoint: !overlap }
}

/** `enum` and `const` are compared as value sets; each added or removed value is its own change. */
export function diffEnum(o: SchemaObj, n: SchemaObj, path: string): Change[] {
  const values = (s: SchemaObj): unknown[] | undefined =>
    Array.isArray(s['enum']) ? (s['enum'] as unknown[]) : 'const' in s ? [s['const']] : undefined
  const ov = values(o)
  const nv = values(n)
  if (ov === undefined && nv === undefined) return []
  const at = `${path}/${'enum' in o || 'enum' in n ? 'enum' : 'const'}`
  if (ov === undefined) return [narrowed(at, `enum added with values ${show(nv)}`)]
  if (nv === undefined) return [widened(at, `enum removed (was ${show(ov)})`)]
  const out: Change[] = []
  for (const v of ov) if (!nv.some((x) => jsonEqual(x, v))) out.push(narrowed(at, `value ${show(v)} removed`))
  for (const v of nv) if (!ov.some((x) => jsonEqual(x, v))) out.push(widened(at, `value ${show(v)} added`))
  return out
}

const LOWER = ['minimum', 'exclusiveMinimum', 'minLength', 'minItems', 'minProperties', 'minContains']
const UPPER = ['maximum', 'exclusiveMaximum', 'maxLength', 'maxItems', 'maxProperties', 'maxContains']

/** Raising a lower bound or lowering an upper bound narrows; the opposite widens. */
export function diffBounds(o: SchemaObj, n: SchemaObj, path: string): Change[] {
  const out: Change[] = []
  for (const k of [...LOWER, ...UPPER]) {
    const a = o[k] as number | undefined
    const b = n[k] as number | undefined
    if (a === b) continue
    if (a === undefined) out.push(narrowed(path, `${k} ${b} added`))
    else if (b === undefined) out.push(widened(path, `${k} ${a} removed`))
    else {
      const text = `${k} ${b > a ? 'increased' : 'decreased'} from ${a} to ${b}`
      const tighter = LOWER.includes(k) ? b > a : b < a
      out.push(tighter ? narrowed(path, text) : widened(path, text))
    }
  }
  return out
}

/** multipleOf, pattern, format, uniqueItems. */
export function diffSimple(o: SchemaObj, n: SchemaObj, path: string): Change[] {
  const out: Change[] = []
  const om = o['multipleOf'] as number | undefined
  const nm = n['multipleOf'] as number | undefined
  if (om !== nm) {
    if (om === undefined) out.push(narrowed(path, `multipleOf ${nm} added`))
    else if (nm === undefined) out.push(widened(path, `multipleOf ${om} removed`))
    else if (Number.isInteger(om / nm)) out.push(widened(path, `multipleOf changed from ${om} to ${nm}`))
    else if (Number.isInteger(nm / om)) out.push(narrowed(path, `multipleOf changed from ${om} to ${nm}`))
    else out.push(changed(path, `multipleOf changed from ${om} to ${nm}`))
  }
  for (const k of ['pattern', 'format']) {
    const a = o[k]
    const b = n[k]
    if (a === b) continue
    if (a === undefined) out.push(narrowed(path, `${k} ${show(b)} added`))
    else if (b === undefined) out.push(widened(path, `${k} ${show(a)} removed`))
    else out.push(changed(path, `${k} changed from ${show(a)} to ${show(b)}`))
  }
  if ((o['uniqueItems'] === true) !== (n['uniqueItems'] === true)) {
    out.push(
      n['uniqueItems'] === true ? narrowed(path, 'uniqueItems added') : widened(path, 'uniqueItems removed'),
    )
  }
  return out
}

// Keywords that only ever add constraints: adding one narrows, removing one widens, and any other
// edit is not analysed and counts as incompatible both ways (conservative, never a false "compatible").
const CONSTRAINTS = [
  'not',
  'if',
  'then',
  'else',
  'dependentRequired',
  'dependentSchemas',
  'propertyNames',
  'contains',
  'unevaluatedProperties',
  'unevaluatedItems',
  '$dynamicRef',
]

export function diffOpaque(o: SchemaObj, n: SchemaObj, path: string): Change[] {
  const out: Change[] = []
  for (const k of CONSTRAINTS) {
    if (jsonEqual(o[k], n[k])) continue
    if (o[k] === undefined) out.push(narrowed(`${path}/${k}`, `${k} added`))
    else if (n[k] === undefined) out.push(widened(`${path}/${k}`, `${k} removed`))
    else out.push(changed(`${path}/${k}`, `${k} changed (not analysed; treated as incompatible)`))
  }
  // patternProperties also decides which properties count as "additional", so it can widen and narrow at once.
  if (!jsonEqual(o['patternProperties'], n['patternProperties'])) {
    out.push(
      changed(
        `${path}/patternProperties`,
        'patternProperties changed (not analysed; treated as incompatible)',
      ),
    )
  }
  return out
}

export { narrowed, widened, changed }
