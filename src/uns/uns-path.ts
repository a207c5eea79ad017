import { UnsPathInvalid } from '../errors.js'
import { fail, ok, type Result } from './result.js'

/** A UNS path checked once at the edge; downstream code takes this instead of a raw topic string. */
export interface UnsPath {
  /** The path as published: levels joined by `/`. */
  readonly text: string
  readonly levels: readonly string[]
}

export interface UnsPathLimits {
  /** Most topic levels a UNS path may have. Default 16. */
  readonly maxLevels?: number
  /** Most UTF-16 code units in the whole path. Default 512. */
  readonly maxLength?: number
}

const DEFAULT_MAX_LEVELS = 16
const DEFAULT_MAX_LENGTH = 512

/**
 * Parses an MQTT topic name as a UNS path. Returns a result instead of throwing because it runs
 * for every publish.
 */
export function parseUnsPath(topic: string, limits: UnsPathLimits = {}): Result<UnsPath> {
  const maxLevels = limits.maxLevels ?? DEFAULT_MAX_LEVELS
  const maxLength = limits.maxLength ?? DEFAULT_MAX_LENGTH
  const bad = (reason: string): Result<UnsPath> => fail(new UnsPathInvalid([topic, reason], { path: topic }))
  if (topic.length === 0) return bad('the path is empty')
  if (topic.length > maxLength) return bad(`the path is longer than ${maxLength} characters`)
  // [MQTT-4.7.3-1] topic names carry no wildcards; a UNS value lives on exactly one path.
  if (topic.includes('+') || topic.includes('#')) return bad('wildcards + and # are not allowed in a path')
  // [MQTT-4.7.3-2] no NUL character in a topic.
  if (topic.includes('\u0000')) return bad('the NUL character is not allowed')
  // [MQTT-4.7.2-1] `$` topics belong to the broker ($SYS), not to the namespace.
  if (topic.startsWith('$')) return bad('paths starting with $ are reserved for the broker')
  const levels = topic.split('/')
  // Sparkplug topics are decoded by the Sparkplug host and mapped onto UNS paths, never stored raw.
  if (levels[0] === 'spBv1.0') return bad('spBv1.0/... is a Sparkplug topic, not a UNS path')
  if (levels.length > maxLevels)
    return bad(`the path has ${levels.length} levels, at most ${maxLevels} allowed`)
  const empty = levels.indexOf('')
  if (empty !== -1) return bad(`level ${empty + 1} is empty (leading, trailing or double slash)`)
  return ok(Object.freeze({ text: topic, levels: Object.freeze(levels) }))
}
