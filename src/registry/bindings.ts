// Which subject and policy apply to a value. "Most specific wins", in this order:
//   1. a model binding whose model equals the event's model exactly (`Filler@2`),
//   2. a model binding without version (`Filler`) for any version of that model,
//   3. topic filters and namespace prefixes (a prefix `a/b` counts as the filter `a/b/#`), ranked by
//      more literal levels > no `#` > fewer `+` > later first wildcard (`a/+/c` beats `+/b/c`),
//   4. on a full tie, the binding set first.
// Resolutions are cached per path (namespaces have a bounded set of paths); any change clears the cache.
import {
  compareSpecificity,
  matches,
  parsePathPrefix,
  parseTopicFilter,
  type Matcher,
} from './topic-filter.js'
import type { Binding, BindingSpec } from './types.js'

interface Entry {
  readonly binding: Binding
  readonly matcher?: Matcher
  readonly order: number
}

export interface BindingTable {
  /** Validates and stores a binding (replacing one with the same id); returns it or an error message. */
  set(spec: BindingSpec): Binding | string
  remove(id: string): boolean
  list(): Binding[]
  resolve(path: string, model?: string): Binding | undefined
}

/** Normalises a spec: exactly one match, a default id, version and target. */
export function toBinding(spec: BindingSpec): Binding | string {
  const kinds = [spec.topicFilter, spec.pathPrefix, spec.model].filter((x) => x !== undefined)
  if (kinds.length !== 1) return 'give exactly one of topicFilter, pathPrefix, model'
  if (typeof spec.subject !== 'string' || spec.subject.length === 0) return 'subject is required'
  if (!['reject', 'warn', 'off'].includes(spec.policy)) return `policy must be reject, warn or off`
  if (spec.target !== undefined && spec.target !== 'value' && spec.target !== 'envelope') {
    return 'target must be value or envelope'
  }
  const version = spec.version ?? 'latest'
  if (version !== 'latest' && !(Number.isInteger(version) && version > 0))
    return 'version must be >= 1 or latest'
  if (spec.model !== undefined && spec.model.length === 0) return 'model is empty'
  const id =
    spec.id ??
    (spec.topicFilter !== undefined
      ? `topic:${spec.topicFilter}`
      : spec.pathPrefix !== undefined
        ? `path:${spec.pathPrefix}`
        : `model:${spec.model}`)
  return { ...spec, id, version, target: spec.target ?? 'value' }
}

export function createBindingTable(options: { cacheSize?: number } = {}): BindingTable {
  const cacheSize = options.cacheSize ?? 10_000
  const entries = new Map<string, Entry>()
  const cache = new Map<string, Binding | null>()
  let order = 0
  // Without model bindings the model cannot change the answer: resolve by path alone, no key to build.
  let modelBindings = 0
  const recount = (): void => {
    modelBindings = 0
    for (const e of entries.values()) if (e.binding.model !== undefined) modelBindings++
  }

  const lookup = (path: string, model: string | undefined): Binding | undefined => {
    let best: Entry | undefined
    let bestModelRank = 0
    for (const e of entries.values()) {
      const m = e.binding.model
      if (m !== undefined) {
        if (model === undefined) continue
        const rank = m === model ? 2 : model.startsWith(`${m}@`) ? 1 : 0
        if (rank > bestModelRank || (rank > 0 && rank === bestModelRank && best && e.order < best.order)) {
          best = e
          bestModelRank = rank
        }
      } else if (bestModelRank === 0 && e.matcher && matches(e.matcher, path)) {
        const cmp = best?.matcher ? compareSpecificity(e.matcher, best.matcher) : -1
        if (cmp < 0 || (cmp === 0 && best && e.order < best.order)) best = e
      }
    }
    return best?.binding
  }

  return {
    set(spec) {
      const binding = toBinding(spec)
      if (typeof binding === 'string') return binding
      let matcher: Matcher | string | undefined
      if (binding.topicFilter !== undefined) matcher = parseTopicFilter(binding.topicFilter)
      else if (binding.pathPrefix !== undefined) matcher = parsePathPrefix(binding.pathPrefix)
      if (typeof matcher === 'string') return matcher
      const previous = entries.get(binding.id)
      entries.set(binding.id, { binding, ...(matcher && { matcher }), order: previous?.order ?? order++ })
      cache.clear()
      recount()
      return binding
    },
    remove(id) {
      cache.clear()
      const removed = entries.delete(id)
      recount()
      return removed
    },
    list: () => [...entries.values()].map((e) => e.binding),
    resolve(path, model) {
      if (entries.size === 0) return undefined
      const key = model === undefined || modelBindings === 0 ? path : `${model}\u0000${path}`
      const hit = cache.get(key)
      if (hit !== undefined) return hit ?? undefined
      const found = lookup(path, model)
      if (cache.size >= cacheSize) cache.clear()
      cache.set(key, found ?? null)
      return found
    },
  }
}
