import type { Aedes } from 'aedes'
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'

/** Lifecycle and error logging of MQTT clients; per-message detail stays at debug. */
export function observeBroker(aedes: Aedes, logger: Logger, metrics: Metrics): void {
  aedes.on('client', (client) => {
    metrics.mqttClients.inc()
    metrics.mqttConnections.inc()
    logger.debug({ clientId: client.id }, 'MQTT client connected')
  })
  aedes.on('clientDisconnect', (client) => {
    metrics.mqttClients.dec()
    logger.debug({ clientId: client.id }, 'MQTT client disconnected')
  })
  aedes.on('clientError', (client, err) => {
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
