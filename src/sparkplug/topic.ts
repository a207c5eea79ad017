// Sparkplug topic value object: `spBv1.0/group_id/message_type/edge_node_id[/device_id]` and
// `spBv1.0/STATE/host_id` [tck-id-topic-structure]. Parsed once, returned as a result, never thrown.

export const NAMESPACE = 'spBv1.0' // [tck-id-topic-structure-namespace-a]

export type NodeMessageType = 'NBIRTH' | 'NDEATH' | 'NDATA' | 'NCMD'
export type DeviceMessageType = 'DBIRTH' | 'DDEATH' | 'DDATA' | 'DCMD'
export type EdgeMessageType = NodeMessageType | DeviceMessageType

/** A message to or from an edge node (N*) or one of its devices (D*; `device` is set exactly then). */
export interface EdgeTopic {
  readonly type: EdgeMessageType
  readonly group: string
  readonly edge: string
  readonly device?: string
}

/** A host application's STATE topic (Sparkplug 3.0 form). */
export interface StateTopic {
  readonly type: 'STATE'
  readonly hostId: string
}

export type SparkplugTopic = EdgeTopic | StateTopic

export type TopicResult = { ok: true; topic: SparkplugTopic } | { ok: false; reason: string }

const NODE_TYPES: ReadonlySet<string> = new Set(['NBIRTH', 'NDEATH', 'NDATA', 'NCMD'])
const DEVICE_TYPES: ReadonlySet<string> = new Set(['DBIRTH', 'DDEATH', 'DDATA', 'DCMD'])
// MQTT topic names are at most 65535 bytes of UTF-8 [MQTT-1.5.3]; 3 bytes per UTF-16 unit is the worst case.
const MAX_TOPIC_BYTES = 65535
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/

/**
 * Why `id` cannot be a group, edge node, device or host id, or undefined when it can:
 * non-empty UTF-8 without `+`, `/`, `#` [tck-id-topic-structure-namespace-valid-group-id,
 * -valid-edge-node-id, -valid-device-id] and only characters MQTT allows in topics, i.e. no U+0000
 * [tck-id-intro-group-id-chars, tck-id-intro-edge-node-id-chars, tck-id-intro-device-id-chars].
 */
export function checkSparkplugId(id: string, what: string): string | undefined {
  if (id.length === 0) return `${what} is empty`
  if (/[+#/]/.test(id) || id.includes('\u0000'))
    return `${what} ${JSON.stringify(id)} contains +, #, / or NUL`
  if (LONE_SURROGATE.test(id)) return `${what} is not well-formed UTF-8`
  return undefined
}

/** Parses a Sparkplug B topic; malformed topics give a reason, never an exception. */
export function parseSparkplugTopic(topic: string): TopicResult {
  if (topic.length * 3 > MAX_TOPIC_BYTES && Buffer.byteLength(topic) > MAX_TOPIC_BYTES) {
    return { ok: false, reason: 'topic longer than 65535 bytes' }
  }
  const parts = topic.split('/')
  if (parts[0] !== NAMESPACE) return { ok: false, reason: `namespace is not ${NAMESPACE}` }
  const group = parts[1] ?? ''
  if (group === 'STATE') {
    // [tck-id-topic-structure-namespace-device-id-non-associated-message-types]: STATE has no further level.
    if (parts.length !== 3) return { ok: false, reason: 'STATE topic must be spBv1.0/STATE/{host_id}' }
    const hostId = parts[2] ?? ''
    const bad = checkSparkplugId(hostId, 'host id')
    return bad === undefined ? { ok: true, topic: { type: 'STATE', hostId } } : { ok: false, reason: bad }
  }
  if (parts.length < 4) return { ok: false, reason: 'expected spBv1.0/{group}/{type}/{edge}[/{device}]' }
  const type = parts[2] ?? ''
  const isNode = NODE_TYPES.has(type)
  if (!isNode && !DEVICE_TYPES.has(type))
    return { ok: false, reason: `unknown message type ${JSON.stringify(type)}` }
  // device_id exactly on D* types [tck-id-topic-structure-namespace-device-id-associated-message-types]
  // and never on N* types [tck-id-topic-structure-namespace-device-id-non-associated-message-types].
  if (isNode && parts.length !== 4) return { ok: false, reason: `${type} topic must not carry a device id` }
  if (!isNode && parts.length !== 5)
    return { ok: false, reason: `${type} topic must carry exactly one device id` }
  const edge = parts[3] ?? ''
  const bad = checkSparkplugId(group, 'group id') ?? checkSparkplugId(edge, 'edge node id')
  if (bad !== undefined) return { ok: false, reason: bad }
  if (isNode) return { ok: true, topic: { type: type as NodeMessageType, group, edge } }
  const device = parts[4] ?? ''
  const badDevice = checkSparkplugId(device, 'device id')
  if (badDevice !== undefined) return { ok: false, reason: badDevice }
  return { ok: true, topic: { type: type as DeviceMessageType, group, edge, device } }
}

/** Formats an edge topic (the caller passes ids that passed `checkSparkplugId`). */
export function toSparkplugTopic(
  type: EdgeMessageType,
  group: string,
  edge: string,
  device?: string,
): string {
  const base = `${NAMESPACE}/${group}/${type}/${edge}`
  return device === undefined ? base : `${base}/${device}`
}
