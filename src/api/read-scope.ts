// What an identity may see of the namespace through REST: the paths its `read` grants match, and the
// levels on the way to them (so a reader of `acme/berlin/#` can browse from the root to `acme/berlin`
// and sees neither `acme/hamburg` nor its values). Built from the resolved grants of `rules.permissions`.
import { matchesFilter, parseTopicFilter, type TopicFilter } from '../uns/index.js'
import type { TreeEntry } from '../namespace/index.js'

export interface ReadScope {
  /** A `read` grant matches the path. */
  canRead(path: string): boolean
  /** The path lies above something readable (the root lies above every grant). */
  leadsTo(path: string): boolean
  /** A `#` grant covers the path and everything below it: nothing there needs filtering. */
  coversSubtree(path: string): boolean
}

const levelsOf = (path: string): readonly string[] => (path === '' ? [] : path.split('/'))

export function createReadScope(readFilters: readonly string[]): ReadScope {
  const filters: TopicFilter[] = readFilters.flatMap((f) => {
    const parsed = parseTopicFilter(f)
    return parsed.ok ? [parsed.value] : []
  })
  return {
    canRead(path) {
      if (path === '') return false
      const levels = levelsOf(path)
      return filters.some((f) => matchesFilter(f, levels))
    },
    leadsTo(path) {
      const levels = levelsOf(path)
      return filters.some((f) => {
        if (f.length <= levels.length) return false
        for (let i = 0; i < levels.length; i++) {
          const g = f[i] as string
          if (g === '#') return true
          if (g !== '+' && g !== levels[i]) return false
        }
        return true
      })
    },
    coversSubtree(path) {
      if (path === '') return filters.some((f) => f.length === 1 && f[0] === '#')
      const levels = levelsOf(path)
      return filters.some((f) => {
        if (f[f.length - 1] !== '#' || f.length - 1 > levels.length) return false
        for (let i = 0; i < f.length - 1; i++) if (f[i] !== '+' && f[i] !== levels[i]) return false
        return true
      })
    },
  }
}

/**
 * The tree answer without what the scope hides. A level shown only because it leads to something readable
 * keeps its name and counts but not its value or lastSeen (decision 0041: counts may include hidden nodes).
 */
export function visibleTree(entry: TreeEntry, scope: ReadScope): TreeEntry {
  // The common case (a reader of `acme/#` below acme) costs no copy.
  if (scope.coversSubtree(entry.path)) return entry
  const readable = scope.canRead(entry.path)
  const children = entry.children
    ?.filter((c) => scope.canRead(c.path) || scope.leadsTo(c.path))
    .map((c) => visibleTree(c, scope))
  const out: { -readonly [K in keyof TreeEntry]: TreeEntry[K] } = { ...entry }
  if (children !== undefined) out.children = children
  if (!readable) {
    delete out.lastSeen
    out.hasValue = false
  }
  return out
}
