// The embedded broker alone (no pipeline, no Kafka) with the default config, listening on a free
// loopback port: for tests of the broker's own behaviour.
import { createBroker, type Broker } from '../../src/broker/index.js'
import { loadConfig } from '../../src/config/index.js'
import { createLogger } from '../../src/logger.js'
import { createMetrics } from '../../src/metrics.js'
import { createSecurity } from '../../src/security/index.js'

export async function startBroker(): Promise<Broker> {
  const config = loadConfig({ env: {} })
  const logger = createLogger('silent')
  const security = await createSecurity(
    { logger, auditSink: () => {} },
    { security: config.security, sparkplugHostId: 'uns-bridge' },
  )
  const broker = await createBroker(
    { logger, metrics: createMetrics(), security },
    {
      host: '127.0.0.1',
      port: 0,
      plaintext: true,
      maxPayloadBytes: config.mqtt.maxPayloadBytes,
      limits: config.security.limits,
      certificateIdentity: config.security.certificateIdentity,
    },
  )
  await broker.listen()
  return broker
}
