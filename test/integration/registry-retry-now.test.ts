// After an outage the registry's retry delay may have grown to kafka.reconnectMaxMs (15 s by default);
// the service tells it when the bridge's producer reaches Kafka again, so readiness follows Kafka's
// return rather than that delay (issue 11 item 8).
import { it } from 'node:test'
import assert from 'node:assert/strict'
import { connect, createServer, type Socket } from 'node:net'
import { freePort } from '../../scripts/local-kafka.js'
import { createLogger } from '../../src/logger.js'
import { loadNamespace } from '../../src/namespace/index.js'
import { createServiceRegistry } from '../../src/registry/index.js'
import { testBrokers, uniqueName } from '../helpers/kafka.js'
import { eventually } from '../helpers/service.js'

it('a registry waiting out a long retry delay opens its topic at once when told Kafka is back', async () => {
  const port = await freePort()
  const s = await createServiceRegistry(
    { logger: createLogger('silent'), definition: await loadNamespace('namespace') },
    {
      modelPolicy: 'reject',
      kafka: {
        brokers: [`127.0.0.1:${port}`],
        clientId: 'registry-retry-now-test',
        connectTimeoutMs: 500,
        requestTimeoutMs: 10000,
        ssl: false,
        topic: uniqueName('uns.schemas'),
        restoreTimeoutMs: 30000,
        // With equal jitter the wait after the first failure is 30 to 60 s.
        reconnectInitialMs: 60000,
        reconnectMaxMs: 60000,
      },
    },
  )
  // Kafka "comes back" on that address: a TCP relay to the test run's Kafka. Its metadata then
  // points the client at the broker's own address.
  const [kafkaHost, kafkaPort] = testBrokers().split(':') as [string, string]
  const sockets = new Set<Socket>()
  const relay = createServer((inbound) => {
    const outbound = connect(Number(kafkaPort), kafkaHost)
    for (const sock of [inbound, outbound]) {
      sockets.add(sock)
      sock.on('error', () => {
        inbound.destroy()
        outbound.destroy()
      })
    }
    inbound.pipe(outbound).pipe(inbound)
  })
  try {
    await eventually(() => ((s.health().attempts ?? 0) >= 1 ? true : undefined), 20000)
    assert.equal(s.health().ready, false)
    await new Promise<void>((resolve) => relay.listen(port, '127.0.0.1', resolve))
    const told = Date.now()
    s.retryNow()
    await eventually(() => (s.health().ready ? true : undefined), 25000)
    assert.ok(Date.now() - told < 30000, 'ready before the retry delay alone would have passed')
    assert.equal(s.health().state, 'persistent')
    assert.equal(s.health().lastError, undefined, 'no stale reason once ready')
  } finally {
    await s.close()
    for (const sock of sockets) sock.destroy()
    relay.close()
  }
})
