// Whether a value fits what the model declares for a tag (type, `range`, `enum`): the check a write
// passes before it goes out as NCMD/DCMD or an MQTT publish (issue 12 item 7, PRODUCT.md §7). The rules
// are those of the model's JSON Schema (model-schema.ts), so a value written is one the registry accepts.
import type { UnsValue } from '../uns/index.js'
import type { FieldDef } from './definition.js'

/** What the check reads of a field (a tag's `NodeDefinitionView` has the same shape). */
export type FieldConstraints = Pick<FieldDef, 'type' | 'range' | 'enum'>

const DECIMAL = /^-?[0-9]+$/

/** Why `value` does not fit the field, or undefined when it does. */
export function fieldValueProblem(field: FieldConstraints, value: UnsValue): string | undefined {
  const typeProblem = checkType(field, value)
  if (typeProblem !== undefined) return typeProblem
  if (field.enum !== undefined && !field.enum.some((allowed) => sameScalar(allowed, value))) {
    return `${show(value)} is not one of the model's values ${JSON.stringify(field.enum)}`
  }
  const { min, max } = field.range ?? {}
  if ((field.type === 'number' || field.type === 'integer') && (min !== undefined || max !== undefined)) {
    const n = value as number | bigint | string
    if (min !== undefined && compare(n, min) < 0) return `${show(value)} is below the model's minimum ${min}`
    if (max !== undefined && compare(n, max) > 0) return `${show(value)} is above the model's maximum ${max}`
  }
  return undefined
}

function checkType(field: FieldConstraints, value: UnsValue): string | undefined {
  const ok = (() => {
    switch (field.type) {
      case 'number':
        return typeof value === 'number' && Number.isFinite(value)
      case 'integer':
        // [PRODUCT.md §3] 64-bit integers beyond 2^53 travel as decimal strings (bigint once parsed).
        return (
          (typeof value === 'number' && Number.isInteger(value)) ||
          typeof value === 'bigint' ||
          (typeof value === 'string' && DECIMAL.test(value))
        )
      case 'boolean':
        return typeof value === 'boolean'
      case 'string':
        return typeof value === 'string'
      case 'datetime':
        return typeof value === 'number' && Number.isInteger(value) && value >= 0
      case 'bytes':
        return value instanceof Uint8Array || typeof value === 'string'
      case 'json':
      case undefined:
        return true
    }
  })()
  return ok ? undefined : `${show(value)} is not a${field.type === 'integer' ? 'n' : ''} ${field.type}`
}

/** -1, 0, 1; exact for integers beyond 2^53 (a bound of 2^53 must not let 2^53 + 1 through). */
function compare(value: number | bigint | string, bound: number): number {
  if (typeof value === 'number') return Math.sign(value - bound)
  if (!Number.isInteger(bound)) return Math.sign(Number(value) - bound)
  const v = BigInt(value)
  const b = BigInt(bound)
  return v < b ? -1 : v > b ? 1 : 0
}

function sameScalar(allowed: string | number | boolean, value: UnsValue): boolean {
  if (typeof value === 'bigint')
    return typeof allowed === 'number' && Number.isInteger(allowed) && BigInt(allowed) === value
  return allowed === value
}

function show(value: UnsValue): string {
  if (value instanceof Uint8Array) return `<${value.byteLength} bytes>`
  const text = JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v)) ?? 'null'
  return text.length > 80 ? `${text.slice(0, 80)}…` : text
}
