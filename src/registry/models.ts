// Namespace models in the registry (issue 5 §1: "every namespace model version is registered as a
// subject automatically"): subject `model.<Name>`, one version per model version in order, so the
// add-only rule of the namespace format meets the subject's BACKWARD check. Declared tags (a model
// field below a node) are indexed once by UNS path, so ingest finds a tag's schema with one Map lookup.
import {
  findModelVersion,
  formatModelRef,
  modelSchema,
  type ModelVersion,
  type NamespaceDefinition,
} from '../namespace/index.js'
import type { RegistryLogger } from './registry-types.js'
import type { SchemaVersion } from './types.js'

export const MODEL_SUBJECT_PREFIX = 'model.'

/** Subject of a namespace model: `model.<Name>`. */
export function modelSubject(name: string): string {
  return `${MODEL_SUBJECT_PREFIX}${name}`
}

/** A declared tag: which registered model version and which of its fields validate its values. */
export interface ModelTag {
  /** `Name@version` of the namespace model, as bindings by model match it. */
  readonly model: string
  readonly subject: string
  /** Registry version of the subject holding this model version. */
  readonly version: number
  /** Global schema id of that version. */
  readonly id: number
  readonly field: string
}

interface Registrar {
  register(subject: string, schema: unknown): Promise<SchemaVersion>
}

/**
 * Registers every model version (idempotent: an identical schema returns its existing version) and
 * returns the registered version per `Name@version`. A refused version (e.g. the operator evolved the
 * subject incompatibly) is logged and left out: its tags then are not validated, which is better than a
 * service that does not start. A retriable failure (the store is unreachable) is thrown.
 */
export async function registerModels(
  registry: Registrar,
  definition: NamespaceDefinition,
  log: RegistryLogger,
): Promise<Map<string, SchemaVersion>> {
  const registered = new Map<string, SchemaVersion>()
  for (const model of Object.values(definition.models)) {
    // Versions are sorted ascending by the loader; registering them in order keeps them in order here.
    for (const mv of model.versions) {
      const subject = modelSubject(model.name)
      try {
        const v = await registry.register(subject, modelSchema(definition, model.name, mv.version))
        registered.set(formatModelRef(mv), v)
      } catch (err) {
        // Kafka down while registering: fail the whole start, the caller retries.
        if ((err as { retriable?: boolean }).retriable === true) throw err
        log.warn({ err, subject, model: formatModelRef(mv) }, 'model schema not registered')
      }
    }
  }
  return registered
}

/** UNS path → tag, for every field of every declared node with a model (sub-models recursively). */
export function indexModelTags(
  definition: NamespaceDefinition,
  registered: ReadonlyMap<string, SchemaVersion>,
): Map<string, ModelTag> {
  const tags = new Map<string, ModelTag>()
  const expand = (path: string, mv: ModelVersion): void => {
    const ref = formatModelRef(mv)
    const v = registered.get(ref)
    for (const field of mv.fields) {
      const fieldPath = `${path}/${field.name}`
      if (v !== undefined) {
        tags.set(fieldPath, {
          model: ref,
          subject: v.subject,
          version: v.version,
          id: v.id,
          field: field.name,
        })
      }
      const sub = field.model === undefined ? undefined : findModelVersion(definition, field.model)
      // The loader rejected model cycles, so this recursion ends.
      if (sub !== undefined) expand(fieldPath, sub)
    }
  }
  for (const node of definition.nodes) {
    const mv = node.model === undefined ? undefined : findModelVersion(definition, node.model)
    if (mv !== undefined) expand(node.path, mv)
  }
  return tags
}
