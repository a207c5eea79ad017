// MQTT topic filters and namespace prefixes as one matcher, with a specificity score for
// "most specific binding wins" (rules in bindings.ts). Filters are parsed by the one MQTT filter
// parser of src/uns; this adds only what ranking bindings needs.
import { parseTopicFilter as parseFilter } from '../uns/index.js'

export interface Matcher {
  readonly levels: readonly string[]
  /** Ends with `#`: matches the parent level too [MQTT-4.7.1-2]. */
  readonly multi: boolean
  /** Number of literal (non-wildcard) levels. */
  readonly literal: number
  readonly plus: number
  /** Index of the first wildcard level, or the level count when there is none. */
  readonly firstWildcard: number
}

/** Parses an MQTT topic filter; returns the reason when it breaks the wildcard rules. */
export function parseTopicFilter(filter: string): Matcher | string {
  const parsed = parseFilter(filter)
  return parsed.ok ? toMatcher([...parsed.value]) : String(parsed.error.details['reason'])
}

/** A namespace subtree `a/b`: the path itself and everything below, i.e. the filter `a/b/#`. */
export function parsePathPrefix(prefix: string): Matcher | string {
  if (prefix.length === 0) return 'path prefix is empty'
  if (/[+#]/.test(prefix)) return 'path prefix must not contain MQTT wildcards'
  const levels = prefix.split('/')
  if (levels.some((l) => l.length === 0)) return 'path prefix has an empty level'
  return toMatcher([...levels, '#'])
}

function toMatcher(levels: string[]): Matcher {
  const multi = levels[levels.length - 1] === '#'
  const wild = levels.findIndex((l) => l === '+' || l === '#')
  return {
    levels,
    multi,
    literal: levels.filter((l) => l !== '+' && l !== '#').length,
    plus: levels.filter((l) => l === '+').length,
    firstWildcard: wild === -1 ? levels.length : wild,
  }
}

export function matches(m: Matcher, topic: string): boolean {
  const parts = topic.split('/')
  // [MQTT-4.7.2-1] wildcards at the first level do not match topics starting with `$`.
  if (m.firstWildcard === 0 && topic.startsWith('$')) return false
  const fixed = m.multi ? m.levels.length - 1 : m.levels.length
  if (m.multi ? parts.length < fixed : parts.length !== fixed) return false
  for (let i = 0; i < fixed; i++) {
    const l = m.levels[i]
    if (l !== '+' && l !== parts[i]) return false
  }
  return true
}

/** Negative when `a` is more specific than `b`. */
export function compareSpecificity(a: Matcher, b: Matcher): number {
  return (
    b.literal - a.literal ||
    Number(a.multi) - Number(b.multi) ||
    a.plus - b.plus ||
    b.firstWildcard - a.firstWildcard
  )
}
