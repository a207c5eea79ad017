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

const pemFile = (what: string) => Type.String({ minLength: 1, description: `Path of the PEM ${what}` })

const MqttTls = Type.Object(
  {
    port: port(8883, 'MQTT over TLS port'),
    cert: pemFile('certificate chain (server certificate first) of the MQTT TLS listener'),
    key: pemFile('private key of the MQTT TLS listener'),
    ca: Type.Optional(
      pemFile('CA bundle that client certificates must chain to (needed unless clientCertificates is off)'),
    ),
    clientCertificates: OneOf(['off', 'optional', 'required'], {
      default: 'off',
      description:
        'Client certificates (mutual TLS): off; optional (verified ones log in as the user named by security.certificateIdentity, others need a password); required (no handshake without a valid one)',
    }),
  },
  {
    additionalProperties: false,
    description: 'MQTT over TLS listener; absent: none. Certificate files are reloaded on SIGHUP',
  },
)

const ExternalBroker = Type.Object(
  {
    url: Type.String({
      pattern: '^mqtts?://',
      description: 'The existing broker to attach to, mqtt://host:1883 or mqtts://host:8883',
    }),
    username: Type.Optional(Type.String({ minLength: 1, description: 'Username on the external broker' })),
    password: Type.Optional(Type.String({ description: 'Password on the external broker' })),
    ca: Type.Optional(pemFile('CA bundle the external broker certificate must chain to')),
    cert: Type.Optional(pemFile('client certificate presented to the external broker')),
    key: Type.Optional(pemFile('private key of that client certificate')),
    clientId: Type.String({
      minLength: 1,
      default: 'uns-bridge',
      description:
        'Client id of the ingest session; stable and unique per instance, so the broker keeps its queued messages across restarts',
    }),
    subscriptions: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description: 'UNS topic filters to ingest besides spBv1.0/# (QoS 1)',
    }),
    sharedGroup: Type.Optional(
      Type.String({
        minLength: 1,
        pattern: '^[^/+#]+$',
        description:
          'MQTT 5 shared-subscription group for the UNS filters ($share/<group>/<filter>), to split them between instances; spBv1.0/# is never shared',
      }),
    ),
    sessionExpirySeconds: Type.Integer({
      minimum: 0,
      default: 86400,
      description:
        'How long the broker keeps the session and its queued messages while uns-bridge is away, s',
    }),
    receiveMaximum: Type.Integer({
      minimum: 1,
      maximum: 65535,
      default: 100,
      description:
        'Unacknowledged messages the broker may send at once (MQTT 5 Receive Maximum): as many wait for Kafka at once, PUBACKed in order',
    }),
    republish: Type.Boolean({
      default: true,
      description: 'Publish derived UNS JSON values back to the external broker (retained)',
    }),
    sparkplug: Type.Boolean({
      default: true,
      description:
        'Ingest the Sparkplug namespace (spBv1.0/#) on this instance; with several instances on one broker leave it on for exactly one, or Sparkplug records reach Kafka once per instance (decision 0060)',
    }),
  },
  {
    additionalProperties: false,
    description:
      'Attach to an existing broker instead of running the embedded one; absent: embedded broker (see README "Use with your existing broker")',
  },
)

const Broker = Type.Object(
  {
    port: port(1883, 'MQTT over TCP port'),
    external: Type.Optional(ExternalBroker),
    maxPayloadBytes: Type.Integer({
      minimum: 1,
      default: 1_048_576,
      description: 'Largest PUBLISH payload accepted, in bytes; larger ones close the connection',
    }),
    plaintext: Type.Boolean({
      default: true,
      description:
        'Listen for plain (unencrypted) MQTT on mqtt.port; false leaves only mqtt.tls and MQTT over WebSocket',
    }),
    tls: Type.Optional(MqttTls),
  },
  { additionalProperties: false, default: {} },
)

const Http = Type.Object(
  {
    port: port(8080, 'HTTP port for the API, the explorer and MQTT over WebSocket at /mqtt'),
    tls: Type.Optional(
      Type.Object(
        {
          cert: pemFile('certificate chain (server certificate first) for HTTPS and WSS'),
          key: pemFile('private key for HTTPS and WSS'),
        },
        {
          additionalProperties: false,
          description:
            'HTTPS and WSS on the HTTP port instead of plain HTTP; absent: plain HTTP. Reloaded on SIGHUP',
        },
      ),
    ),
    websocketOrigins: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description:
        "Browser origins (scheme://host[:port]) allowed to open MQTT over WebSocket besides the server's own; * allows any. Clients that send no Origin (not browsers) are not affected",
    }),
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
      description: 'Most records in one send (split further at kafka.batchMaxBytes)',
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
      description:
        'Replication factor of topics uns-bridge creates; -1: by cluster size, 3 when the cluster has 3 or more brokers, else 1 per broker (docs/decisions/0015)',
    }),
    minInsyncReplicas: Type.Integer({
      minimum: -1,
      default: -1,
      description:
        'min.insync.replicas of topics uns-bridge creates: how many replicas must have a record before Kafka acknowledges it; -1: 2 when the replication factor is 3 or more, else 1',
    }),
    client: OneOf(['platformatic', 'kafkajs'], {
      default: 'platformatic',
      description:
        'Kafka client library: @platformatic/kafka 1.34 (pure TypeScript, 2.4-3.5x the records/s of kafkajs at a third of its CPU), or kafkajs 2.2.4 (the default before 0.2); docs/decisions/0025',
    }),
    compression: OneOf(['none', 'gzip', 'lz4', 'zstd'], {
      default: 'none',
      description:
        'Compression of produced batches (no native code: gzip from node:zlib, lz4 in WebAssembly, zstd only on Node 22.15+)',
    }),
    idempotent: Type.Boolean({
      default: false,
      description:
        "Idempotent producer: the broker drops duplicates of the client's own retries; sends stay one at a time either way",
    }),
    batchMaxBytes: Type.Integer({
      minimum: 1024,
      default: 1_000_000,
      description:
        "A batch is split into produce requests below this many bytes (uncompressed); keep it below the topics' max.message.bytes (broker default 1048588)",
    }),
    producerThread: Type.Boolean({
      default: false,
      description:
        'Run the Kafka producer (record encoding, compression, its sockets) in a worker thread, off the thread that runs the broker and the pipeline; docs/decisions/0063',
    }),
    sparkplugRaw: Type.Boolean({
      default: true,
      description:
        'Write every Sparkplug B message as received to topics.sparkplug (one record per message, for replay and forensics); false leaves that topic out (its cost per message: bench/README.md)',
    }),
    telemetryHeaders: OneOf(['lean', 'full'], {
      default: 'lean',
      description:
        "Headers of routed (telemetry) records. lean: the route's own headers, schema and validation-warning when a schema checked the value, uns-path only when the key is not the path, origin only on topics an inbound route reads back. full adds mqtt-topic, mqtt-qos, mqtt-retain, source, content-type, uns-class and sparkplug-topic (each costs client CPU per record: bench/README.md)",
    }),
    topics: KafkaTopics,
    sasl: Type.Optional(
      Type.Object(
        {
          mechanism: OneOf(['plain', 'scram-sha-256', 'scram-sha-512'], {
            description: 'SASL mechanism (PLAIN sends the password itself: use it with TLS only)',
          }),
          username: Type.String({ minLength: 1, description: 'SASL user' }),
          password: Type.String({
            minLength: 1,
            description: 'SASL password; never shown by --print-config or in logs',
          }),
        },
        { additionalProperties: false, description: 'SASL credentials for Kafka' },
      ),
    ),
    ssl: Type.Boolean({
      default: false,
      description: "TLS to Kafka with the system's CAs (kafka.tls sets files and turns TLS on by itself)",
    }),
    tls: Type.Optional(
      Type.Object(
        {
          ca: Type.Optional(
            Type.String({
              format: 'readable-file',
              description:
                "PEM file of the CA(s) that signed the brokers' certificates (a private CA); the system CAs when unset",
            }),
          ),
          cert: Type.Optional(
            Type.String({
              format: 'readable-file',
              description: 'PEM client certificate, for brokers that require one (mutual TLS); needs key',
            }),
          ),
          key: Type.Optional(
            Type.String({ format: 'readable-file', description: 'PEM private key of cert (unencrypted)' }),
          ),
          rejectUnauthorized: Type.Boolean({
            default: true,
            description: "Verify the brokers' certificates and host names; false is for experiments only",
          }),
        },
        {
          additionalProperties: false,
          dependencies: { cert: ['key'], key: ['cert'] },
          description: 'TLS to Kafka with these files; setting any of them turns TLS on',
        },
      ),
    ),
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

const History = Type.Object(
  {
    ringPoints: Type.Integer({
      minimum: 0,
      default: 60,
      description:
        'Latest points kept in memory per tag for sparklines and the last minutes of history (measured: 1.8 KB per tag at 60 points, 2.7 KB at 120); 0 keeps none',
    }),
    ringMinutes: Type.Integer({
      minimum: 1,
      default: 10,
      description: "Minutes of points kept in memory per tag, counted back from the tag's newest point",
    }),
    scanMaxRecords: Type.Integer({
      minimum: 1,
      default: 500000,
      description:
        'Scan budget of one history read from Kafka: most records looked at (the partition holds other tags too); past it the answer says truncated',
    }),
    scanMaxMs: Type.Integer({
      minimum: 10,
      default: 5000,
      description: 'Scan budget of one history read from Kafka, ms; past it the answer says truncated',
    }),
    maxPoints: Type.Integer({
      minimum: 1,
      default: 100000,
      description: 'Largest `limit` of one history request (points returned)',
    }),
    deadLetters: Type.Integer({
      minimum: 0,
      default: 500,
      description:
        'Latest refused messages kept in memory for GET /api/v1/dlq (the dead-letter topic keeps all)',
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
    headers: Type.Record(Type.String(), Type.String({ description: 'Header value template' }), {
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

const filters = (what: string) =>
  Type.Array(Type.String({ minLength: 1 }), {
    default: [],
    description: `MQTT topic filters ${what}; \${username} and \${clientid} stand for the client's own`,
  })

const Role = Type.Object(
  {
    publish: filters('the role may publish to'),
    subscribe: filters('the role may subscribe to (a requested filter must lie within one) and receive from'),
    read: filters('of UNS paths the role may read over REST, SSE and the explorer'),
    write: filters(
      'of UNS paths (REST writes, uns.commands) and Sparkplug NCMD/DCMD topics the role may write',
    ),
    admin: Type.Boolean({
      default: false,
      description: 'Registry and binding changes, rebirth requests, $SYS topics',
    }),
  },
  { additionalProperties: false },
)

const roleNames = (what: string) =>
  Type.Array(Type.String({ minLength: 1 }), { default: [], description: `Roles of ${what} (security.roles)` })

const User = Type.Object(
  {
    username: Type.String({
      pattern: '^[^+#/\\u0000]{1,256}$',
      description: 'MQTT username, or the certificate CN/SAN that logs in as this user (no +, #, /)',
    }),
    password: Type.String({
      minLength: 1,
      description: 'Hash of the password made by `uns-bridge hash-password` (scrypt$...), never the password',
    }),
    roles: roleNames('the user'),
  },
  { additionalProperties: false },
)

const ApiToken = Type.Object(
  {
    name: Type.String({
      pattern: '^[A-Za-z0-9._-]{1,64}$',
      description: 'Token name (logs and audit trail)',
    }),
    token: Type.String({
      minLength: 1,
      description:
        'Hash of the bearer token made by `uns-bridge hash-password` (scrypt$...); clients send the token itself',
    }),
    roles: roleNames('the token'),
  },
  { additionalProperties: false },
)

const count = (def: number, description: string) => Type.Integer({ minimum: 1, default: def, description })

const Limits = Type.Object(
  {
    mqttConnections: count(
      10000,
      'MQTT connections open at once, all clients together; beyond it a connection is closed at accept or answered CONNACK 3',
    ),
    mqttConnectionsPerUser: count(
      1000,
      'MQTT connections open at once per user or token (anonymous clients count only in the total); beyond it CONNACK 3',
    ),
    publishesPerSecond: count(
      10000,
      'PUBLISH packets per second per client, sustained (token bucket); over it the client is disconnected',
    ),
    publishBurst: count(
      20000,
      'PUBLISH packets a client may send at once after a quiet period (bucket size)',
    ),
    topicMaxLevels: count(
      32,
      'Most levels in a topic or subscription filter (aedes refuses more than 100 whatever this says); a publish over it closes the connection, a filter gets SUBACK 0x80',
    ),
    topicMaxLength: count(1024, 'Most characters in a topic or subscription filter'),
    // aedes reads a client's socket in batches and mostly waits for a batch to be handled before the next
    // read (lib/client.js nextBatch), so a client's in-flight count stays near what a few reads hold; this
    // is the backstop. Lower, it would disconnect a device flushing its offline queue on every
    // reconnect (mqtt.js sends the whole queue at once), and it would never get back in.
    inflightQos1: count(
      10000,
      'QoS 1 PUBLISH packets of one client waiting for their PUBACK (held until Kafka acknowledged them); over it the client is disconnected',
    ),
    retainedMessages: count(
      100000,
      'Retained messages held by the broker; over it a retained publish to a new topic is delivered but not stored',
    ),
    retainedBytes: count(
      67_108_864,
      'Bytes of retained message payloads held by the broker; over it a retained publish is delivered but not stored',
    ),
    sseStreams: count(1000, 'Server-Sent Event streams open at once (GET /api/v1/stream)'),
  },
  { additionalProperties: false, default: {} },
)

const Security = Type.Object(
  {
    anonymous: Type.Boolean({
      default: false,
      description:
        'Admit clients without credentials (with security.anonymousRoles). With no users and no tokens, anonymous clients get full access but host must then be a loopback address unless this is true',
    }),
    anonymousRoles: roleNames('anonymous clients when security.anonymous is true'),
    kafkaRoles: Type.Array(Type.String({ minLength: 1 }), {
      default: [],
      description:
        'Roles of records that Kafka writes into the UNS (kafka.topics.commands and inbound rules): each record needs their `write` grant on its path and is audited under its `source` header (else `kafka`). Empty with security configured: every Kafka write is refused; with nothing configured (open mode) all are allowed',
    }),
    publicMetrics: Type.Boolean({
      default: true,
      description:
        'GET /metrics without credentials (Prometheus scrapers). false: it needs an identity with `read` on $SYS/metrics (admin has it)',
    }),
    users: Type.Array(User, {
      default: [],
      description: 'Users: MQTT username/password or client certificate, HTTP Basic',
    }),
    tokens: Type.Array(ApiToken, {
      default: [],
      description: 'API bearer tokens, stored as hashes',
    }),
    roles: Type.Record(Type.String({ pattern: '^[A-Za-z0-9._-]{1,64}$' }), Role, {
      default: {},
      description: 'Named roles; deny by default, the grants of all roles of an identity add up',
    }),
    jwt: Type.Optional(
      Type.Object(
        {
          jwks: Type.String({
            minLength: 1,
            description: 'JSON Web Key Set that signs the tokens: a file path or an http(s) URL',
          }),
          issuer: Type.Optional(Type.String({ minLength: 1, description: 'Required `iss` claim' })),
          audience: Type.Optional(Type.String({ minLength: 1, description: 'Required `aud` claim' })),
          rolesClaim: Type.String({
            minLength: 1,
            default: 'roles',
            description:
              'Claim with the role names (array or space-separated); a dotted path reaches nested claims (realm_access.roles)',
          }),
          nameClaim: Type.String({
            minLength: 1,
            default: 'sub',
            description: 'Claim naming the identity in logs and the audit trail',
          }),
        },
        {
          additionalProperties: false,
          description: 'JWT bearer tokens for the API, verified against a JWKS; absent: none',
        },
      ),
    ),
    certificateIdentity: OneOf(['cn', 'san'], {
      default: 'cn',
      description:
        'Which part of a verified client certificate names the user: the subject CN, or a DNS/email/URI subject alternative name',
    }),
    audit: Type.Object(
      {
        topic: Type.String({
          minLength: 1,
          default: 'uns.audit',
          description: 'Kafka topic of the audit trail (refusals, writes, registry and binding changes)',
        }),
        logPerSecond: Type.Integer({
          minimum: 0,
          default: 20,
          description: 'Audit log lines per second at most; beyond it they are counted and summarised',
        }),
      },
      { additionalProperties: false, default: {} },
    ),
    limits: Limits,
  },
  { additionalProperties: false, default: {} },
)

const Cluster = Type.Object(
  {
    redis: Type.String({
      default: '',
      pattern: '^(|rediss?://.+)$',
      description:
        'Redis URL (redis:// or rediss://) shared by every instance: MQTT messages, retained messages, subscriptions and persistent sessions go through it (decision 0050); empty runs one process with them in memory. Sentinel and Redis Cluster nodes are not supported yet',
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
    host: Type.String({
      minLength: 1,
      default: '127.0.0.1',
      description:
        'Bind address of MQTT and HTTP; loopback by default. A non-loopback address needs security.users or security.tokens, or security.anonymous: true',
    }),
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
    history: History,
    bridge: Bridge,
    registry: Registry,
    security: Security,
    cluster: Cluster,
    log: Log,
  },
  { additionalProperties: false },
)

export type Config = Static<typeof ConfigSchema>
