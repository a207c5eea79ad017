import { isInteger, parse as parseLossless } from 'lossless-json'
import { UnsPayloadInvalid } from '../errors.js'
import { QUALITIES, type Quality, type UnsEvent, type UnsValue } from './event.js'
import { fromJsonValue, toJsonValue } from './json-value.js'
import { fail, ok, type Result } from './result.js'

/** What a UNS publish carries once decoded (PRODUCT.md §3). */
export interface UnsPayload {
  readonly value: UnsValue
  /** Source timestamp (epoch ms); the receive time when the publisher sent none. */
  readonly timestamp: number
  readonly quality: Quality
  readonly datatype?: string
  /** Since when the value is stale (epoch ms); `timestamp` stays the last sample's. */
  readonly staleSince?: number
  /** An empty payload: deletes the current value (the retained-message delete of MQTT, a Kafka tombstone). */
  readonly tombstone: boolean
}

const ENVELOPE_KEYS = new Set(['value', 'timestamp', 'quality', 'datatype', 'staleSince'])
const utf8 = new TextDecoder('utf-8', { fatal: true })
// A JSON integer of 16+ digits may exceed 2^53; only then pay for the lossless parser.
const LONG_DIGITS = /\d{16}/

function bad(reason: string): Result<UnsPayload> {
  return fail(new UnsPayloadInvalid([reason], { reason }))
}

function parseNumber(text: string): number | bigint {
  if (isInteger(text)) {
    const n = Number(text)
    // Rounded integers would silently change a counter or an id: keep them exact (PRODUCT.md §3).
    return Number.isSafeInteger(n) ? n : BigInt(text)
  }
  return Number(text)
}

function parseJson(text: string): unknown {
  return LONG_DIGITS.test(text) ? parseLossless(text, null, parseNumber) : JSON.parse(text)
}

/**
 * Decodes the bytes of a UNS publish: the JSON envelope `{value, timestamp?, quality?, datatype?}` or a
 * bare JSON scalar. Never throws: bad input yields a result with the reason.
 */
export function parseUnsPayload(bytes: Uint8Array, receivedAt: number): Result<UnsPayload> {
  if (bytes.length === 0) return ok({ value: null, timestamp: receivedAt, quality: 'good', tombstone: true })
  let parsed: unknown
  try {
    parsed = parseJson(utf8.decode(bytes))
  } catch (err) {
    return bad(`not valid JSON (${(err as Error).message})`)
  }
  if (parsed === null || typeof parsed !== 'object') {
    return ok({ value: parsed as UnsValue, timestamp: receivedAt, quality: 'good', tombstone: false })
  }
  if (Array.isArray(parsed))
    return bad('a JSON array is neither an envelope nor a scalar; wrap it as {"value": [...]}')
  const env = parsed as Record<string, unknown>
  if (!Object.hasOwn(env, 'value')) return bad('a JSON object must be an envelope with a "value" field')
  for (const key of Object.keys(env)) {
    if (!ENVELOPE_KEYS.has(key))
      return bad(`unknown envelope field "${key}" (allowed: value, timestamp, quality, datatype, staleSince)`)
  }
  const { timestamp, quality, datatype, staleSince } = env
  for (const [name, t] of [
    ['timestamp', timestamp],
    ['staleSince', staleSince],
  ] as const) {
    if (t !== undefined && (typeof t !== 'number' || !Number.isFinite(t) || t < 0)) {
      return bad(
        `${name} must be epoch milliseconds as a non-negative number, got ${JSON.stringify(String(t))}`,
      )
    }
  }
  if (quality !== undefined && !QUALITIES.includes(quality as Quality)) {
    return bad(`quality must be one of ${QUALITIES.join(', ')}, got ${JSON.stringify(String(quality))}`)
  }
  if (datatype !== undefined && typeof datatype !== 'string') return bad('datatype must be a string')
  const payload: UnsPayload = {
    // Int64/UInt64 values travel as decimal strings (json-value.ts): read them back as integers.
    value: fromJsonValue(env.value as UnsValue, datatype),
    timestamp: (timestamp as number | undefined) ?? receivedAt,
    quality: (quality as Quality | undefined) ?? 'good',
    tombstone: false,
    ...(datatype === undefined ? {} : { datatype }),
    ...(staleSince === undefined ? {} : { staleSince: staleSince as number }),
  }
  return ok(payload)
}

/**
 * Writes the JSON envelope of an event. 64-bit integers become decimal strings, never rounded
 * (PRODUCT.md §3), and every integer of an Int64/UInt64(Array) datatype does; bytes become base64.
 */
export function toEnvelopeJson(
  event: Pick<UnsEvent, 'value' | 'timestamp' | 'quality' | 'datatype' | 'staleSince'>,
): string {
  const env: Record<string, unknown> = {
    value: toJsonValue(event.value, event.datatype),
    timestamp: event.timestamp,
    quality: event.quality,
  }
  if (event.datatype !== undefined) env.datatype = event.datatype
  if (event.staleSince !== undefined) env.staleSince = event.staleSince
  return JSON.stringify(env)
}
