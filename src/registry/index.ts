// Public face of the schema registry (STYLE.md rule 1).
export { createRegistry } from './registry.js'
export { createMemoryStore } from './memory-store.js'
export type { Registry } from './registry-types.js'
export { COMPATIBILITY_LEVELS } from './types.js'
export type { Binding, BindingSpec, CheckResult, Compatibility, SchemaVersion } from './types.js'
export { UNS_ENVELOPE_SUBJECT } from './envelope-schema.js'
export { createServiceRegistry } from './service-registry.js'
export { createDeferredRegistry } from './deferred.js'
