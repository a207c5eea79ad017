// In-memory RegistryStore for tests and single-instance demos. Several stores opened on one
// MemoryLog behave like several uns-bridge instances on one Kafka topic.
import type { RegistryRecord, RegistryStore } from './store.js'
import { RegistryClosed } from '../errors.js'

/** The shared log behind one or more memory stores. */
export interface MemoryLog {
  readonly records: RegistryRecord[]
  readonly listeners: Set<(record: RegistryRecord) => void>
}

export function createMemoryLog(): MemoryLog {
  return { records: [], listeners: new Set() }
}

/** Opens a store on `deps.log`, or on a fresh private log when none is given. */
export function createMemoryStore(deps: { log?: MemoryLog } = {}): RegistryStore {
  const log = deps.log ?? createMemoryLog()
  const mine = new Set<(record: RegistryRecord) => void>()
  let closed = false

  return {
    async load() {
      // Copies, so a caller cannot change the log by mutating what it got (as with bytes from Kafka).
      return log.records.map((r) => structuredClone(r))
    },
    async append(record) {
      if (closed) throw new RegistryClosed(['append'])
      const copy = structuredClone(record)
      log.records.push(copy)
      for (const listener of log.listeners) listener(structuredClone(copy))
    },
    subscribe(listener) {
      log.listeners.add(listener)
      mine.add(listener)
      return () => {
        log.listeners.delete(listener)
        mine.delete(listener)
      }
    },
    async close() {
      closed = true
      for (const listener of mine) log.listeners.delete(listener)
      mine.clear()
    },
  }
}
