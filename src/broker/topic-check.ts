// What an MQTT topic name or filter from a client must be, beyond what mqtt-packet and aedes check.
// mqtt-packet decodes strings with `buffer.toString('utf8')` (parser.js `_parseString`), which turns
// ill-formed UTF-8 into U+FFFD and passes U+0000 through; aedes only checks emptiness, wildcards and
// the level count (lib/handlers/publish.js, lib/utils.js `validateTopic`). mqttjs/mqtt-packet#59.
import { isUtf8 } from 'node:buffer'

// A lone surrogate cannot come out of UTF-8 decoding, but topics also arrive from the API and Kafka.
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/
const MAX_BYTES = 65535

/**
 * Why a string from a client is not well-formed MQTT text, or undefined. `raw` is its bytes as received
 * when the caller has them; without them U+FFFD is taken as the mark of ill-formed UTF-8, because that
 * is what the decoder made of it (a topic really containing U+FFFD is refused too).
 */
function textProblem(text: string, raw: Buffer | undefined): string | undefined {
  // [MQTT-1.5.3-1] well-formed UTF-8, no surrogate code points.
  if (raw !== undefined ? !isUtf8(raw) : text.includes('\uFFFD') || LONE_SURROGATE.test(text)) {
    return 'is not well-formed UTF-8 [MQTT-1.5.3-1]'
  }
  // [MQTT-1.5.3-2], [MQTT-4.7.3-2]
  if (text.includes('\u0000')) return 'contains U+0000 [MQTT-1.5.3-2]'
  if (Buffer.byteLength(text) > MAX_BYTES) return 'is longer than 65535 bytes [MQTT-1.5.3]'
  return undefined
}

/**
 * Why a client may not PUBLISH to `topic`, or undefined when it may. Besides the UTF-8 rules: not empty
 * [MQTT-4.7.3-1], no wildcards [MQTT-3.3.2-2], and nothing starting with `$`: those topics are the
 * server's ([MQTT-4.7.2-1] keeps them out of `#` and `+` subscriptions; `$SYS/` and `$sparkplug/` are
 * written by this broker only). The broker's own publishes are not checked with this.
 */
export function topicProblem(topic: string, raw?: Buffer): string | undefined {
  const text = textProblem(topic, raw)
  if (text !== undefined) return `topic ${text}`
  if (topic.length === 0) return 'topic is empty [MQTT-4.7.3-1]'
  if (topic.includes('+') || topic.includes('#')) return 'topic contains a wildcard (+ or #) [MQTT-3.3.2-2]'
  if (topic.startsWith('$')) return 'topics starting with $ are reserved to the server [MQTT-4.7.2-1]'
  return undefined
}

/**
 * Why a client may not SUBSCRIBE to `filter`, or undefined (aedes checks wildcard placement itself).
 * `$` filters are allowed: `$SYS/#` and `$sparkplug/certificates/#` are meant to be read.
 */
export function filterProblem(filter: string, raw?: Buffer): string | undefined {
  const text = textProblem(filter, raw)
  if (text !== undefined) return `topic filter ${text}`
  if (filter.length === 0) return 'topic filter is empty [MQTT-4.7.3-1]'
  return undefined
}
