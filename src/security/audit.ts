// The audit trail: every refused connect, publish, subscribe or API call, and every write and registry or
// binding change, as one event with who, from where, what, on what, and the outcome. Each event is counted
// (`uns_audit_events_total{action,result}`), logged (refusals at warn), and handed to a sink (the service
// sends it to the Kafka topic `security.audit.topic`). Events carry names, never a password or a token.
import type { Counter } from 'prom-client'
import type { Action } from './identity.js'

/** What an audit event is about: an access-rule action, or a connection attempt. */
export type AuditAction = Action | 'connect'

export interface AuditEvent {
  /** ISO 8601 UTC time of the decision. */
  readonly time: string
  /** Username, token name, `anonymous`, or the name a refused client presented (cut to 256 characters). */
  readonly identity: string
  /** Remote address (`ip:port`), or where a non-network request came from (`kafka:uns.commands`); '' if unknown. */
  readonly address: string
  readonly action: AuditAction
  /** Topic, filter, UNS path or API route; long targets are cut to 1,024 characters. */
  readonly target: string
  readonly result: 'allowed' | 'refused'
  readonly reason?: string
}

/** Receives every event; may be async. A failing sink is counted and logged, never thrown to the caller. */
export type AuditSink = (event: AuditEvent) => void | Promise<void>

export interface AuditLogger {
  info(obj: object, msg: string): void
  warn(obj: object, msg: string): void
}

export interface AuditTrailDeps {
  readonly logger: AuditLogger
  readonly sink?: AuditSink
  /** `metrics.auditEvents` from src/metrics.ts. */
  readonly counter?: Counter<'action' | 'result'>
  readonly now?: () => number
}

export interface AuditTrailOptions {
  /** Log lines per second at most; the rest is counted and summarised in one line. Default 20. */
  readonly logPerSecond?: number
}

export interface AuditTrail {
  /** Records one event; `time` defaults to now. Never throws. */
  record(event: Omit<AuditEvent, 'time'> & { readonly time?: string }): void
  /**
   * Adds a sink after the trail was built: the Kafka bridge, which is built after the broker that needs
   * security (src/index.ts wires it, as it wires the broker's hooks).
   */
  addSink(sink: AuditSink): void
  /** Events whose sink call failed since start. */
  readonly sinkFailures: number
}

const MAX_TARGET = 1024
// A refused client chooses its own username (up to 64 KiB in MQTT); keep what it sent recognisable, not all of it.
const MAX_IDENTITY = 256
const cut = (s: string, max: number): string => (s.length > max ? `${s.slice(0, max)}…` : s)

export function createAuditTrail(deps: AuditTrailDeps, options: AuditTrailOptions = {}): AuditTrail {
  const { logger, counter } = deps
  const sinks: AuditSink[] = deps.sink === undefined ? [] : [deps.sink]
  const now = deps.now ?? Date.now
  const logPerSecond = options.logPerSecond ?? 20
  let windowStart = 0
  let logged = 0
  let suppressed = 0
  let sinkFailures = 0
  let sinkFailureLogged = false

  // A flood of refusals (a client retrying a forbidden publish) must not become a flood of log lines;
  // every event is still counted and still reaches the sink.
  const mayLog = (t: number): boolean => {
    if (t - windowStart >= 1000) {
      if (suppressed > 0)
        logger.warn({ suppressed }, 'audit log lines suppressed (rate limit); all were counted')
      windowStart = t
      logged = 0
      suppressed = 0
    }
    if (logged < logPerSecond) {
      logged++
      return true
    }
    suppressed++
    return false
  }

  const sinkFailed = (err: unknown): void => {
    sinkFailures++
    if (!sinkFailureLogged) {
      sinkFailureLogged = true
      logger.warn({ err }, 'audit sink failed; events are still logged and counted')
    }
  }

  return {
    record(input) {
      const t = now()
      const event: AuditEvent = {
        time: input.time ?? new Date(t).toISOString(),
        identity: cut(input.identity, MAX_IDENTITY),
        address: input.address,
        action: input.action,
        target: cut(input.target, MAX_TARGET),
        result: input.result,
        ...(input.reason === undefined ? {} : { reason: input.reason }),
      }
      counter?.inc({ action: event.action, result: event.result })
      if (mayLog(t)) {
        const fields = {
          identity: event.identity,
          address: event.address,
          action: event.action,
          target: event.target,
          ...(event.reason === undefined ? {} : { reason: event.reason }),
        }
        if (event.result === 'refused') logger.warn(fields, 'access refused')
        else logger.info(fields, 'access audited')
      }
      for (const sink of sinks) {
        try {
          const pending = sink(event)
          if (pending !== undefined) pending.then(undefined, sinkFailed)
        } catch (err) {
          sinkFailed(err)
        }
      }
    },
    addSink(sink) {
      sinks.push(sink)
    },
    get sinkFailures() {
      return sinkFailures
    },
  }
}
