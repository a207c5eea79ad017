// The per-message path: subject lookup, cached validator, policy → verdict. Nothing here throws, and a
// valid value under a binding costs one cached resolution, one Map lookup and the compiled validator.
import type { BindingTable } from './bindings.js'
import type { ModelTag } from './models.js'
import { toJsonValue } from '../uns/index.js'
import type { UnsValue } from '../uns/index.js'
import { toEnvelope } from './json-value.js'
import type { SubjectTable } from './subjects.js'
import type { Binding, BindingPolicy, CheckInput, CheckResult, ValidationResult } from './types.js'
import type { ValidatorCache } from './validator.js'

const ACCEPT_UNBOUND: CheckResult = Object.freeze({ verdict: 'accept', errors: Object.freeze([]) })

/** Declared tags and the policy for their model fields; filled in once the models are registered. */
export interface ModelChecks {
  tags: ReadonlyMap<string, ModelTag>
  policy: BindingPolicy
}

export function createChecker(parts: {
  table: SubjectTable
  bindings: BindingTable
  validators: ValidatorCache
  models: ModelChecks
}): {
  validate(subject: string, version: number | 'latest', value: unknown): ValidationResult
  check(input: CheckInput): CheckResult
} {
  const { table, bindings, validators, models } = parts
  // One frozen accept result per binding and version, so valid traffic allocates no result objects.
  const accepted = new WeakMap<Binding, CheckResult>()
  const acceptedTags = new WeakMap<ModelTag, CheckResult>()

  // A declared tag without a matching binding: its model field's schema, under the model policy.
  const checkTag = (tag: ModelTag, input: CheckInput): CheckResult => {
    const { subject, version } = tag
    const policy = models.policy
    if (policy === 'off') return ACCEPT_UNBOUND
    const result = validators.runField(tag.id, tag.field, toJsonValue(input.value as UnsValue))
    if (result.ok) {
      let cached = acceptedTags.get(tag)
      if (cached === undefined) {
        cached = Object.freeze({ verdict: 'accept', subject, version, policy, errors: Object.freeze([]) })
        acceptedTags.set(tag, cached)
      }
      return cached
    }
    return {
      verdict: policy === 'reject' ? 'reject' : 'warn',
      subject,
      version,
      policy,
      errors: result.errors,
    }
  }

  const validate = (subject: string, version: number | 'latest', value: unknown): ValidationResult => {
    const v = table.getVersion(subject, version)
    if (v === undefined) {
      const known = table.subjects.has(subject)
      return {
        ok: false,
        code: known ? 'UNS_ERR_REGISTRY_VERSION_NOT_FOUND' : 'UNS_ERR_REGISTRY_SUBJECT_NOT_FOUND',
        errors: [
          {
            instancePath: '',
            message: known
              ? `subject ${subject} has no version ${version}`
              : `subject ${subject} is not registered`,
          },
        ],
      }
    }
    return validators.run(v.id, value)
  }

  const check = (input: CheckInput): CheckResult => {
    const tag = models.tags.get(input.path)
    // Explicit bindings win over the model field; a model binding matches the tag's model too.
    const binding = bindings.resolve(input.path, input.model ?? tag?.model)
    if (binding === undefined) return tag === undefined ? ACCEPT_UNBOUND : checkTag(tag, input)
    const { subject, policy } = binding
    if (policy === 'off') return { verdict: 'accept', subject, policy, errors: [] }
    const v = table.getVersion(subject, binding.version)
    const value =
      binding.target === 'envelope' ? toEnvelope(input) : toJsonValue(input.value as UnsValue, input.datatype)
    const result = v === undefined ? validate(subject, binding.version, value) : validators.run(v.id, value)
    if (result.ok && v !== undefined) {
      const cached = accepted.get(binding)
      if (cached?.version === v.version) return cached
      const fresh: CheckResult = Object.freeze({
        verdict: 'accept',
        subject,
        version: v.version,
        policy,
        errors: [],
      })
      accepted.set(binding, fresh)
      return fresh
    }
    const errors = result.ok ? [] : result.errors
    const verdict = policy === 'reject' ? 'reject' : 'warn'
    return v === undefined
      ? { verdict, subject, policy, errors }
      : { verdict, subject, version: v.version, policy, errors }
  }

  return { validate, check }
}
