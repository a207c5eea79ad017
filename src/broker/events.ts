import type { EventEmitter } from 'node:events'
import type { Aedes } from 'aedes'
import { MqttRefused } from '../errors.js'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import type { ClientAccess } from './client-access.js'

// aedes' own refusal of a topic or filter deeper than its 100-level ceiling, before any of our hooks.
const TOO_DEEP = 'topic has too many levels'

/** Lifecycle and error logging of MQTT clients; per-message detail stays at debug. */
export function observeBroker(aedes: Aedes, logger: Logger, metrics: Metrics, access: ClientAccess): void {
  // aedes emits `error` for failures outside a client (publishing a dead instance's Wills, a persistence
  // error while queueing): without a listener the EventEmitter throws and the process dies (seen when a
  // survivor refused a dead instance's Will, decision 0050).
  ;(aedes as unknown as EventEmitter).on('error', (err: Error) => logger.error({ err }, 'MQTT broker error'))
  aedes.on('client', (client) => {
    metrics.mqttClients.inc()
    metrics.mqttConnections.inc()
    access.connected(client)
    logger.debug({ clientId: client.id }, 'MQTT client connected')
  })
  aedes.on('clientDisconnect', (client) => {
    metrics.mqttClients.dec()
    // After the client's Will was authorised (aedes does that first): its Sparkplug edge node is free again.
    access.disconnected(client)
    logger.debug({ clientId: client.id }, 'MQTT client disconnected')
  })
  aedes.on('clientError', (client, err) => {
    // Our own refusals were counted and audited (rate-limited log) where they were decided.
    if (err instanceof MqttRefused) return
    if (err.message === TOO_DEEP) {
      access.refused(client, 'publish', '(topic or filter)', 'topic_limit', `${TOO_DEEP} (more than 100)`)
      return
    }
    logger.warn(
      { clientId: client.id, err: { message: err.message } },
      'MQTT client error; connection closed',
    )
  })
  aedes.on('connectionError', (_client, err) => {
    metrics.mqttRejected.inc({ reason: 'malformed' })
    logger.warn({ err: { message: err.message } }, 'MQTT connection error before CONNECT completed')
  })
}
