// The ground floor every stage may use (STYLE.md "Where new capabilities go"): the one event type, the one
// inbound message, the UNS path value object, the JSON envelope, the MQTT filter matcher and the Result shape.
export { QUALITIES, type Quality, type UnsEvent, type UnsValue } from './event.js'
export type { InboundMessage, OutgoingMessage, Rejection } from './message.js'
export { parseUnsPath, type UnsPath, type UnsPathLimits } from './uns-path.js'
export { parseUnsPayload, toEnvelopeJson, type UnsPayload } from './envelope.js'
export { toJsonValue, type JsonValue } from './json-value.js'
export { fail, ok, type Result } from './result.js'
export { matchesFilter, parseTopicFilter, type TopicFilter } from './mqtt-filter.js'
