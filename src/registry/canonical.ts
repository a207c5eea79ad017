// Canonical JSON: the same schema written with other key order or whitespace gets the same text, so
// it gets the same global id (Confluent does the same for its JSON Schema provider).

export type Json = null | boolean | number | string | Json[] | { [key: string]: Json }

/** JSON text with object keys sorted and no whitespace. */
export function toCanonicalJson(value: unknown): string {
  return JSON.stringify(sortKeys(value))
}

function sortKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortKeys)
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {}
    for (const key of Object.keys(value).sort()) out[key] = sortKeys((value as Record<string, unknown>)[key])
    return out
  }
  return value
}

/** Structural equality of two JSON values (key order ignored). */
export function jsonEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false
  if (Array.isArray(a) !== Array.isArray(b)) return false
  if (Array.isArray(a) && Array.isArray(b)) {
    return a.length === b.length && a.every((x, i) => jsonEqual(x, b[i]))
  }
  const ka = Object.keys(a)
  const kb = Object.keys(b as object)
  if (ka.length !== kb.length) return false
  return ka.every((k) => Object.hasOwn(b as object, k) && jsonEqual((a as never)[k], (b as never)[k]))
}

/** Parses a schema given as text or as an already parsed value; returns an error message on bad JSON. */
export function parseSchemaText(
  schema: unknown,
): { ok: true; value: unknown } | { ok: false; message: string } {
  if (typeof schema !== 'string') return { ok: true, value: schema }
  try {
    return { ok: true, value: JSON.parse(schema) as unknown }
  } catch (err) {
    return { ok: false, message: `not valid JSON: ${(err as Error).message}` }
  }
}
