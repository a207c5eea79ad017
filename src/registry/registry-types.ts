// The public surface of createRegistry. Methods that write return Promises (they go through the
// store); reads are synchronous and throw coded UnsErrors for unknown subjects/versions; the
// per-message methods (`validate`, `check`, `resolveBinding`) never throw.
import type { NamespaceDefinition } from '../namespace/index.js'
import type { RegistryStore } from './store.js'
import type {
  Binding,
  BindingPolicy,
  BindingSpec,
  CheckInput,
  CheckResult,
  Compatibility,
  CompatibilityResult,
  SchemaVersion,
  ValidationResult,
} from './types.js'

/** The subset of a pino logger the registry uses. */
export interface RegistryLogger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
  debug(obj: object, msg: string): void
}

export interface RegistryDeps {
  readonly store: RegistryStore
  /** Scoped with `child({ stage: 'registry' })`; silent when absent. */
  readonly logger?: RegistryLogger & { child(bindings: Record<string, unknown>): RegistryLogger }
  /** Epoch-milliseconds clock for `registeredAt`; default Date.now. */
  readonly clock?: () => number
}

export interface RegistryConfig {
  /** Compatibility of subjects without their own level, until a global level is set through the API. Default BACKWARD. */
  readonly defaultCompatibility?: Compatibility
  /** Register the built-in schemas (subject `uns.envelope`) at start. Default true. */
  readonly builtins?: boolean
  /** Collect every validation error instead of the first (slower on invalid input). Default false. */
  readonly allErrors?: boolean
  /** Number of path → binding resolutions kept in memory. Default 10000. */
  readonly resolveCacheSize?: number
  /**
   * Namespace models: every model version is registered as subject `model.<Name>` at start, and each
   * declared tag is validated against its field's schema under `policy` unless a binding matches.
   */
  readonly models?: { readonly definition: NamespaceDefinition; readonly policy: BindingPolicy }
}

export interface RegisterOptions {
  /** Only `JSON` is supported (Confluent `schemaType`). Default JSON. */
  readonly schemaType?: string
  /** Confluent schema references; must be empty. */
  readonly references?: readonly unknown[]
}

export interface Registry {
  /** Registers `schema` (JSON text or a parsed object) as the next version; returns the existing version when identical. */
  register(subject: string, schema: unknown, options?: RegisterOptions): Promise<SchemaVersion>
  /** The version of `subject` holding exactly this schema, if any (Confluent `POST /subjects/{s}`). */
  lookup(subject: string, schema: unknown, options?: RegisterOptions): SchemaVersion | undefined
  /** Whether `schema` could be registered: against one version, or `all` versions the level requires. */
  testCompatibility(
    subject: string,
    schema: unknown,
    version?: number | string | 'all',
    options?: RegisterOptions,
  ): CompatibilityResult
  listSubjects(): string[]
  listVersions(subject: string): number[]
  /** `version`: a number, its decimal text, `latest` or -1. */
  getVersion(subject: string, version: number | string): SchemaVersion
  getSchemaById(id: number): { id: number; schemaType: 'JSON'; schema: string }
  subjectsOfId(id: number): { subject: string; version: number }[]
  /** Effective level of a subject, or the global level when `subject` is undefined. */
  getCompatibility(subject?: string): Compatibility
  /** The subject's own level, undefined when it follows the global one. */
  getOwnCompatibility(subject: string): Compatibility | undefined
  /** Sets a subject's level (`subject` null: the global one); `level` null clears it. Returns the effective level. */
  setCompatibility(subject: string | null, level: Compatibility | null): Promise<Compatibility>
  /** Hot path: validates `value` against a version; unknown subject/version is an error result, not a throw. */
  validate(subject: string, version: number | 'latest', value: unknown): ValidationResult
  bind(spec: BindingSpec): Promise<Binding>
  unbind(id: string): Promise<boolean>
  listBindings(): Binding[]
  /** The binding that applies to a UNS path or MQTT topic (and model), most specific first; see bindings.ts. */
  resolveBinding(path: string, model?: string): Binding | undefined
  /**
   * Hot path: finds the binding (or, for a declared tag without one, its model field's schema under the
   * model policy), validates, and turns the policy into a verdict naming the subject and version.
   */
  check(input: CheckInput): CheckResult
  stats(): { subjects: number; schemas: number; compiledValidators: number; bindings: number }
  /** Idempotent; waits for writes in flight. The store is the caller's to close. */
  close(): Promise<void>
}
