// Public types of the schema registry (issue 5). Kept apart from the code so that index.ts can
// re-export them without pulling in Ajv.

/** Compatibility levels, Confluent Schema Registry names and meanings. */
export type Compatibility =
  'BACKWARD' | 'BACKWARD_TRANSITIVE' | 'FORWARD' | 'FORWARD_TRANSITIVE' | 'FULL' | 'FULL_TRANSITIVE' | 'NONE'

export const COMPATIBILITY_LEVELS: readonly Compatibility[] = [
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
  'NONE',
]

/** One immutable version of a subject. */
export interface SchemaVersion {
  readonly subject: string
  /** 1, 2, 3 ... per subject, never reused. */
  readonly version: number
  /** Global id; the same canonical schema text has the same id under every subject. */
  readonly id: number
  readonly schemaType: 'JSON'
  /** Canonical JSON text of the schema (keys sorted, no whitespace). */
  readonly schema: string
  /** Epoch milliseconds when this version was first registered. */
  readonly registeredAt: number
}

/** Why one change between two schema versions breaks a compatibility direction. */
export interface CompatibilityReason {
  /** JSON pointer into the schema, e.g. `/properties/speed`; empty for the root. */
  readonly path: string
  /** What changed from the older to the newer schema, e.g. `required property added`. */
  readonly change: string
  /** The version the candidate was compared with. */
  readonly version: number
  /** `path: change (against version n)`, ready for an API response or a log line. */
  readonly message: string
}

export interface CompatibilityResult {
  readonly compatible: boolean
  readonly level: Compatibility
  readonly reasons: readonly CompatibilityReason[]
}

export interface ValidationError {
  /** JSON pointer into the validated value; empty for the root. */
  readonly instancePath: string
  readonly message: string
}

/** Result of a validation: never thrown, so it can sit on the per-message path. */
export type ValidationResult =
  | { readonly ok: true }
  | {
      readonly ok: false
      readonly errors: readonly ValidationError[]
      /** Set when the subject or version itself was not found (no schema was run). */
      readonly code?: 'UNS_ERR_REGISTRY_SUBJECT_NOT_FOUND' | 'UNS_ERR_REGISTRY_VERSION_NOT_FOUND'
    }

/** What a binding does with a value its schema rejects. */
export type BindingPolicy = 'reject' | 'warn' | 'off'

/** Which form of the event is validated: the bare value, or the UNS envelope (value/timestamp/quality/datatype). */
export type BindingTarget = 'value' | 'envelope'

/** A binding as given to `bind()`: exactly one of `topicFilter`, `pathPrefix` or `model`. */
export interface BindingSpec {
  /** Stable id; defaults to the match, e.g. `topic:acme/+/temp`, `path:acme/berlin`, `model:Filler`. */
  readonly id?: string
  readonly subject: string
  /** Pinned version or `latest` (default). */
  readonly version?: number | 'latest'
  readonly policy: BindingPolicy
  /** Default `value`. */
  readonly target?: BindingTarget
  /** MQTT topic filter with `+` and `#` wildcards [MQTT-4.7.1-2] [MQTT-4.7.1-3]. */
  readonly topicFilter?: string
  /** Namespace subtree: the path itself and everything below it. */
  readonly pathPrefix?: string
  /** Namespace model name (e.g. `Filler` or `Filler@2`). */
  readonly model?: string
}

export interface Binding extends BindingSpec {
  readonly id: string
  readonly version: number | 'latest'
  readonly target: BindingTarget
}

/** Anything event-like that `check()` can validate; `UnsEvent` fits. */
export interface CheckInput {
  /** UNS path or MQTT topic the value arrived on. */
  readonly path: string
  readonly value: unknown
  readonly timestamp?: number
  readonly quality?: string
  readonly datatype?: string
  /** Namespace model of the node, when known. */
  readonly model?: string
}

export type Verdict = 'accept' | 'warn' | 'reject'

export interface CheckResult {
  readonly verdict: Verdict
  /** Unset when no binding applies. */
  readonly subject?: string
  readonly version?: number
  readonly policy?: BindingPolicy
  readonly errors: readonly ValidationError[]
}
