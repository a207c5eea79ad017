// Who each MQTT client is and what it may do: the broker's side of src/security. One state per aedes
// client (its identity, token bucket, in-flight count), made at CONNECT and gone with the client. Every
// refusal is counted in `uns_mqtt_rejected_total{reason}` and goes to the audit trail (which counts it in
// `uns_audit_events_total` and logs it, rate-limited) with identity, address, action and target.
import type { Socket } from 'node:net'
import type { Duplex } from 'node:stream'
import { TLSSocket } from 'node:tls'
import type { AuthenticateError, AuthenticateHandler, AuthorizeSubscribeHandler, Client } from 'aedes'
import { MqttRefused } from '../errors.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import {
  createConnectionLimiter,
  createTokenBucket,
  internalIdentity,
  peerCertificateIdentities,
  topicLimitProblem,
  type AuditAction,
  type CertificateIdentityMode,
  type ClientSession,
  type Security,
  type TokenBucket,
} from '../security/index.js'
import { createRetainedCount } from './retained.js'

/** `security.limits` as the broker applies them (docs/configuration.md has each one's default). */
export interface BrokerLimits {
  readonly mqttConnections: number
  readonly mqttConnectionsPerUser: number
  readonly publishesPerSecond: number
  readonly publishBurst: number
  readonly topicMaxLevels: number
  readonly topicMaxLength: number
  readonly inflightQos1: number
  readonly retainedMessages: number
  readonly retainedBytes: number
}

export interface ClientAccessConfig {
  readonly limits: BrokerLimits
  /** `security.certificateIdentity`: which part of a verified client certificate names the user. */
  readonly certificateIdentity: CertificateIdentityMode
}

/** What the publish hook needs to know about one client PUBLISH (its Will too). */
/** The property of a stored Will (persisted with it in Redis) that says it was granted at CONNECT. */
export const WILL_GRANT = 'unsWillGranted'

export interface PublishCheck {
  readonly topic: string
  /** A Will that another instance stored in Redis and this one publishes for it (no client): its grant at CONNECT. */
  readonly willGrantedAtConnect?: boolean
  readonly qos: number
  retain: boolean
  readonly payloadBytes: number
}

export interface ClientAccess {
  /** aedes `authenticate`: CONNACK 4 (bad credentials), 5 (not authorised), 3 (busy, connection limit). */
  readonly authenticate: AuthenticateHandler
  /** aedes `authorizeSubscribe`: a refused filter gets SUBACK 0x80, the others are granted. */
  readonly authorizeSubscribe: AuthorizeSubscribeHandler
  /**
   * Checks one PUBLISH after the broker's own checks; returns why it is refused (already counted and
   * audited; the caller disconnects the client [MQTT-3.3.5-2]), or undefined. Over the retained limits the
   * message is delivered without being retained (`retain` cleared), which is counted and audited too.
   */
  checkPublish(client: Client | null, packet: PublishCheck): string | undefined
  /** Whether a message (live or retained) may be delivered to this client. */
  forward(client: Client, topic: string): boolean
  /** Counts and audits a refusal the broker decided itself (reserved topic, payload size, in flight). */
  refused(client: Client | null, action: AuditAction, target: string, reason: string, message: string): void
  /** Counts and audits a connection refused before MQTT (TLS handshake, connection limit at accept). */
  refusedConnection(address: string, reason: string, message: string): void
  /** QoS 1 publishes of this client waiting for their PUBACK; undefined for in-process clients (no limit). */
  inflight(client: Client | null): { count: number } | undefined
  /**
   * Marks a stream as one of uns-bridge's own in-process clients: it connects as `internalIdentity(name)`
   * and is forwarded only the topics `actsOn` accepts (all when absent).
   */
  markInternal(stream: Duplex, name: string, actsOn?: (topic: string) => boolean): void
  /** Follows what aedes stored retained (its `publish` event). */
  notePublished(topic: string, retain: boolean, payloadBytes: number): void
  /** aedes `client` / `clientDisconnect` events: keeps the Sparkplug guard right. */
  connected(client: Client): void
  disconnected(client: Client): void
}

interface ClientState {
  readonly session: ClientSession
  /** Absent for in-process clients, which no limit applies to. */
  readonly bucket: TokenBucket | undefined
  /** An in-process client's own filter of what it reads (markInternal). */
  readonly actsOn?: ((topic: string) => boolean) | undefined
  readonly inflight: { count: number }
  /** Set by the first refused publish: the rest of the packets already read are dropped without another record. */
  refused: boolean
}

const RETURN_CODE = { bad_credentials: 4, not_authorized: 5, busy: 3 } as const

export function createClientAccess(
  deps: { security: Security; metrics: Metrics; logger: Logger },
  config: ClientAccessConfig,
): ClientAccess {
  const { security, metrics, logger } = deps
  const { limits } = config
  const states = new WeakMap<Client, ClientState>()
  const internal = new WeakMap<object, { name: string; actsOn?: ((topic: string) => boolean) | undefined }>()
  const limiter = createConnectionLimiter({
    total: limits.mqttConnections,
    perIdentity: limits.mqttConnectionsPerUser,
  })
  const retained = createRetainedCount({
    maxMessages: limits.retainedMessages,
    maxBytes: limits.retainedBytes,
  })
  const topicLimits = { maxLevels: limits.topicMaxLevels, maxLength: limits.topicMaxLength }
  const bucketConfig = { ratePerSecond: limits.publishesPerSecond, burst: limits.publishBurst }

  const record = (
    identity: string,
    address: string,
    action: AuditAction,
    target: string,
    reason: string,
    message: string,
  ): void => {
    metrics.mqttRejected.inc({ reason })
    security.audit.record({ identity, address, action, target, result: 'refused', reason: message })
  }
  const refused = (
    client: Client | null,
    action: AuditAction,
    target: string,
    reason: string,
    message: string,
  ): void => {
    const state = client === null ? undefined : states.get(client)
    // The client is disconnected for this; the rest of the packets it already sent are dropped unrecorded.
    if (state !== undefined && action === 'publish' && client?.closed === false) state.refused = true
    const identity = state?.session.identity.name ?? client?.id ?? 'unknown'
    record(
      identity,
      state?.session.address ?? (client ? addressOf(client) : ''),
      action,
      target,
      reason,
      message,
    )
  }
  // aedes reads the CONNACK code from `returnCode` on the error (its AuthenticateError); nothing else does.
  const connectError = (code: 3 | 4 | 5, clientId: string, message: string): AuthenticateError =>
    Object.assign(new MqttRefused([clientId, message], { returnCode: code }), { returnCode: code })

  // A Will outlives its instance (decision 0050): when an instance dies, a survivor publishes the Wills it
  // left in Redis with no client to check them against (aedes `_clearWills`). Their grant is decided at
  // CONNECT, without auditing (the Will may never be sent), and travels with the stored Will. A Sparkplug
  // STATE Will is only ever carried over for uns-bridge's own host applications.
  const grantWill = (client: Client, session: ClientSession): void => {
    const will = (client as { _will?: { topic: string; [WILL_GRANT]?: boolean } })._will
    if (will === undefined) return
    const { identity, clientId } = session
    will[WILL_GRANT] =
      identity.kind === 'internal' ||
      (!will.topic.startsWith('spBv1.0/STATE/') &&
        security.rules.check({ identity, clientId, action: 'publish', target: will.topic }).allowed)
  }

  const authenticate: AuthenticateHandler = (client, username, password, done) => {
    const own = internal.get(client.conn)
    if (own !== undefined) {
      const session = { identity: internalIdentity(own.name), clientId: client.id, address: 'in-process' }
      const { actsOn } = own
      states.set(client, { session, bucket: undefined, actsOn, inflight: { count: 0 }, refused: false })
      grantWill(client, session)
      return done(null, true)
    }
    const address = addressOf(client)
    const conn = client.conn
    const certificateIdentities =
      conn instanceof TLSSocket ? peerCertificateIdentities(conn, config.certificateIdentity) : undefined
    security
      .authenticate({ username, password, certificateIdentities, address })
      .then((result) => {
        if (!result.ok) {
          // Audited by security.authenticate; counted here.
          metrics.mqttRejected.inc({ reason: result.reason })
          return done(connectError(RETURN_CODE[result.reason], client.id, result.message), null)
        }
        // aedes drops the answer for a client that went away meanwhile: take no connection slot for it.
        if (client.closed) return done(null, false)
        const { identity } = result
        // Anonymous clients share one name; they count in the total only (security.limits.mqttConnectionsPerUser).
        const admission = limiter.acquire(identity.kind === 'anonymous' ? undefined : identity.name)
        if (!admission.ok) {
          record(identity.name, address, 'connect', 'mqtt', 'connection_limit', admission.reason)
          return done(connectError(3, client.id, admission.reason), null)
        }
        conn.once('close', admission.release)
        const session = { identity, clientId: client.id, address }
        states.set(client, {
          session,
          bucket: createTokenBucket(bucketConfig),
          inflight: { count: 0 },
          refused: false,
        })
        grantWill(client, session)
        done(null, true)
      })
      .catch((err: unknown) => {
        logger.error({ err, clientId: client.id }, 'MQTT authentication failed unexpectedly')
        record(username ?? 'anonymous', address, 'connect', 'mqtt', 'error', 'authentication failed')
        done(connectError(3, client.id, 'authentication failed; retry later'), null)
      })
  }

  const authorizeSubscribe: AuthorizeSubscribeHandler = (client, sub, done) => {
    const state = states.get(client)
    if (state === undefined) {
      refused(client, 'subscribe', sub.topic, 'no_session', 'subscribe before authentication')
      return done(null, null)
    }
    if (state.bucket === undefined) return done(null, sub)
    const tooBig = topicLimitProblem(sub.topic, topicLimits)
    if (tooBig !== undefined) {
      refused(client, 'subscribe', sub.topic, 'topic_limit', `filter ${tooBig} (security.limits)`)
      return done(null, null) // SUBACK 0x80 [MQTT-3.9.3-2]
    }
    const decision = security.authorizeSubscribe(state.session, sub.topic) // audited when refused
    if (!decision.allowed) {
      metrics.mqttRejected.inc({ reason: 'subscribe_denied' })
      return done(null, null)
    }
    done(null, sub)
  }

  return {
    authenticate,
    authorizeSubscribe,
    refused,
    checkPublish(client, packet) {
      const state = client === null ? undefined : states.get(client)
      if (client === null && packet.willGrantedAtConnect === true) return undefined
      if (client === null || state === undefined) {
        const message = 'publish without an authenticated client'
        refused(client, 'publish', packet.topic, 'no_session', message)
        return message
      }
      if (state.bucket === undefined) return undefined // uns-bridge's own clients
      // aedes authorises a Will after the connection closed; the client's rate and past refusals do not apply.
      const isWill = client.closed
      if (!isWill && state.refused) return 'the client is being disconnected for an earlier refusal'
      const refuse = (reason: string, message: string): string => {
        refused(client, 'publish', packet.topic, reason, message)
        return message
      }
      if (!isWill && !state.bucket.take()) {
        return refuse(
          'rate_limit',
          `more than ${limits.publishesPerSecond} publishes per second (burst ${limits.publishBurst}, security.limits.publishesPerSecond); disconnected`,
        )
      }
      const tooBig = topicLimitProblem(packet.topic, topicLimits)
      if (tooBig !== undefined) return refuse('topic_limit', `topic ${tooBig} (security.limits)`)
      const decision = security.authorizePublish(state.session, packet.topic) // audited when refused
      if (!decision.allowed) {
        if (!isWill) state.refused = true
        metrics.mqttRejected.inc({ reason: 'publish_denied' })
        return decision.reason
      }
      if (packet.retain) {
        const full = retained.problem(packet.topic, packet.payloadBytes)
        // Counted now, not only when aedes has stored it: the PUBACK goes out before aedes stores, so the
        // client's next publish would otherwise be checked against a count that lags behind. aedes' `publish`
        // event then notes the same topic and size again, which changes nothing.
        if (full === undefined) retained.note(packet.topic, true, packet.payloadBytes)
        else {
          // Delivered, not stored, as EMQX's retainer does at its limits (max_retained_messages: existing
          // topics may be replaced, new ones are not stored; max_payload_size: handled as a normal message).
          packet.retain = false
          const { identity, address } = state.session
          record(
            identity.name,
            address,
            'publish',
            packet.topic,
            'retained_limit',
            `${full}; delivered without retain`,
          )
        }
      }
      return undefined
    },
    forward(client, topic) {
      const state = states.get(client)
      if (state === undefined) return false
      if (state.bucket === undefined) return state.actsOn?.(topic) ?? true
      if (security.authorizeForward(state.session, topic)) return true // audited when refused
      metrics.mqttRejected.inc({ reason: 'forward_denied' })
      return false
    },
    refusedConnection(address, reason, message) {
      record('unknown', address, 'connect', 'mqtt', reason, message)
    },
    inflight(client) {
      const state = client === null ? undefined : states.get(client)
      return state?.bucket === undefined ? undefined : state.inflight
    },
    markInternal(stream, name, actsOn) {
      internal.set(stream, { name, actsOn })
    },
    notePublished: retained.note,
    connected(client) {
      const state = states.get(client)
      if (state !== undefined) security.clientConnected(state.session)
    },
    disconnected(client) {
      security.clientDisconnected(client.id)
    },
  }
}

/** `ip:port` of a socket, a TLS socket or a WebSocket's upgrade request; '' when unknown. */
export function addressOf(client: Pick<Client, 'conn' | 'req'>): string {
  const conn = client.conn as Partial<Socket>
  const socket = conn.remoteAddress !== undefined ? conn : client.req?.socket
  return socketAddress(socket)
}

export function socketAddress(
  socket: Partial<Pick<Socket, 'remoteAddress' | 'remotePort'>> | undefined,
): string {
  if (socket?.remoteAddress === undefined) return ''
  return `${socket.remoteAddress}:${socket.remotePort ?? ''}`
}
