// Storage of the registry as an append-only log of records. The service's implementation is the
// compacted Kafka topic `uns.schemas`: each record is written under `recordKey()`,
// so compaction keeps exactly the latest record per key and a restore replays them in order.
import type { BindingSpec, Compatibility, SchemaVersion } from './types.js'

/** A schema version was registered. Immutable: its key is never written twice with other content. */
export interface SchemaRecord extends SchemaVersion {
  readonly type: 'schema'
}

/** The compatibility level of a subject (or the global default when `subject` is null) was set or cleared. */
export interface ConfigRecord {
  readonly type: 'config'
  readonly subject: string | null
  /** null clears a subject's own level, so the global default applies again. */
  readonly compatibility: Compatibility | null
}

/** A binding was set (or removed when `binding` is null). */
export interface BindingRecord {
  readonly type: 'binding'
  readonly id: string
  readonly binding: BindingSpec | null
}

export type RegistryRecord = SchemaRecord | ConfigRecord | BindingRecord

/** Where the registry keeps its records. Every implementation runs test/registry/abstract-registry-store.ts. */
export interface RegistryStore {
  /** Reads every record, oldest first. A compacted log may have dropped superseded records of a key. */
  load(): Promise<RegistryRecord[]>
  /** Appends one record; resolves once it is durable (Kafka: acks=all). */
  append(record: RegistryRecord): Promise<void>
  /**
   * Calls `listener` for each record appended after this call, by this or another handle on the
   * same log (other uns-bridge instances). Returns the unsubscribe function.
   */
  subscribe(listener: (record: RegistryRecord) => void): () => void
  /** Idempotent. */
  close(): Promise<void>
}

/** Compaction key of a record: `schema/<subject>/<version>`, `config/<subject>`, `config` (global), `binding/<id>`. */
export function recordKey(record: RegistryRecord): string {
  switch (record.type) {
    case 'schema':
      return `schema/${record.subject}/${record.version}`
    case 'config':
      return record.subject === null ? 'config' : `config/${record.subject}`
    case 'binding':
      return `binding/${record.id}`
  }
}
