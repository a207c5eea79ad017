// Wire form of registry records on the uns.schemas topic: UTF-8 JSON, keyed by recordKey().
// Records come from a topic anyone with write access can produce to, so decoding checks the
// shape and returns a reason instead of throwing; the store logs and skips what it cannot use.
import { recordKey, type RegistryRecord } from './store.js'
import { COMPATIBILITY_LEVELS, type Compatibility } from './types.js'

export function toRecordBytes(record: RegistryRecord): Buffer {
  return Buffer.from(JSON.stringify(record), 'utf8')
}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v)
const isPositiveInt = (v: unknown): v is number => Number.isInteger(v) && (v as number) > 0
const isLevel = (v: unknown): v is Compatibility => COMPATIBILITY_LEVELS.includes(v as Compatibility)

function shapeProblem(r: Record<string, unknown>): string | undefined {
  switch (r['type']) {
    case 'schema':
      if (typeof r['subject'] !== 'string' || r['subject'].length === 0)
        return 'schema record without subject'
      if (!isPositiveInt(r['version'])) return 'schema record without a positive integer version'
      if (!isPositiveInt(r['id'])) return 'schema record without a positive integer id'
      if (r['schemaType'] !== 'JSON') return `schemaType ${String(r['schemaType'])} is not supported`
      if (typeof r['schema'] !== 'string') return 'schema record without schema text'
      try {
        JSON.parse(r['schema'])
      } catch {
        return 'schema text is not JSON'
      }
      if (typeof r['registeredAt'] !== 'number') return 'schema record without registeredAt'
      return undefined
    case 'config':
      if (r['subject'] !== null && typeof r['subject'] !== 'string') return 'config record with a bad subject'
      if (r['compatibility'] !== null && !isLevel(r['compatibility']))
        return `unknown compatibility ${String(r['compatibility'])}`
      return undefined
    case 'binding':
      if (typeof r['id'] !== 'string' || r['id'].length === 0) return 'binding record without id'
      if (r['binding'] !== null && !isObject(r['binding'])) return 'binding record with a bad binding'
      return undefined
    default:
      return `unknown record type ${String(r['type'])}`
  }
}

/** Decodes one topic record; a string is the reason it was not usable. */
export function parseRecordBytes(key: string | null, value: Buffer): RegistryRecord | string {
  let parsed: unknown
  try {
    parsed = JSON.parse(value.toString('utf8'))
  } catch {
    return 'value is not JSON'
  }
  if (!isObject(parsed)) return 'value is not a JSON object'
  const problem = shapeProblem(parsed)
  if (problem !== undefined) return problem
  const record = parsed as unknown as RegistryRecord
  // A key that does not match would defeat compaction (two keys for one fact), so it is refused.
  if (key !== recordKey(record)) return `key ${String(key)} does not match ${recordKey(record)}`
  return record
}
