import { format } from 'node:util'

/** Options of one catalogued error code. */
interface ErrorSpec {
  /** Whether retrying the same operation can succeed (retry looks at this only). */
  retriable?: boolean
  /** HTTP status when this error reaches the API; 500 when unset. */
  statusCode?: number
}

/** Base class of every error uns-bridge raises on purpose. */
export class UnsError extends Error {
  readonly code: string
  readonly retriable: boolean
  readonly statusCode: number
  readonly details: Readonly<Record<string, unknown>>

  constructor(
    code: string,
    message: string,
    spec: ErrorSpec,
    details: Record<string, unknown> = {},
    options?: ErrorOptions,
  ) {
    super(message, options)
    this.name = 'UnsError'
    this.code = code
    this.retriable = spec.retriable ?? false
    this.statusCode = spec.statusCode ?? 500
    this.details = details
  }
}

export interface UnsErrorClass {
  new (args: unknown[], details?: Record<string, unknown>, options?: ErrorOptions): UnsError
  readonly code: string
}

/**
 * Defines one error code as its own class, so both `instanceof` and `err.code` work.
 * The message template uses util.format placeholders filled from `args`.
 */
export function defineError(code: string, template: string, spec: ErrorSpec = {}): UnsErrorClass {
  return class extends UnsError {
    static readonly code = code
    constructor(args: unknown[], details: Record<string, unknown> = {}, options?: ErrorOptions) {
      super(code, format(template, ...args), spec, details, options)
    }
  }
}

// The catalogue. Codes are permanent: a retired code stays listed here in a comment and is never reused.
export const ConfigInvalid = defineError('UNS_ERR_CONFIG_INVALID', 'Invalid configuration:\n%s')
export const ConfigFileUnreadable = defineError('UNS_ERR_CONFIG_FILE', 'Cannot read config file %s: %s')
export const ListenPortInUse = defineError(
  'UNS_ERR_LISTEN_PORT_IN_USE',
  '%s port %d on %s is already in use; stop the other process or choose another port with %s',
)
export const HookInvalid = defineError('UNS_ERR_HOOK_INVALID', 'Cannot add broker hook %s: %s')
export const ListenFailed = defineError('UNS_ERR_LISTEN_FAILED', 'Cannot listen for %s on %s:%d: %s')
export const KafkaUnavailable = defineError(
  'UNS_ERR_BRIDGE_KAFKA_UNAVAILABLE',
  'Kafka is not reachable: %s',
  {
    retriable: true,
    statusCode: 503,
  },
)
export const BridgeBufferFull = defineError(
  'UNS_ERR_BRIDGE_BUFFER_FULL',
  'The Kafka buffer is full (%d records, %d bytes); message on %s dropped',
  { retriable: true, statusCode: 503 },
)
export const BridgeClosed = defineError('UNS_ERR_BRIDGE_CLOSED', 'The bridge is shutting down; %s not sent')
export const KafkaReplicationInvalid = defineError(
  'UNS_ERR_BRIDGE_REPLICATION_INVALID',
  'kafka.minInsyncReplicas (%d) is larger than the replication factor (%d) of the topics to create: every write would be refused; lower it or raise kafka.replicationFactor',
)
export const UnsPathInvalid = defineError('UNS_ERR_NAMESPACE_PATH_INVALID', 'Invalid UNS path %j: %s', {
  statusCode: 400,
})

// Sparkplug B host application (src/sparkplug). Reported in results on the hot path, never thrown there.
export const SpbTopicInvalid = defineError('UNS_ERR_SPB_TOPIC_INVALID', 'Invalid Sparkplug topic %j: %s', {
  statusCode: 400,
})
export const SpbPayloadInvalid = defineError(
  'UNS_ERR_SPB_PAYLOAD_INVALID',
  'Invalid Sparkplug payload on %s: %s; the message was dropped',
  { statusCode: 400 },
)
export const SpbPayloadLimit = defineError(
  'UNS_ERR_SPB_PAYLOAD_LIMIT',
  'Sparkplug payload on %s refused: %s; the message was dropped',
  { statusCode: 400 },
)
export const SpbBirthInvalid = defineError(
  'UNS_ERR_SPB_BIRTH_INVALID',
  'Invalid Sparkplug birth on %s: %s; a rebirth is requested',
)
export const SpbUnknownNode = defineError(
  'UNS_ERR_SPB_UNKNOWN_NODE',
  '%s from %s arrived before its birth; a rebirth is requested',
)
export const SpbUnknownMetric = defineError(
  'UNS_ERR_SPB_UNKNOWN_METRIC',
  'Metric %s on %s is not in its birth certificate; a rebirth is requested',
)
export const SpbSeqGap = defineError('UNS_ERR_SPB_SEQ_GAP', 'Sequence gap on %s: expected %d, got %d', {
  retriable: false,
})
export const SpbDeathIgnored = defineError(
  'UNS_ERR_SPB_DEATH_IGNORED',
  'NDEATH for %s ignored: its bdSeq %s does not match the current birth bdSeq %s',
)
export const SpbCommandUnknownMetric = defineError(
  'UNS_ERR_SPB_COMMAND_UNKNOWN_METRIC',
  'Cannot write %s on %s: the metric is not in its birth certificate (or the node is offline)',
  { statusCode: 404 },
)
export const SpbCommandValueInvalid = defineError('UNS_ERR_SPB_COMMAND_VALUE', 'Cannot write %s: %s', {
  statusCode: 400,
})

// Schema registry (issue 5). Status codes follow Confluent Schema Registry so its REST subset can map them 1:1.
export const RegistryIncompatible = defineError(
  'UNS_ERR_REGISTRY_INCOMPATIBLE',
  'Schema for subject %s is incompatible under %s: %s; keep the old fields and types, or change the compatibility level',
  { statusCode: 409 },
)
export const RegistrySchemaInvalid = defineError(
  'UNS_ERR_REGISTRY_SCHEMA_INVALID',
  'Invalid JSON Schema for subject %s: %s',
  { statusCode: 422 },
)
export const RegistrySubjectInvalid = defineError(
  'UNS_ERR_REGISTRY_SUBJECT_INVALID',
  'Invalid subject name %j: %s',
  { statusCode: 422 },
)
export const RegistrySubjectNotFound = defineError(
  'UNS_ERR_REGISTRY_SUBJECT_NOT_FOUND',
  'Subject %s is not registered',
  { statusCode: 404 },
)
export const RegistryVersionNotFound = defineError(
  'UNS_ERR_REGISTRY_VERSION_NOT_FOUND',
  'Subject %s has no version %s',
  { statusCode: 404 },
)
export const RegistryVersionInvalid = defineError(
  'UNS_ERR_REGISTRY_VERSION_INVALID',
  'Invalid version %j: use a positive integer or "latest"',
  { statusCode: 422 },
)
export const RegistrySchemaNotFound = defineError(
  'UNS_ERR_REGISTRY_SCHEMA_NOT_FOUND',
  'No schema with id %s',
  {
    statusCode: 404,
  },
)
export const RegistryCompatibilityInvalid = defineError(
  'UNS_ERR_REGISTRY_COMPATIBILITY_INVALID',
  'Invalid compatibility level %j: use one of %s',
  { statusCode: 422 },
)
export const RegistryBindingInvalid = defineError(
  'UNS_ERR_REGISTRY_BINDING_INVALID',
  'Invalid schema binding: %s',
  {
    statusCode: 400,
  },
)
export const RegistryBindingNotFound = defineError(
  'UNS_ERR_REGISTRY_BINDING_NOT_FOUND',
  'No schema binding with id %j; GET /api/v1/schemas/bindings lists them',
  { statusCode: 404 },
)
export const RegistryClosed = defineError(
  'UNS_ERR_REGISTRY_CLOSED',
  'The schema registry is closed; %s not done',
  {
    statusCode: 503,
  },
)
export const RegistryStoreUnavailable = defineError(
  'UNS_ERR_REGISTRY_STORE_UNAVAILABLE',
  'The registry topic %s cannot be used: %s; check that Kafka is reachable and retry',
  { retriable: true, statusCode: 503 },
)

// Namespace: definition files (file, line, path inside the document, reason), payloads, tree queries.
export const NamespaceDirEmpty = defineError(
  'UNS_ERR_NAMESPACE_DIR_EMPTY',
  'No namespace files (*.yaml, *.yml) found in %s; add at least one or point the config at the right folder',
)
export const NamespaceFileUnreadable = defineError(
  'UNS_ERR_NAMESPACE_FILE_UNREADABLE',
  'Cannot read namespace file %s: %s',
)
export const NamespaceYamlSyntax = defineError(
  'UNS_ERR_NAMESPACE_YAML_SYNTAX',
  '%s at %s: YAML syntax error: %s',
)
export const NamespaceFileInvalid = defineError('UNS_ERR_NAMESPACE_FILE_INVALID', '%s at %s: %s')
export const NamespaceModelUnknown = defineError('UNS_ERR_NAMESPACE_MODEL_UNKNOWN', '%s at %s: %s')
export const NamespaceModelDuplicate = defineError('UNS_ERR_NAMESPACE_MODEL_DUPLICATE', '%s at %s: %s')
export const NamespaceModelNotAddOnly = defineError('UNS_ERR_NAMESPACE_MODEL_NOT_ADD_ONLY', '%s at %s: %s')
export const NamespaceNodeDuplicate = defineError('UNS_ERR_NAMESPACE_NODE_DUPLICATE', '%s at %s: %s')
export const NamespaceLevelMismatch = defineError('UNS_ERR_NAMESPACE_LEVEL_MISMATCH', '%s at %s: %s')
export const NamespaceSparkplugInvalid = defineError('UNS_ERR_NAMESPACE_SPARKPLUG_INVALID', '%s at %s: %s')
export const UnsPayloadInvalid = defineError('UNS_ERR_NAMESPACE_PAYLOAD_INVALID', 'Invalid UNS payload: %s', {
  statusCode: 400,
})
export const NamespacePathUndeclared = defineError(
  'UNS_ERR_NAMESPACE_PATH_UNDECLARED',
  'Path %s is not declared in the namespace and the tree runs in strict mode; declare it in a namespace file',
  { statusCode: 422 },
)
export const NamespaceFilterInvalid = defineError(
  'UNS_ERR_NAMESPACE_FILTER_INVALID',
  'Invalid MQTT filter %j: %s',
  {
    statusCode: 400,
  },
)
export const NamespaceCursorInvalid = defineError(
  'UNS_ERR_NAMESPACE_CURSOR_INVALID',
  'Invalid cursor: %s; pass the cursor exactly as returned by the previous page',
  { statusCode: 400 },
)
export const NamespaceLimitInvalid = defineError(
  'UNS_ERR_NAMESPACE_LIMIT_INVALID',
  'Invalid limit %j: must be an integer from 1 to %d',
  { statusCode: 400 },
)
export const NamespaceNodeNotFound = defineError('UNS_ERR_NAMESPACE_NODE_NOT_FOUND', 'No node at path %s', {
  statusCode: 404,
})
export const SparkplugUnmappable = defineError(
  'UNS_ERR_NAMESPACE_SPARKPLUG_UNMAPPABLE',
  'Sparkplug metric %s cannot be mapped onto a UNS path: %s',
  { statusCode: 400 },
)
export const NamespaceModelCycle = defineError('UNS_ERR_NAMESPACE_MODEL_CYCLE', '%s at %s: %s')
export const NamespaceDepthInvalid = defineError(
  'UNS_ERR_NAMESPACE_DEPTH_INVALID',
  'Invalid depth %j: must be an integer from 1 to %d',
  { statusCode: 400 },
)
// API: request validation beyond what a stage checks itself.
export const ApiRequestInvalid = defineError('UNS_ERR_API_REQUEST_INVALID', 'Invalid request: %s', {
  statusCode: 400,
})

// Writes to UNS paths (API `POST /nodes/{path}/write` and `uns.commands`), and Sparkplug node operations.
export const WritePathUnknown = defineError(
  'UNS_ERR_WRITE_PATH_UNKNOWN',
  'Cannot write %s: no such path in the namespace and no Sparkplug metric maps onto it',
  { statusCode: 404 },
)
export const WriteNotWritable = defineError(
  'UNS_ERR_WRITE_NOT_WRITABLE',
  'Cannot write %s: %s; declare the tag `writable: true` in the namespace to allow writes',
  { statusCode: 403 },
)
export const WriteTargetOffline = defineError(
  'UNS_ERR_WRITE_TARGET_OFFLINE',
  'Cannot write %s: Sparkplug %s is offline; retry after its next birth',
  { statusCode: 409, retriable: true },
)
export const WriteValueInvalid = defineError('UNS_ERR_WRITE_VALUE_INVALID', 'Cannot write %s: %s', {
  statusCode: 400,
})
export const WriteOutsideModel = defineError(
  'UNS_ERR_WRITE_OUTSIDE_MODEL',
  'Cannot write %s: %s (model %s); nothing was sent',
  { statusCode: 400 },
)
export const WriteUnavailable = defineError(
  'UNS_ERR_WRITE_UNAVAILABLE',
  'Cannot write %s: the command could not be published (the host application is not connected); retry later',
  { statusCode: 503, retriable: true },
)
export const SpbNodeNotFound = defineError(
  'UNS_ERR_SPB_NODE_NOT_FOUND',
  'No Sparkplug edge node %s/%s has been seen by this host application',
  { statusCode: 404 },
)

// Security (src/security): identities, access rules, TLS files. Messages never contain a password or a token.
export const SecurityHashInvalid = defineError(
  'UNS_ERR_SECURITY_HASH_INVALID',
  '%s is not a password hash uns-bridge can verify: %s; make one with `uns-bridge hash-password`',
)
export const SecurityPasswordInput = defineError(
  'UNS_ERR_SECURITY_PASSWORD_INPUT',
  'No password to hash: %s; type it at the prompt or pipe it on standard input (one line)',
)
export const SecurityRuleInvalid = defineError('UNS_ERR_SECURITY_RULE_INVALID', 'Invalid rule %j in %s: %s')
export const SecurityTlsFile = defineError(
  'UNS_ERR_SECURITY_TLS_FILE',
  'Cannot read %s file %s (%s): %s; check the path and that uns-bridge may read it',
)
export const SecurityTlsInvalid = defineError(
  'UNS_ERR_SECURITY_TLS_INVALID',
  'The TLS files of %s (cert %s, key %s) cannot be used: %s; check that the key belongs to the certificate and both are PEM',
)
export const SecurityUnauthenticated = defineError(
  'UNS_ERR_SECURITY_UNAUTHENTICATED',
  'Authentication required: %s',
  { statusCode: 401 },
)
export const SecurityForbidden = defineError('UNS_ERR_SECURITY_FORBIDDEN', '%s may not %s %s: %s', {
  statusCode: 403,
})
// GET /api/v1/stream beyond security.limits.sseStreams (issue 12 item 6).
export const StreamLimit = defineError(
  'UNS_ERR_API_STREAM_LIMIT',
  '%s event streams are open, the most security.limits.sseStreams allows; retry later',
  { statusCode: 503, retriable: true },
)
export const SecurityBusy = defineError(
  'UNS_ERR_SECURITY_BUSY',
  'Too many credential checks are waiting (%s); retry in a moment',
  { statusCode: 503, retriable: true },
)
export const SecurityOriginRefused = defineError(
  'UNS_ERR_SECURITY_ORIGIN_REFUSED',
  'A WebSocket from the page at %s may not connect to /mqtt; add that origin to http.websocketOrigins if it is yours',
  { statusCode: 403 },
)
export const SecurityJwksInvalid = defineError(
  'UNS_ERR_SECURITY_JWKS_INVALID',
  'Cannot use the JWKS %s (security.jwt.jwks): %s; give a readable JSON Web Key Set file or an http(s) URL',
)
// An MQTT CONNECT or PUBLISH the broker refused (src/broker client-access.ts); aedes closes the connection
// (a PUBLISH [MQTT-3.3.5-2]) or answers the CONNECT with the code in `details.returnCode`.
export const MqttRefused = defineError('UNS_ERR_MQTT_REFUSED', 'MQTT client %s refused: %s', {
  statusCode: 403,
})
// History and dead letters read back from Kafka (issue 14).
export const HistoryRangeInvalid = defineError('UNS_ERR_HISTORY_RANGE_INVALID', 'Invalid history range: %s', {
  statusCode: 400,
})
export const HistoryNotLocatable = defineError(
  'UNS_ERR_HISTORY_NOT_LOCATABLE',
  'No history in Kafka for %s: %s',
  { statusCode: 409 },
)
