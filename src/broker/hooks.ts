// The one place where aedes' callback hooks meet our hooks (STYLE.md rule 9).
import type {
  AedesPublishPacket,
  AuthorizePublishHandler,
  AuthorizeSubscribeHandler,
  Client,
  ConnectPacket,
  PublishPacket,
} from 'aedes'
import { MqttRefused } from '../errors.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import { matchesFilter, type InboundMessage, type OutgoingMessage } from '../uns/index.js'
import { WILL_GRANT, type ClientAccess, type PublishCheck } from './client-access.js'
import { filterProblem, topicProblem } from './topic-check.js'

/** What the service did with one client PUBLISH. */
export interface PublishOutcome {
  /**
   * Holds the PUBACK and the delivery until it settles (QoS 1: Kafka acknowledged); a rejection
   * disconnects the client so that it sends the message again (at-least-once).
   */
  readonly ack?: Promise<void> | undefined
  /** Messages the broker publishes once the original has been delivered (derived UNS values, copies). */
  readonly republish: readonly OutgoingMessage[]
}

/** Called for every client PUBLISH before it is acknowledged and delivered. */
export type PublishHook = (message: InboundMessage) => PublishOutcome

/**
 * aedes' `authorizePublish` (client publishes and Wills): the broker's checks, then `access` (identity,
 * rules, Sparkplug guard, limits), then the hook. A refusal closes the connection [MQTT-3.3.5-2]. The
 * hook's republishes wait in `after` for the original packet (same object) to reach aedes' `published`.
 */
export function authorizePublishHook(
  deps: {
    logger: Logger
    metrics: Metrics
    onPublish: () => PublishHook | undefined
    after: WeakMap<PublishPacket, readonly OutgoingMessage[]>
    /** Security; absent only in tests of the hook alone. */
    access?: ClientAccess | undefined
    /**
     * Forgets a Will another instance stored in Redis (decision 0050) that is refused here: aedes retries the
     * Wills it could not publish, so a refused one would come back every pass and hold back the Wills after it.
     */
    dropStoredWill?: (will: PublishPacket) => void
    /** Stored Wills one at a time (createWillTurns); absent in tests of the hook alone. */
    willTurns?: WillTurns | undefined
  },
  config: {
    maxPayloadBytes: number
    /** QoS 1 publishes per client waiting for their PUBACK. */ inflightQos1?: number
  },
): AuthorizePublishHandler {
  const { logger, metrics, access } = deps
  const refuse = (
    client: Client | null,
    topic: string,
    reason: string,
    message: string,
    done: (e: Error) => void,
  ) => {
    if (access !== undefined) access.refused(client, 'publish', topic, reason, message)
    else {
      metrics.mqttRejected.inc({ reason })
      logger.warn({ clientId: client?.id, reason }, message)
    }
    done(new MqttRefused([client?.id ?? '', message]))
  }
  const authorize: AuthorizePublishHandler = (client, packet, done) => {
    // A refusal ends the connection: MQTT 3.1.1 has no negative PUBACK.
    const problem = client ? topicProblem(packet.topic) : undefined
    if (problem !== undefined) return refuse(client, packet.topic, 'invalid_topic', problem, done)
    const payload = Buffer.isBuffer(packet.payload) ? packet.payload : Buffer.from(packet.payload)
    if (payload.length > config.maxPayloadBytes) {
      return refuse(
        client,
        packet.topic,
        'payload_too_large',
        `payload of ${payload.length} bytes exceeds mqtt.maxPayloadBytes`,
        done,
      )
    }
    let settle = done
    if (access !== undefined) {
      const check: PublishCheck = {
        topic: packet.topic,
        qos: packet.qos,
        retain: packet.retain,
        payloadBytes: payload.length,
        ...(client === null
          ? { willGrantedAtConnect: (packet as { [WILL_GRANT]?: boolean })[WILL_GRANT] === true }
          : {}),
      }
      const refusal = access.checkPublish(client, check)
      if (refusal !== undefined) {
        if (client === null) deps.dropStoredWill?.(packet)
        return done(new MqttRefused([client?.id ?? '', refusal]))
      }
      packet.retain = check.retain
      // In flight: held for Kafka's acknowledgement (decision 0001). A Will has no PUBACK to wait for.
      const inflight = packet.qos === 1 && client?.closed === false ? access.inflight(client) : undefined
      if (inflight !== undefined) {
        const max = config.inflightQos1 ?? Infinity
        if (inflight.count >= max) {
          return refuse(
            client,
            packet.topic,
            'inflight_limit',
            `more than ${max} QoS 1 publishes wait for their PUBACK (security.limits.inflightQos1); disconnected`,
            done,
          )
        }
        inflight.count++
        settle = (err) => {
          inflight.count--
          done(err)
        }
      }
    }
    const onPublish = deps.onPublish()
    if (onPublish === undefined) return settle(null)
    metrics.mqttPublishes.inc({ qos: packet.qos })
    const startedAt = packet.qos > 0 ? performance.now() : 0
    const outcome = onPublish({
      topic: packet.topic,
      payload,
      qos: packet.qos,
      retain: packet.retain,
      clientId: client?.id ?? '',
    })
    if (outcome.republish.length > 0) deps.after.set(packet, outcome.republish)
    if (outcome.ack === undefined) return settle(null)
    outcome.ack.then(
      () => {
        if (startedAt > 0) metrics.pubackDelay.observe((performance.now() - startedAt) / 1000)
        settle(null)
      },
      (err: Error) => {
        deps.after.delete(packet)
        settle(err)
      },
    )
  }
  const turns = deps.willTurns
  if (turns === undefined) return authorize
  // aedes calls this with no client for the Wills another instance left in Redis (decision 0050).
  return (client, packet, done) => {
    if (client !== null) return authorize(client, packet, done)
    turns.take(packet, (release) =>
      authorize(client, packet, (err) => {
        if (err) release() // refused: never published, the next Will goes on
        done(err)
      }),
    )
  }
}

/**
 * The Wills a dead instance left in Redis, one at a time. aedes publishes them concurrently (`_clearWills`),
 * each takes the broker's next counter when it is published, and a client is delivered a packet only when
 * its counter is above the last one it got from that broker (aedes `dedupe`). A retained Will (the host's
 * STATE) waits for the retained store before it is emitted, so a plain Will published after it could reach a
 * subscriber first, and the STATE Will was then dropped as a duplicate (ha-wills.test.ts, intermittent).
 * So the next Will is authorized only once the previous one has been handed to its subscribers (`published`),
 * was refused, or after `boundMs`.
 */
export interface WillTurns {
  /** Calls `go` when it is this Will's turn; the turn ends at `published(will)`, at `release()`, or at the bound. */
  take(will: object, go: (release: () => void) => void): void
  published(will: object): void
}

export function createWillTurns(boundMs = 5000): WillTurns {
  let turn: Promise<void> = Promise.resolve()
  const releases = new WeakMap<object, () => void>()
  return {
    take(will, go) {
      turn = turn.then(
        () =>
          new Promise<void>((done) => {
            // A lost Will must not keep a stopping process alive for the bound either.
            const timer = setTimeout(() => release(), boundMs).unref()
            const release = (): void => {
              clearTimeout(timer)
              releases.delete(will)
              done()
            }
            releases.set(will, release)
            go(release)
          }),
      )
    },
    published: (will) => releases.get(will)?.(),
  }
}

/**
 * aedes' `published`, called once a packet has been handed to every matching subscription. Derived
 * messages go out only now, one after the other: aedes delivers a packet to a client only when its
 * counter is above the last one that client got (per-client de-duplication), so a republish created
 * before its original, or overtaking it, would be dropped for a client whose filters match both
 * (a `#` subscriber).
 */
export function publishedHook(deps: {
  logger: Logger
  after: WeakMap<PublishPacket, readonly OutgoingMessage[]>
  publish: (message: OutgoingMessage) => Promise<void>
  willTurns?: WillTurns | undefined
}): (packet: PublishPacket, client: Client | null, done: (err?: Error) => void) => void {
  return (packet, _client, done) => {
    deps.willTurns?.published(packet)
    const republish = deps.after.get(packet)
    done()
    if (republish === undefined) return
    deps.after.delete(packet)
    void (async () => {
      for (const m of republish) {
        await deps
          .publish(m)
          .catch((err: unknown) => deps.logger.warn({ err, topic: m.topic }, 'republish failed'))
      }
    })()
  }
}

const CERTIFICATES = '$sparkplug/certificates/'

/**
 * aedes' `authorizeForward`, for every delivery, live and retained. aedes keeps `$` topics from live
 * subscriptions that start with a wildcard, but its retained store answers `#` with `$` topics too:
 * [MQTT-4.7.2-1] a filter starting with a wildcard does not match a topic starting with `$`, so such a
 * message goes only to a client holding a filter that names the `$` level. Then `allowed` (the client's
 * `subscribe` grants): a message never reaches a subscriber outside its grants, retained ones included.
 */
export function authorizeForwardHook(
  allowed?: (client: Client, topic: string) => boolean,
): (client: Client, packet: AedesPublishPacket) => AedesPublishPacket | null {
  return (client, packet) => {
    let out = packet
    if (packet.topic.charCodeAt(0) === 36) {
      const levels = packet.topic.split('/')
      const filters = Object.keys(
        (client as unknown as { subscriptions: Record<string, unknown> }).subscriptions,
      )
      const named = filters.some((f) => f.charCodeAt(0) === 36 && matchesFilter(f.split('/'), levels))
      if (!named) return null
      // A Sparkplug-aware broker delivers the birth certificate copies retained, also live
      // [tck-id-conformance-mqtt-aware-nbirth-mqtt-retain, -dbirth-mqtt-retain].
      if (packet.topic.startsWith(CERTIFICATES) && !packet.retain) out = { ...packet, retain: true }
    }
    if (allowed !== undefined && !allowed(client, packet.topic)) return null
    return out
  }
}

/**
 * aedes' `authorizeSubscribe`: a filter that is not well-formed MQTT text closes the connection; a
 * well-formed one goes to `next` (the client's grants: SUBACK 0x80 when refused).
 */
export function checkSubscribeHook(
  deps: { logger: Logger; metrics: Metrics },
  next?: AuthorizeSubscribeHandler,
): AuthorizeSubscribeHandler {
  return (client, sub, done) => {
    const problem = filterProblem(sub.topic)
    if (problem === undefined) return next ? next(client, sub, done) : done(null, sub)
    deps.metrics.mqttRejected.inc({ reason: 'invalid_topic' })
    deps.logger.warn({ clientId: client?.id, reason: problem }, 'subscription refused')
    done(new Error(problem), null)
  }
}

/** aedes' `preConnect`: a will on a topic a client may not publish to refuses the CONNECT. */
export function checkWillHook(deps: { logger: Logger; metrics: Metrics }) {
  return (_client: Client, packet: ConnectPacket, done: (err: Error | null, ok: boolean) => void): void => {
    const problem = packet.will ? topicProblem(packet.will.topic) : undefined
    if (problem === undefined) return done(null, true)
    deps.metrics.mqttRejected.inc({ reason: 'invalid_topic' })
    deps.logger.warn({ reason: problem }, 'CONNECT refused: will topic')
    done(new Error(`will ${problem}`), false)
  }
}
