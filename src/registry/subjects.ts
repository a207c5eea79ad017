// The registry's in-memory state, rebuilt only by applying store records (ours and other
// instances'), so every instance that replays the same log ends up with the same subjects and ids.
import type { RegistryRecord, SchemaRecord } from './store.js'
import type { BindingSpec, Compatibility, SchemaVersion } from './types.js'

export interface SchemaById {
  readonly id: number
  readonly schema: string
  readonly parsed: unknown
}

export interface SubjectTable {
  readonly subjects: ReadonlyMap<string, readonly SchemaVersion[]>
  readonly ids: ReadonlyMap<number, SchemaById>
  readonly configs: ReadonlyMap<string, Compatibility>
  readonly bindings: ReadonlyMap<string, BindingSpec>
  /** Global default set through the store; undefined = the configured default. */
  readonly globalCompatibility: Compatibility | undefined
  /** Applies one record; returns false when it was already applied (or conflicts and is ignored). */
  apply(record: RegistryRecord): boolean
  getVersion(subject: string, version: number | 'latest'): SchemaVersion | undefined
  /** The id the canonical text has under any subject. */
  idOf(canonical: string): number | undefined
  nextId(): number
}

export function createSubjectTable(onConflict: (record: SchemaRecord, reason: string) => void): SubjectTable {
  const subjects = new Map<string, SchemaVersion[]>()
  const ids = new Map<number, SchemaById>()
  const idByText = new Map<string, number>()
  const configs = new Map<string, Compatibility>()
  const bindings = new Map<string, BindingSpec>()
  let globalCompatibility: Compatibility | undefined
  let maxId = 0

  const applySchema = (r: SchemaRecord): boolean => {
    const versions = subjects.get(r.subject) ?? []
    const existing = versions.find((v) => v.version === r.version)
    if (existing) {
      // Two instances registered the same version concurrently: the first one replayed wins everywhere.
      if (existing.schema !== r.schema) onConflict(r, `version ${r.version} already holds another schema`)
      return false
    }
    const known = ids.get(r.id)
    if (known && known.schema !== r.schema) {
      onConflict(r, `id ${r.id} already names another schema`)
      return false
    }
    if (!known) {
      ids.set(r.id, { id: r.id, schema: r.schema, parsed: JSON.parse(r.schema) as unknown })
      idByText.set(r.schema, r.id)
    }
    maxId = Math.max(maxId, r.id)
    const { type: _type, ...version } = r
    versions.push(Object.freeze(version))
    versions.sort((a, b) => a.version - b.version)
    subjects.set(r.subject, versions)
    return true
  }

  return {
    subjects,
    ids,
    configs,
    bindings,
    get globalCompatibility() {
      return globalCompatibility
    },
    apply(record) {
      switch (record.type) {
        case 'schema':
          return applySchema(record)
        case 'config':
          if (record.subject === null) globalCompatibility = record.compatibility ?? undefined
          else if (record.compatibility === null) configs.delete(record.subject)
          else configs.set(record.subject, record.compatibility)
          return true
        case 'binding':
          if (record.binding === null) bindings.delete(record.id)
          else bindings.set(record.id, record.binding)
          return true
      }
    },
    getVersion(subject, version) {
      const versions = subjects.get(subject)
      if (versions === undefined) return undefined
      if (version === 'latest') return versions[versions.length - 1]
      // Versions are contiguous from 1 unless a log was trimmed by hand; fall back to a search then.
      const guess = versions[version - 1]
      return guess?.version === version ? guess : versions.find((v) => v.version === version)
    },
    idOf: (canonical) => idByText.get(canonical),
    nextId: () => maxId + 1,
  }
}
