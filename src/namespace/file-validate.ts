import { Ajv2020, type ErrorObject } from 'ajv/dist/2020.js'
import { NamespaceFileInvalid } from '../errors.js'
import { namespaceFileSchema } from './file-schema.js'
import type { DocKey, Problem, YamlSource } from './yaml-source.js'

// Compiled once at module load: the schema is static.
const ajv = new Ajv2020({
  allErrors: true,
  verbose: true,
  strict: true,
  strictRequired: false,
  allowUnionTypes: true,
})
const validateFile = ajv.compile(namespaceFileSchema)

const PATTERN_REASONS: Record<string, string> = {
  '^[A-Za-z][A-Za-z0-9_-]*$': 'must be a name: a letter, then letters, digits, _ or -',
  '^[A-Za-z][A-Za-z0-9_-]*@[1-9][0-9]*$': 'must be a model reference Name@version, like Filler@1',
  '^[^/+#$][^+#]*$': 'must be a UNS path without wildcards (+ #) that does not start with / or $',
  '\\{metric\\}': 'must contain the {metric} placeholder',
}

function toKeys(pointer: string): DocKey[] {
  if (pointer === '') return []
  return pointer
    .slice(1)
    .split('/')
    .map((k) => k.replaceAll('~1', '/').replaceAll('~0', '~'))
    .map((k) => (/^(0|[1-9][0-9]*)$/.test(k) ? Number(k) : k))
}

function shown(data: unknown): string {
  return JSON.stringify(data) ?? String(data)
}

function describe(e: ErrorObject): { keys: DocKey[]; reason: string } {
  const keys = toKeys(e.instancePath)
  const p = e.params as Record<string, unknown>
  switch (e.keyword) {
    case 'required':
      return { keys, reason: `missing required property "${String(p.missingProperty)}"` }
    case 'additionalProperties': {
      const allowed = Object.keys((e.parentSchema as { properties?: object } | undefined)?.properties ?? {})
      const prop = String(p.additionalProperty)
      return { keys: [...keys, prop], reason: `unknown property "${prop}" (allowed: ${allowed.join(', ')})` }
    }
    case 'enum':
      return {
        keys,
        reason: `must be one of ${(p.allowedValues as unknown[]).join(', ')}, got ${shown(e.data)}`,
      }
    case 'type':
      return { keys, reason: `must be ${String(p.type)}, got ${shown(e.data)}` }
    case 'pattern': {
      const reason = PATTERN_REASONS[String(p.pattern)] ?? `must match ${String(p.pattern)}`
      // Inside propertyNames Ajv reports the object; name the offending key instead.
      if (e.propertyName !== undefined) return { keys, reason: `key "${e.propertyName}" ${reason}` }
      return { keys, reason: `${reason}, got ${shown(e.data)}` }
    }
    default:
      return { keys, reason: e.message ?? e.keyword }
  }
}

/** Checks one parsed file against the namespace file schema; every violation becomes a located problem. */
export function checkFileSchema(src: YamlSource): Problem[] {
  if (validateFile(src.data)) return []
  const problems: Problem[] = []
  const seen = new Set<string>()
  for (const e of validateFile.errors ?? []) {
    // `if`/`propertyNames` only repeat what the nested error already says.
    if (e.keyword === 'if' || e.keyword === 'propertyNames') continue
    const { keys, reason } = describe(e)
    const id = `${keys.join('/')}\u0000${reason}`
    if (seen.has(id)) continue
    seen.add(id)
    const line = src.lineOf(keys)
    problems.push({
      kind: NamespaceFileInvalid,
      file: src.file,
      ...(line === undefined ? {} : { line }),
      path: keys,
      reason,
    })
  }
  return problems
}
