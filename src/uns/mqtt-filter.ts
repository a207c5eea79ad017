import { NamespaceFilterInvalid, type UnsError } from '../errors.js'
import { fail, ok, type Result } from './result.js'

/** An MQTT topic filter split into levels; `+` and `#` are wildcards. */
export type TopicFilter = readonly string[]

/** Parses an MQTT subscription filter ([MQTT-4.7.1-2], [MQTT-4.7.1-3]). */
export function parseTopicFilter(filter: string): Result<TopicFilter> {
  const bad = (reason: string): Result<TopicFilter> => fail(filterError(filter, reason))
  if (filter.length === 0) return bad('the filter is empty')
  const levels = filter.split('/')
  for (let i = 0; i < levels.length; i++) {
    const l = levels[i] as string
    // [MQTT-4.7.1-2] `#` must be the last character and occupy a whole level.
    if (l.includes('#') && (l !== '#' || i !== levels.length - 1))
      return bad('# must be the last level on its own')
    // [MQTT-4.7.1-3] `+` must occupy a whole level.
    if (l.includes('+') && l !== '+') return bad('+ must be a whole level')
  }
  return ok(levels)
}

export function filterError(filter: string, reason: string): UnsError {
  return new NamespaceFilterInvalid([filter, reason], { filter, reason })
}

/** Whether a topic (split into levels) matches a filter; `a/#` also matches `a` [MQTT-4.7.1-2]. */
export function matchesFilter(filter: TopicFilter, levels: readonly string[]): boolean {
  for (let i = 0; i < filter.length; i++) {
    const f = filter[i]
    if (f === '#') return true
    if (i >= levels.length) return false
    if (f !== '+' && f !== levels[i]) return false
  }
  return filter.length === levels.length
}
