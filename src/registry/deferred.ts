// A registry whose persistent store (the compacted uns.schemas topic) may not be reachable when the
// service starts: until it is, reads and checks are served by an interim registry (built-in and model
// subjects), and writes are refused with a retriable 503, because a schema registered there would be
// lost when the persistent registry takes over.
// Every method forwards explicitly (no Proxy): `check` runs per message and costs one extra call here.
import { RegistryStoreUnavailable } from '../errors.js'
import type { Registry } from './registry-types.js'

export interface DeferredRegistry {
  /** Stable reference: always forwards to the registry in charge. */
  readonly registry: Registry
  /** True once the persistent registry took over. */
  readonly persistent: boolean
  /** Hands over to the persistent registry and closes the interim one. */
  settle(persistent: Registry): Promise<void>
}

export function createDeferredRegistry(interim: Registry, topic: string): DeferredRegistry {
  let current = interim
  let persistent = false
  const writable = (): Promise<void> =>
    persistent
      ? Promise.resolve()
      : Promise.reject(
          new RegistryStoreUnavailable([topic, 'the registry is still being restored from Kafka'], { topic }),
        )

  const registry: Registry = {
    register: (subject, schema, options) => writable().then(() => current.register(subject, schema, options)),
    setCompatibility: (subject, level) => writable().then(() => current.setCompatibility(subject, level)),
    bind: (spec) => writable().then(() => current.bind(spec)),
    unbind: (id) => writable().then(() => current.unbind(id)),
    lookup: (subject, schema, options) => current.lookup(subject, schema, options),
    testCompatibility: (subject, schema, version, options) =>
      current.testCompatibility(subject, schema, version, options),
    listSubjects: () => current.listSubjects(),
    listVersions: (subject) => current.listVersions(subject),
    getVersion: (subject, version) => current.getVersion(subject, version),
    getSchemaById: (id) => current.getSchemaById(id),
    subjectsOfId: (id) => current.subjectsOfId(id),
    getCompatibility: (subject) => current.getCompatibility(subject),
    getOwnCompatibility: (subject) => current.getOwnCompatibility(subject),
    validate: (subject, version, value) => current.validate(subject, version, value),
    listBindings: () => current.listBindings(),
    resolveBinding: (path, model) => current.resolveBinding(path, model),
    check: (input) => current.check(input),
    stats: () => current.stats(),
    close: () => current.close(),
  }
  return {
    registry,
    get persistent() {
      return persistent
    },
    async settle(next) {
      const previous = current
      current = next
      persistent = true
      await previous.close()
    },
  }
}
