// The one configuration schema: every setting, its default and its description live here and
// nowhere else. Nested objects default to `{}` so that Ajv's `useDefaults` fills their fields.
import { Type, type Static } from '@sinclair/typebox'

/** A string enum as plain JSON Schema `enum`, so errors list the allowed values. */
const OneOf = <const T extends string>(values: readonly T[], opts: { default?: T; description: string }) =>
  Type.Unsafe<T>({ type: 'string', enum: values, ...opts })

const port = (def: number, what: string) =>
  Type.Integer({ minimum: 0, maximum: 65535, default: def, description: `${what} (0 picks a free port)` })

/** Settings whose values `--print-config` and the logs never show. */
export const SECRET_KEYS = ['password', 'token'] as const

const Broker = Type.Object(
  {
    port: port(1883, 'MQTT over TCP port'),
    maxPayloadBytes: Type.Integer({
      minimum: 1,
      default: 1_048_576,
      description: 'Largest PUBLISH payload accepted, in bytes; larger ones close the connection',
    }),
  },
  { additionalProperties: false, default: {} },
)

const Http = Type.Object(
  {
    port: port(8080, 'HTTP port for the API, the explorer and MQTT over WebSocket at /mqtt'),
  },
  { additionalProperties: false, default: {} },
)

const KafkaTopics = Type.Object(
  {
    telemetry: Type.String({ minLength: 1, default: 'uns.telemetry', description: 'MQTT publishes go here' }),
    commands: Type.String({
      minLength: 1,
      default: 'uns.commands',
      description: 'Records here (key = UNS path) are published on MQTT',
    }),
    state: Type.String({
      minLength: 1,
      default: 'uns.state',
      description: 'Compacted: last value per UNS path; restored on start',
    }),
    events: Type.String({
      minLength: 1,
      default: 'uns.events',
      description: 'Default route of event and order tags',
    }),
    alarms: Type.String({ minLength: 1, default: 'uns.alarms', description: 'Default route of alarm tags' }),
    dlq: Type.String({
      minLength: 1,
      default: 'uns.dlq',
      description: 'Rejected input with the reason in headers',
    }),
    schemas: Type.String({
      minLength: 1,
      default: 'uns.schemas',
      description: 'Compacted: the schema registry',
    }),
    sparkplug: Type.String({
      minLength: 1,
      default: 'uns.sparkplug',
      description: 'Raw Sparkplug B messages as received (key = Sparkplug topic), for replay and forensics',
    }),
  },
  { additionalProperties: false, default: {} },
)

const Kafka = Type.Object(
  {
    brokers: Type.Array(Type.String({ pattern: '^[^\\s,]+:\\d+$' }), {
      default: [],
      description:
        'Bootstrap servers host:port; empty runs without Kafka (UNS_KAFKA_BROKERS is comma-separated)',
    }),
    clientId: Type.String({ minLength: 1, default: 'uns-bridge', description: 'Kafka client id' }),
    consumerGroup: Type.String({
      minLength: 1,
      default: 'uns-bridge',
      description: 'Consumer group of the Kafka -> MQTT direction',
    }),
    connectTimeoutMs: Type.Integer({
      minimum: 100,
      default: 3000,
      description: 'Connect timeout per attempt, ms',
    }),
    requestTimeoutMs: Type.Integer({
      minimum: 100,
      default: 10000,
      description: 'Kafka request timeout, ms',
    }),
    reconnectInitialMs: Type.Integer({ minimum: 10, default: 500, description: 'First reconnect delay, ms' }),
    reconnectMaxMs: Type.Integer({ minimum: 10, default: 15000, description: 'Longest reconnect delay, ms' }),
    lingerMs: Type.Integer({
      minimum: 0,
      default: 2,
      description: 'How long the producer waits to fill a batch, ms (trades latency for throughput)',
    }),
    maxBatchRecords: Type.Integer({
      minimum: 1,
      default: 1000,
      description: 'Most records in one produce request',
    }),
    bufferMaxRecords: Type.Integer({
      minimum: 1,
      default: 100000,
      description: 'Records held while Kafka is slow or down; beyond it QoS 1 waits and QoS 0 is dropped',
    }),
    bufferMaxBytes: Type.Integer({ minimum: 1024, default: 67_108_864, description: 'Bytes held, as above' }),
    stateCoalesceMs: Type.Integer({
      minimum: 0,
      default: 100,
      description:
        'State records are coalesced per path over this many ms (latest wins); 0 writes every change. Telemetry is never coalesced',
    }),
    restoreTimeoutMs: Type.Integer({
      minimum: 100,
      default: 60000,
      description: 'Longest wait at start to read the state topic to its end before retrying, ms',
    }),
    createTopics: Type.Boolean({
      default: true,
      description:
        'Create missing topics at start (state and schemas compacted); false: a missing topic is an error',
    }),
    topicPartitions: Type.Integer({
      minimum: 1,
      default: 3,
      description: 'Partitions of topics uns-bridge creates',
    }),
    replicationFactor: Type.Integer({
      minimum: -1,
      default: -1,
      description: 'Replication factor of topics uns-bridge creates (-1: the broker default)',
    }),
    compression: OneOf(['none', 'gzip'], { default: 'none', description: 'Compression of produced batches' }),
    topics: KafkaTopics,
    sasl: Type.Optional(
      Type.Object(
        {
          mechanism: OneOf(['plain', 'scram-sha-256', 'scram-sha-512'], { description: 'SASL mechanism' }),
          username: Type.String(),
          password: Type.String(),
        },
        { additionalProperties: false, description: 'SASL credentials for Kafka' },
      ),
    ),
    ssl: Type.Boolean({ default: false, description: 'TLS to Kafka' }),
  },
  { additionalProperties: false, default: {} },
)

const Namespace = Type.Object(
  {
    dir: Type.String({
      minLength: 1,
      default: './namespace',
      description: 'Folder of namespace definition files',
    }),
    mode: OneOf(['lenient', 'strict'], {
      default: 'lenient',
      description: 'lenient adds undeclared paths (flagged); strict rejects them to the dead-letter topic',
    }),
  },
  { additionalProperties: false, default: {} },
)

const Sparkplug = Type.Object(
  {
    hostId: Type.String({
      pattern: '^[^/+#]{1,64}$',
      default: 'uns-bridge',
      description: 'sparkplug_host_id of the host application: its STATE topic is spBv1.0/STATE/{hostId}',
    }),
    reorderTimeoutMs: Type.Integer({
      minimum: 0,
      default: 2000,
      description:
        'How long a sequence gap may stay open before a Rebirth is requested, ms (0 requests it at once)',
    }),
    rebirthMinIntervalMs: Type.Integer({
      minimum: 0,
      default: 5000,
      description: 'Least time between two automatic Rebirth requests to one edge node, ms',
    }),
    maxNestingDepth: Type.Integer({
      minimum: 1,
      maximum: 256,
      default: 16,
      description:
        'Deepest nesting of Templates, PropertySets and DataSets in one payload (a Template instance is 1); a deeper payload is refused (UNS_ERR_SPB_PAYLOAD_LIMIT) and a Rebirth requested',
    }),
    maxMetricsPerBirth: Type.Integer({
      minimum: 1,
      default: 10000,
      description:
        'Most metrics in one NBIRTH, DBIRTH or death, Template members included; a larger one is refused as above (DATA is bounded by mqtt.maxPayloadBytes)',
    }),
    maxInflatedBytes: Type.Integer({
      minimum: 1024,
      default: 16_777_216,
      description:
        'Largest inflated body of a compressed Sparkplug payload, bytes; a larger one is refused as above',
    }),
  },
  { additionalProperties: false, default: {} },
)

const Api = Type.Object(
  {
    streamThrottleMs: Type.Integer({
      minimum: 0,
      default: 250,
      description: 'Server-Sent Events: at most one event per path per this many ms (latest value wins)',
    }),
  },
  { additionalProperties: false, default: {} },
)

const OutboundRoute = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', description: 'Rule name (metrics label)' }),
    filter: Type.String({ minLength: 1, default: '#', description: 'MQTT topic filter on the UNS path' }),
    classes: Type.Optional(
      Type.Array(Type.String({ minLength: 1 }), {
        description: 'Only tags of these namespace classes (telemetry, alarm, event, order, ...)',
      }),
    ),
    topic: Type.String({ minLength: 1, description: 'Kafka topic' }),
    key: Type.String({
      default: '{path}',
      description:
        'Key template: {path}, {level:N}, {clientId}, {class}; the key picks the partition, an empty key spreads records',
    }),
    headers: Type.Record(Type.String(), Type.String(), {
      default: {},
      description: 'Extra headers; values are templates as for key',
    }),
  },
  { additionalProperties: false },
)

const InboundRoute = Type.Object(
  {
    name: Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$', description: 'Rule name (metrics label)' }),
    topic: Type.Optional(Type.String({ minLength: 1, description: 'Kafka topic to consume' })),
    pattern: Type.Optional(Type.String({ minLength: 1, description: 'Regular expression of Kafka topics' })),
    mqttTopic: Type.String({
      default: '{key}',
      description: 'MQTT topic template: {key}, {header:NAME}, {value:FIELD}, literal text',
    }),
    qos: Type.Integer({ minimum: 0, maximum: 1, default: 1, description: 'QoS of the MQTT publish' }),
    retain: Type.Boolean({ default: false, description: 'Retain flag of the MQTT publish' }),
  },
  { additionalProperties: false },
)

const Bridge = Type.Object(
  {
    routes: Type.Array(OutboundRoute, {
      default: [],
      description: 'MQTT -> Kafka rules, first match wins (YAML only)',
    }),
    defaultRoutes: Type.Boolean({
      default: true,
      description:
        'After the rules: alarm tags to kafka.topics.alarms, event and order tags to kafka.topics.events, the rest to kafka.topics.telemetry',
    }),
    inbound: Type.Array(InboundRoute, {
      default: [],
      description: 'Kafka -> MQTT rules (YAML only); kafka.topics.commands -> {key} is always on',
    }),
  },
  { additionalProperties: false, default: {} },
)

const Registry = Type.Object(
  {
    modelPolicy: OneOf(['reject', 'warn', 'off'], {
      default: 'warn',
      description:
        'Declared tags (model fields) without a binding are validated against their model field schema (subject model.<Name>): reject dead-letters an invalid value, warn accepts it with a validation-warning header and counts it, off skips the check',
    }),
  },
  { additionalProperties: false, default: {} },
)

const Log = Type.Object(
  {
    level: OneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'], {
      default: 'info',
      description: 'Log level',
    }),
  },
  { additionalProperties: false, default: {} },
)

export const ConfigSchema = Type.Object(
  {
    instanceId: Type.String({
      pattern: '^[A-Za-z0-9._-]{1,64}$',
      default: 'uns-bridge',
      description: 'This instance in Kafka `origin` headers (loop prevention) and logs',
    }),
    host: Type.String({ minLength: 1, default: '0.0.0.0', description: 'Bind address of MQTT and HTTP' }),
    shutdownTimeoutMs: Type.Integer({
      minimum: 100,
      default: 8000,
      description: 'Longest graceful shutdown before the process exits anyway, ms',
    }),
    mqtt: Broker,
    http: Http,
    kafka: Kafka,
    namespace: Namespace,
    sparkplug: Sparkplug,
    api: Api,
    bridge: Bridge,
    registry: Registry,
    log: Log,
  },
  { additionalProperties: false },
)

export type Config = Static<typeof ConfigSchema>
