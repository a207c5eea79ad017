// The MQTT fabric across instances (decision 0050): aedes' own scale-out, not a cluster of ours.
// mqemitter-redis carries every publish between broker processes over Redis pub/sub;
// aedes-persistence-redis keeps retained messages, subscriptions and QoS 1 session queues in Redis,
// so a clean=false client may reconnect to any instance. Unset (`cluster.redis` empty): aedes'
// in-memory defaults, one process.
import { createRequire } from 'node:module'
import { Redis } from 'ioredis'
import type { Logger } from '../logger.js'

const require = createRequire(import.meta.url)
/** aedes' broker heartbeat on `$SYS/<id>/heartbeat` between instances, ms. */
export const HEARTBEAT_MS = 5000
/** Queued QoS 1 messages a reconnecting persistent session gets at once (aedes-persistence-redis `maxSessionDelivery`). */
const SESSION_DELIVERY_MAX = 100_000

export interface RedisHealth {
  /** `ready` when all three connections (pub, sub, persistence) are ready. */
  readonly state: 'ready' | 'connecting' | 'disconnected' | 'closed'
  readonly lastError?: string
}

export interface RedisFabric {
  /** aedes `mq`, `persistence` and `heartbeatInterval` options. */
  readonly options: { mq: unknown; persistence: unknown; heartbeatInterval: number }
  health(): RedisHealth
  /** After aedes closed (it quits the mq connections itself): ends the persistence connection. */
  close(): Promise<void>
}

/** Redis URL with the password hidden, for logs. */
export function redactRedisUrl(url: string): string {
  try {
    const u = new URL(url)
    if (u.password) u.password = '***'
    return u.toString()
  } catch {
    return '(unparsable URL)'
  }
}

export function createRedisFabric(deps: { logger: Logger }, url: string): RedisFabric {
  const logger = deps.logger.child({ redis: redactRedisUrl(url) })
  let lastError: string | undefined
  let closed = false
  const connect = (role: string): Redis => {
    // maxRetriesPerRequest null: commands wait for the reconnect instead of failing after 20 tries,
    // so a Redis restart delays deliveries rather than dropping them.
    const conn = new Redis(url, { maxRetriesPerRequest: null, lazyConnect: false })
    let logged = false
    conn.on('error', (err: Error) => {
      lastError = `${role}: ${err.message}`
      // Logged once per outage: ioredis retries every few hundred ms.
      if (!logged) logger.warn({ role, err: err.message }, 'Redis connection error; retrying')
      logged = true
    })
    conn.on('ready', () => {
      if (logged) logger.info({ role }, 'Redis connection restored')
      logged = false
    })
    // mqemitter-redis closes with `quit()` and no catch; ioredis rejects it with "Connection is closed."
    // when the socket closes before the reply, an unhandled rejection at shutdown (seen in tests and in
    // bench/redis-fanout.bench.ts). Closing is what was asked for: that rejection is dropped.
    const quit = conn.quit.bind(conn)
    conn.quit = ((...args: Parameters<typeof quit>) => {
      const closing = quit(...args)
      closing.catch(() => {})
      return closing
    }) as typeof conn.quit
    return conn
  }
  const pubConn = connect('publish')
  const subConn = connect('subscribe')
  const db = connect('persistence')
  const mqemitterRedis = require('mqemitter-redis') as (opts: object) => unknown
  const persistenceRedis = require('aedes-persistence-redis') as (opts: object) => {
    destroy(): Promise<void>
  }
  const mq = mqemitterRedis({ pubConn, subConn })
  // aedes-persistence-redis sends a reconnecting clean=false client at most `maxSessionDelivery` of its queued
  // messages (default 1,000); the rest stay in Redis until its next CONNECT. A subscriber that moves off a
  // dead instance under load has more queued than that (the HA test lost 290 of ~1,400 that way).
  const persistence = persistenceRedis({ conn: db, maxSessionDelivery: SESSION_DELIVERY_MAX })
  const conns = [pubConn, subConn, db]
  return {
    // aedes publishes the stored Last Wills of a broker whose heartbeat stopped for 3 intervals (aedes.js
    // _clearWills): a SIGKILLed instance's STATE Will (offline) and its edge nodes' NDEATHs reach the plant
    // after 15-20 s instead of 3-4 min with the 60 s default [tck-id-host-topic-phid-death-required].
    // The cost is one small message per instance per interval through Redis.
    options: { mq, persistence, heartbeatInterval: HEARTBEAT_MS },
    health() {
      if (closed) return { state: 'closed' }
      const statuses = conns.map((c) => c.status)
      const state = statuses.every((s) => s === 'ready')
        ? 'ready'
        : statuses.some((s) => s === 'end' || s === 'close' || s === 'reconnecting')
          ? 'disconnected'
          : 'connecting'
      return state === 'ready' ? { state } : { state, ...(lastError ? { lastError } : {}) }
    },
    async close() {
      if (closed) return
      closed = true
      // The promise form: the callback form waits for a `ready` event that only the callback-era
      // setup emits, and aedes 1.2 calls the async setup() (it would never resolve).
      await persistence.destroy().catch(() => {})
      for (const c of conns) if (c.status !== 'end') c.disconnect()
    },
  }
}
