// Public face of the schema registry (STYLE.md rule 1).
export { createRegistry } from './registry.js'
export { createMemoryLog, createMemoryStore, type MemoryLog } from './memory-store.js'
export { recordKey } from './store.js'
export {
  createKafkaRegistryStore,
  type KafkaRegistryStoreConfig,
  type KafkaRegistryStoreDeps,
} from './kafka-store.js'
export type { BindingRecord, ConfigRecord, RegistryRecord, RegistryStore, SchemaRecord } from './store.js'
export type {
  Registry,
  RegistryConfig,
  RegistryDeps,
  RegistryLogger,
  RegisterOptions,
} from './registry-types.js'
export { COMPATIBILITY_LEVELS } from './types.js'
export type {
  Binding,
  BindingPolicy,
  BindingSpec,
  BindingTarget,
  CheckInput,
  CheckResult,
  Compatibility,
  CompatibilityReason,
  CompatibilityResult,
  SchemaVersion,
  ValidationError,
  ValidationResult,
  Verdict,
} from './types.js'
export { UNS_ENVELOPE_SUBJECT, unsEnvelopeSchema } from './envelope-schema.js'
export {
  createServiceRegistry,
  type ServiceRegistry,
  type ServiceRegistryConfig,
  type ServiceRegistryHealth,
} from './service-registry.js'
export { modelSubject, type ModelTag } from './models.js'
export { createDeferredRegistry, type DeferredRegistry } from './deferred.js'
