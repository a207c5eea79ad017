// createRegistry: restores the state from the store, then serves reads from memory and writes
// through the store (append first, apply after), so every instance on the same log converges.
import {
  RegistryBindingInvalid,
  RegistryClosed,
  RegistryCompatibilityInvalid,
  RegistryIncompatible,
  RegistrySchemaInvalid,
  RegistrySchemaNotFound,
  RegistrySubjectInvalid,
  RegistrySubjectNotFound,
  RegistryVersionInvalid,
  RegistryVersionNotFound,
} from '../errors.js'
import { createBindingTable } from './bindings.js'
import { parseSchemaText, toCanonicalJson } from './canonical.js'
import { createChecker, type ModelChecks } from './check.js'
import { checkCompatibility } from './compatibility.js'
import type { RegistryRecord } from './store.js'
import { indexModelTags, registerModels } from './models.js'
import { createSubjectTable } from './subjects.js'
import {
  COMPATIBILITY_LEVELS,
  type Binding,
  type Compatibility,
  type CompatibilityResult,
  type SchemaVersion,
} from './types.js'
import { createValidatorCache } from './validator.js'
import type { Registry, RegistryConfig, RegistryDeps, RegisterOptions } from './registry-types.js'
// Built-in schema documents live in src/schemas; its index.ts belongs to another change, so the file is read directly.
import { UNS_ENVELOPE_SUBJECT, unsEnvelopeSchema } from './envelope-schema.js'

const noop = (): void => {}
const silent = { info: noop, warn: noop, debug: noop }

export async function createRegistry(deps: RegistryDeps, config: RegistryConfig = {}): Promise<Registry> {
  const log = deps.logger?.child({ stage: 'registry' }) ?? silent
  const clock = deps.clock ?? Date.now
  const store = deps.store
  const defaultLevel = config.defaultCompatibility ?? 'BACKWARD'
  const table = createSubjectTable((record, reason) =>
    log.warn(
      { subject: record.subject, version: record.version, id: record.id, reason },
      'schema record ignored',
    ),
  )
  const bindings = createBindingTable(
    config.resolveCacheSize === undefined ? {} : { cacheSize: config.resolveCacheSize },
  )
  const validators = createValidatorCache(
    (id) => table.ids.get(id)?.parsed,
    config.allErrors ? { allErrors: true } : {},
  )
  const models: ModelChecks = { tags: new Map(), policy: config.models?.policy ?? 'warn' }
  let closed = false
  // Writes are serialised so that two registrations on this instance never pick the same version or id.
  let queue: Promise<unknown> = Promise.resolve()

  const apply = (record: RegistryRecord): void => {
    table.apply(record)
    if (record.type !== 'binding') return
    if (record.binding === null) bindings.remove(record.id)
    else {
      const outcome = bindings.set(record.binding)
      if (typeof outcome === 'string') log.warn({ id: record.id, reason: outcome }, 'binding record ignored')
    }
  }
  for (const record of await store.load()) apply(record)
  const unsubscribe = store.subscribe(apply)

  const write = <T>(what: string, fn: () => Promise<T>): Promise<T> => {
    if (closed) return Promise.reject(new RegistryClosed([what]))
    const run = queue.then(fn)
    queue = run.catch(noop)
    return run
  }
  const append = async (record: RegistryRecord): Promise<void> => {
    await store.append(record)
    apply(record)
  }

  const versionsOf = (subject: string): readonly SchemaVersion[] => {
    const versions = table.subjects.get(subject)
    if (versions === undefined) throw new RegistrySubjectNotFound([subject], { subject })
    return versions
  }
  const parseVersion = (version: number | string): number | 'latest' => {
    if (version === 'latest' || version === -1 || version === '-1') return 'latest'
    const n = typeof version === 'number' ? version : /^[0-9]+$/.test(version) ? Number(version) : NaN
    if (!Number.isInteger(n) || n < 1) throw new RegistryVersionInvalid([version], { version })
    return n
  }
  const getVersion = (subject: string, version: number | string): SchemaVersion => {
    versionsOf(subject)
    const v = table.getVersion(subject, parseVersion(version))
    if (v === undefined) throw new RegistryVersionNotFound([subject, version], { subject, version })
    return v
  }
  const compatibilityOf = (subject: string): Compatibility =>
    table.configs.get(subject) ?? table.globalCompatibility ?? defaultLevel
  const checkLevel = (level: unknown): Compatibility => {
    if (COMPATIBILITY_LEVELS.includes(level as Compatibility)) return level as Compatibility
    throw new RegistryCompatibilityInvalid([level, COMPATIBILITY_LEVELS.join(', ')], { level })
  }
  const prepare = (
    subject: string,
    schema: unknown,
    options: RegisterOptions,
  ): { canonical: string; parsed: unknown } => {
    if (
      typeof subject !== 'string' ||
      subject.length === 0 ||
      subject.length > 255 ||
      /\p{Cc}/u.test(subject)
    ) {
      throw new RegistrySubjectInvalid([subject, 'use 1-255 printable characters'], { subject })
    }
    if (options.schemaType !== undefined && options.schemaType !== 'JSON') {
      throw new RegistrySchemaInvalid([
        subject,
        `schemaType ${options.schemaType} is not supported, only JSON`,
      ])
    }
    if (options.references !== undefined && options.references.length > 0) {
      throw new RegistrySchemaInvalid([
        subject,
        'schema references are not supported; inline them with $defs',
      ])
    }
    const parsed = parseSchemaText(schema)
    if (!parsed.ok) throw new RegistrySchemaInvalid([subject, parsed.message], { subject })
    const problem = validators.check(parsed.value)
    if (problem !== undefined) throw new RegistrySchemaInvalid([subject, problem], { subject })
    return { canonical: toCanonicalJson(parsed.value), parsed: parsed.value }
  }
  const compatibilityAgainst = (
    subject: string,
    parsed: unknown,
    level: Compatibility,
  ): CompatibilityResult =>
    checkCompatibility(
      level,
      parsed,
      (table.subjects.get(subject) ?? []).map((v) => ({
        version: v.version,
        schema: table.ids.get(v.id)?.parsed,
      })),
    )

  const registry: Registry = {
    register(subject, schema, options = {}) {
      return write('register', async () => {
        const { canonical, parsed } = prepare(subject, schema, options)
        const versions = table.subjects.get(subject) ?? []
        // Registering an existing version again is idempotent, as in Confluent.
        const same = versions.find((v) => v.schema === canonical)
        if (same) return same
        const level = compatibilityOf(subject)
        const result = compatibilityAgainst(subject, parsed, level)
        if (!result.compatible) {
          const messages = result.reasons.map((r) => r.message)
          throw new RegistryIncompatible([subject, level, messages.join('; ')], {
            subject,
            level,
            reasons: result.reasons,
          })
        }
        const record = {
          type: 'schema' as const,
          subject,
          version: (versions[versions.length - 1]?.version ?? 0) + 1,
          id: table.idOf(canonical) ?? table.nextId(),
          schemaType: 'JSON' as const,
          schema: canonical,
          registeredAt: clock(),
        }
        await append(record)
        log.info({ subject, version: record.version, id: record.id }, 'schema registered')
        return getVersion(subject, record.version)
      })
    },
    lookup(subject, schema, options = {}) {
      versionsOf(subject)
      const { canonical } = prepare(subject, schema, options)
      return table.subjects.get(subject)?.find((v) => v.schema === canonical)
    },
    testCompatibility(subject, schema, version = 'latest', options = {}) {
      const { parsed } = prepare(subject, schema, options)
      const level = compatibilityOf(subject)
      if (version === 'all' || table.subjects.get(subject) === undefined) {
        return compatibilityAgainst(subject, parsed, level)
      }
      const against = getVersion(subject, version)
      // One chosen version: the transitive flag does not matter, only the direction.
      return checkCompatibility(level, parsed, [
        { version: against.version, schema: table.ids.get(against.id)?.parsed },
      ])
    },
    listSubjects: () => [...table.subjects.keys()].sort(),
    listVersions: (subject) => versionsOf(subject).map((v) => v.version),
    getVersion,
    getSchemaById(id) {
      const found = Number.isInteger(id) ? table.ids.get(id) : undefined
      if (found === undefined) throw new RegistrySchemaNotFound([id], { id })
      return { id: found.id, schemaType: 'JSON', schema: found.schema }
    },
    subjectsOfId: (id) =>
      [...table.subjects.values()]
        .flat()
        .filter((v) => v.id === id)
        .map((v) => ({ subject: v.subject, version: v.version })),
    getCompatibility: (subject) =>
      subject === undefined ? (table.globalCompatibility ?? defaultLevel) : compatibilityOf(subject),
    getOwnCompatibility: (subject) => table.configs.get(subject),
    setCompatibility(subject, level) {
      return write('setCompatibility', async () => {
        const compatibility = level === null ? null : checkLevel(level)
        if (subject !== null && typeof subject !== 'string')
          throw new RegistrySubjectInvalid([subject, 'not a string'])
        await append({ type: 'config', subject, compatibility })
        log.info({ subject, compatibility }, 'compatibility set')
        return compatibility ?? registry.getCompatibility(subject ?? undefined)
      })
    },
    bind(spec) {
      return write('bind', async () => {
        const dryRun = createBindingTable().set(spec)
        if (typeof dryRun === 'string') throw new RegistryBindingInvalid([dryRun], { spec })
        const binding: Binding = dryRun
        if (binding.version === 'latest') versionsOf(binding.subject)
        else getVersion(binding.subject, binding.version)
        const { id, ...rest } = binding
        await append({ type: 'binding', id, binding: { id, ...rest } })
        return binding
      })
    },
    unbind(id) {
      return write('unbind', async () => {
        if (!table.bindings.has(id)) return false
        await append({ type: 'binding', id, binding: null })
        return true
      })
    },
    listBindings: () => bindings.list(),
    resolveBinding: (path, model) => bindings.resolve(path, model),
    ...createChecker({ table, bindings, validators, models }),
    stats: () => ({
      subjects: table.subjects.size,
      schemas: table.ids.size,
      compiledValidators: validators.compiledCount,
      bindings: table.bindings.size,
    }),
    async close() {
      if (closed) return
      closed = true
      unsubscribe()
      await queue
    },
  }

  if (config.builtins !== false) {
    // An operator may have evolved the built-in subject incompatibly; keep serving rather than refuse to start.
    await registry.register(UNS_ENVELOPE_SUBJECT, unsEnvelopeSchema).catch((err: unknown) => {
      log.warn({ err, subject: UNS_ENVELOPE_SUBJECT }, 'built-in schema not registered')
    })
  }
  if (config.models !== undefined) {
    const { definition } = config.models
    models.tags = indexModelTags(definition, await registerModels(registry, definition, log))
  }
  return registry
}
