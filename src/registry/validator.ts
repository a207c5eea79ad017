// One Ajv2020 instance per registry; each schema id is compiled once and its validator cached, so the
// per-message path is a Map lookup plus the generated function (issue 5: "never per message").
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'
import addFormatsModule from 'ajv-formats'
import type { ValidationError, ValidationResult } from './types.js'
import { linearRegExp } from './linear-regexp.js'

// ajv-formats is CommonJS; under NodeNext its default import is the module object on some toolchains.
const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as (
  ajv: Ajv2020,
) => Ajv2020

export interface ValidatorCacheOptions {
  /** Report every error instead of stopping at the first (slower). Default false. */
  readonly allErrors?: boolean
}

export interface ValidatorCache {
  /** Checks a schema document against the 2020-12 meta-schema and compiles it; returns the problem or undefined. */
  check(schema: unknown): string | undefined
  /** Validates `value` with the schema of `id`, compiling it on first use only. */
  run(id: number, value: unknown): ValidationResult
  /**
   * Validates `value` against one property of an object schema (`<schema of id>#/properties/<field>`,
   * a namespace model's field); compiled on first use per (id, field), like `run`.
   */
  runField(id: number, field: string, value: unknown): ValidationResult
  /** How many schemas were compiled since creation (tests assert caching with it). */
  readonly compiledCount: number
}

// A shared frozen success object: the hot path allocates nothing for a valid value.
export const OK: ValidationResult = Object.freeze({ ok: true })

/** `schemaOf` returns the parsed schema of a global id (compiled lazily, so a restore with many versions starts fast). */
export function createValidatorCache(
  schemaOf: (id: number) => unknown,
  options: ValidatorCacheOptions = {},
): ValidatorCache {
  const ajv = new Ajv2020({
    allErrors: options.allErrors ?? false,
    // Schemas may carry annotations Ajv does not know (unit, class, writable from namespace models).
    strict: false,
    // Versions of one subject often share a `$id`; do not register them by id, or the second compile throws.
    addUsedSchema: false,
    // `pattern` and `patternProperties` in linear time: schemas come from API clients (issue 12, ReDoS).
    code: { regExp: linearRegExp },
  })
  addFormats(ajv)
  const validators = new Map<number, ValidateFunction>()
  const fieldValidators = new Map<string, ValidateFunction | string>()
  let compiledCount = 0

  // Returns the validator or why there is none; failures are not cached, they cannot happen for a schema
  // that passed `check` at registration.
  const compile = (id: number): ValidateFunction | string => {
    const schema = schemaOf(id)
    if (schema === undefined) return `no schema with id ${id}`
    compiledCount++
    try {
      const validate = ajv.compile(schema as object)
      validators.set(id, validate)
      return validate
    } catch (err) {
      return `schema id ${id} does not compile: ${(err as Error).message}`
    }
  }

  // The field's sub-schema keeps the document's $defs at its root, so its `#/$defs/...` refs still resolve.
  const compileField = (id: number, field: string): ValidateFunction | string => {
    const schema = schemaOf(id) as Record<string, unknown> | undefined
    const properties = schema?.['properties'] as Record<string, unknown> | undefined
    const sub = properties !== undefined && Object.hasOwn(properties, field) ? properties[field] : undefined
    if (sub === undefined || sub === null || typeof sub !== 'object') {
      return `schema id ${id} has no property ${field}`
    }
    compiledCount++
    try {
      const defs = schema?.['$defs']
      return ajv.compile({ ...(defs === undefined ? {} : { $defs: defs }), ...sub })
    } catch (err) {
      return `schema id ${id} property ${field} does not compile: ${(err as Error).message}`
    }
  }

  return {
    check(schema) {
      if (typeof schema === 'boolean') return undefined
      if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) {
        return 'a schema must be a JSON object or a boolean'
      }
      try {
        if (!ajv.validateSchema(schema)) return ajv.errorsText(ajv.errors)
        // Compiling also resolves $ref; an unresolvable one is a registration error, not a runtime one.
        ajv.compile(schema)
        return undefined
      } catch (err) {
        return (err as Error).message
      }
    },
    run(id, value) {
      const validate = validators.get(id) ?? compile(id)
      if (typeof validate === 'string')
        return { ok: false, errors: [{ instancePath: '', message: validate }] }
      if (validate(value)) return OK
      return { ok: false, errors: toErrors(validate.errors) }
    },
    runField(id, field, value) {
      const key = `${id}/${field}`
      let validate = fieldValidators.get(key)
      if (validate === undefined) {
        validate = compileField(id, field)
        fieldValidators.set(key, validate)
      }
      if (typeof validate === 'string')
        return { ok: false, errors: [{ instancePath: '', message: validate }] }
      if (validate(value)) return OK
      return { ok: false, errors: toErrors(validate.errors) }
    },
    get compiledCount() {
      return compiledCount
    },
  }
}

function toErrors(errors: ErrorObject[] | null | undefined): ValidationError[] {
  if (!errors) return [{ instancePath: '', message: 'invalid' }]
  return errors.map((e) => ({ instancePath: e.instancePath, message: describe(e) }))
}

// Ajv's messages omit the offending name for some keywords; add it so a DLQ header is self-explaining.
function describe(e: ErrorObject): string {
  const p = e.params as Record<string, unknown>
  if (e.keyword === 'additionalProperties')
    return `must NOT have additional property '${String(p['additionalProperty'])}'`
  if (e.keyword === 'enum') return `must be one of ${JSON.stringify(p['allowedValues'])}`
  return e.message ?? e.keyword
}
