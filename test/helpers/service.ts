// Starts a real uns-bridge in this process on free ports, configured the way an operator would:
// through the config loader and UNS_* settings.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Writable } from 'node:stream'
import mqtt, { type MqttClient } from 'mqtt'
import { loadConfig, type Config } from '../../src/config/index.js'
import { createLogger } from '../../src/logger.js'
import { createService, type Service } from '../../src/index.js'

export interface TestService {
  service: Service
  config: Config
  mqttUrl: string
  httpUrl: string
  /** Parsed JSON log lines the service wrote. */
  logs: Record<string, unknown>[]
  connect(clientId?: string): Promise<MqttClient>
  close(): Promise<void>
}

/** `yaml`: settings only a config file can carry (bridge rules), written to a temporary file. */
export async function startService(env: Record<string, string> = {}, yaml?: string): Promise<TestService> {
  let file: string | undefined
  if (yaml !== undefined) {
    file = join(mkdtempSync(join(tmpdir(), 'uns-test-')), 'config.yaml')
    writeFileSync(file, yaml)
  }
  const config = loadConfig({
    ...(file === undefined ? {} : { file }),
    env: {
      UNS_MQTT_PORT: '0',
      UNS_HTTP_PORT: '0',
      UNS_HOST: '127.0.0.1',
      UNS_LOG_LEVEL: 'info',
      // The whole integration suite runs on either Kafka client (UNS_KAFKA_CLIENT=platformatic).
      ...(process.env.UNS_KAFKA_CLIENT ? { UNS_KAFKA_CLIENT: process.env.UNS_KAFKA_CLIENT } : {}),
      ...env,
    },
  })
  const logs: Record<string, unknown>[] = []
  const sink = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const line of chunk.toString().split('\n'))
        if (line) logs.push(JSON.parse(line) as Record<string, unknown>)
      done()
    },
  })
  const service = await createService({ logger: createLogger(config.log.level, sink) }, config)
  const mqttUrl = `mqtt://127.0.0.1:${service.mqttPort}`
  const clients: MqttClient[] = []
  return {
    service,
    config,
    mqttUrl,
    httpUrl: `http://127.0.0.1:${service.httpPort}`,
    logs,
    async connect(clientId) {
      const client = await mqtt.connectAsync(mqttUrl, {
        clientId: clientId ?? `test-${Math.random()}`,
        reconnectPeriod: 0,
      })
      clients.push(client)
      return client
    },
    async close() {
      await Promise.all(clients.map((c) => c.endAsync(true)))
      await service.close()
    },
  }
}

/** Polls `check` until it returns a value other than undefined, or fails after `timeoutMs`. */
export async function eventually<T>(
  check: () => T | undefined | Promise<T | undefined>,
  timeoutMs = 10000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs
  for (;;) {
    const value = await check()
    if (value !== undefined) return value
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`)
    await new Promise((r) => setTimeout(r, 50))
  }
}

/** The next message `client` receives. */
export function nextMessage(client: MqttClient): Promise<{ topic: string; payload: Buffer }> {
  return new Promise((resolve) => client.once('message', (topic, payload) => resolve({ topic, payload })))
}
