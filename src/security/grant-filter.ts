// A granted MQTT topic filter with `${username}` / `${clientid}` placeholders, and the two questions
// asked of it: does it match a topic, and does it cover a requested filter (filter-within-filter)?
// Parsing uses the one filter parser (src/namespace mqtt-filter); placeholders are resolved per level.
import { parseTopicFilter } from '../uns/index.js'

/** One level of a granted filter. */
type Level =
  | { readonly kind: 'literal'; readonly text: string }
  | { readonly kind: 'plus' }
  | { readonly kind: 'hash' }
  | { readonly kind: 'template'; readonly parts: readonly (string | Placeholder)[] }

type Placeholder = { readonly name: 'username' | 'clientid' }

export interface GrantFilter {
  /** As written in the role. */
  readonly source: string
  readonly levels: readonly Level[]
}

/** Values for placeholders; an absent value never satisfies a rule that uses it. */
export interface PlaceholderValues {
  readonly username?: string | undefined
  readonly clientid?: string | undefined
}

export type GrantParse = { ok: true; value: GrantFilter } | { ok: false; reason: string }

const PLACEHOLDER = /\$\{([^}]*)\}/g
const NAMES: ReadonlySet<string> = new Set(['username', 'clientid'])
// A value with a wildcard or a level separator would widen the rule (`${username}` = `#`), and NUL is
// not allowed in topics [MQTT-4.7.3-2]; such a username or client id never satisfies a placeholder.
// eslint-disable-next-line no-control-regex -- NUL is exactly what must be refused
const UNSAFE_VALUE = /[+#/\u0000]/

/** Parses a granted filter; `${username}` and `${clientid}` may appear inside any non-wildcard level. */
export function parseGrantFilter(source: string): GrantParse {
  const parsed = parseTopicFilter(source)
  if (!parsed.ok) return { ok: false, reason: parsed.error.details['reason'] as string }
  const levels: Level[] = []
  for (const text of parsed.value) {
    if (text === '+') levels.push({ kind: 'plus' })
    else if (text === '#') levels.push({ kind: 'hash' })
    else if (!text.includes('${')) levels.push({ kind: 'literal', text })
    else {
      const parts: (string | Placeholder)[] = []
      let last = 0
      for (const m of text.matchAll(PLACEHOLDER)) {
        const name = m[1] as string
        if (!NAMES.has(name))
          return { ok: false, reason: `unknown placeholder \${${name}}; use \${username} or \${clientid}` }
        if (m.index > last) parts.push(text.slice(last, m.index))
        parts.push({ name: name as Placeholder['name'] })
        last = m.index + m[0].length
      }
      if (last < text.length) parts.push(text.slice(last))
      if (parts.some((p) => typeof p === 'string' && p.includes('${'))) {
        return { ok: false, reason: 'an unclosed ${ in a level' }
      }
      levels.push({ kind: 'template', parts })
    }
  }
  return { ok: true, value: { source, levels } }
}

/** The text a literal or template level stands for, or undefined when a placeholder cannot be filled safely. */
function resolve(level: Level, values: PlaceholderValues, first: boolean): string | undefined {
  if (level.kind === 'literal') return level.text
  if (level.kind !== 'template') return undefined
  let out = ''
  for (const part of level.parts) {
    if (typeof part === 'string') {
      out += part
      continue
    }
    const v = values[part.name]
    if (v === undefined || v.length === 0 || UNSAFE_VALUE.test(v)) return undefined
    out += v
  }
  // A placeholder must not turn the first level into a `$` topic (`${username}/#` for user `$SYS`):
  // `$` topics are reachable only by a rule that writes the `$` itself [MQTT-4.7.2-1].
  if (
    first &&
    out.startsWith('$') &&
    !(typeof level.parts[0] === 'string' && level.parts[0].startsWith('$'))
  ) {
    return undefined
  }
  return out
}

const isWildcard = (level: Level | undefined): boolean => level?.kind === 'plus' || level?.kind === 'hash'

/**
 * Whether the grant matches a topic. `a/#` matches `a` [MQTT-4.7.1-2]; a grant whose first level is a
 * wildcard does not match topics starting with `$` [MQTT-4.7.2-1]. Walks the topic in place: this runs
 * for every PUBLISH and every delivery, so it allocates nothing.
 */
export function grantMatchesTopic(grant: GrantFilter, topic: string, values: PlaceholderValues): boolean {
  const g = grant.levels
  if (isWildcard(g[0]) && topic.startsWith('$')) return false
  let start = 0 // where the next topic level begins; past the end once every level is consumed
  for (let i = 0; i < g.length; i++) {
    const level = g[i] as Level
    if (level.kind === 'hash') return true
    if (start > topic.length) return false
    let end = topic.indexOf('/', start)
    if (end === -1) end = topic.length
    if (level.kind !== 'plus') {
      const expected = resolve(level, values, i === 0)
      if (expected === undefined || expected.length !== end - start || !topic.startsWith(expected, start)) {
        return false
      }
    }
    start = end + 1
  }
  return start > topic.length
}

/**
 * Whether every topic the requested filter can match is matched by the grant (filter-within-filter):
 * `acme/#` covers `acme/+/x` and `acme`, but not `#` or `+/x`; `acme/+` covers `acme/line1` but not `acme/#`.
 * A requested `$` first level is covered only by a grant that writes it [MQTT-4.7.2-1].
 */
export function grantCoversFilter(
  grant: GrantFilter,
  requested: readonly string[],
  values: PlaceholderValues,
): boolean {
  const g = grant.levels
  if (isWildcard(g[0]) && (requested[0] ?? '').startsWith('$')) return false
  for (let i = 0; i < g.length; i++) {
    const level = g[i] as Level
    if (level.kind === 'hash') return true
    if (i >= requested.length) return false
    const r = requested[i] as string
    // The request goes on to any depth here while the grant stops or narrows.
    if (r === '#') return false
    if (level.kind === 'plus') continue
    if (r === '+') return false
    if (resolve(level, values, i === 0) !== r) return false
  }
  return g.length === requested.length
}

/** The grant as a plain MQTT filter with its placeholders filled, or undefined when one cannot be filled safely. */
export function resolveGrant(grant: GrantFilter, values: PlaceholderValues): string | undefined {
  const out: string[] = []
  for (const [i, level] of grant.levels.entries()) {
    if (level.kind === 'plus') out.push('+')
    else if (level.kind === 'hash') out.push('#')
    else {
      const text = resolve(level, values, i === 0)
      if (text === undefined) return undefined
      out.push(text)
    }
  }
  return out.join('/')
}
