// Starts a real uns-bridge in this process on free ports, configured the way an operator would:
// through the config loader and UNS_* settings.
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt, { type MqttClient } from 'mqtt'
import { loadConfig, type Config } from '../../src/config/index.js'
import { createService, type Service } from '../../src/index.js'
import { testBrokers, uniqueName } from './kafka.js'
import { captureLogs } from './logs.js'

export interface TestService {
  service: Service
  config: Config
  mqttUrl: string
  httpUrl: string
  /** Parsed JSON log lines the service wrote. */
  logs: Record<string, unknown>[]
  connect(clientId?: string): Promise<MqttClient>
  /** Resolves once /health/ready would answer 200 (Kafka connected, state restored). */
  ready(timeoutMs?: number): Promise<void>
  close(): Promise<void>
}

/** The Kafka topics of one test service, named uniquely so that tests sharing one Kafka never meet. */
export interface TestTopics {
  readonly telemetry: string
  readonly events: string
  readonly alarms: string
  readonly commands: string
  readonly state: string
  readonly dlq: string
  readonly schemas: string
  readonly sparkplug: string
}

export function uniqueTopics(): TestTopics {
  return {
    telemetry: uniqueName('uns.telemetry'),
    events: uniqueName('uns.events'),
    alarms: uniqueName('uns.alarms'),
    commands: uniqueName('uns.commands'),
    state: uniqueName('uns.state'),
    dlq: uniqueName('uns.dlq'),
    schemas: uniqueName('uns.schemas'),
    sparkplug: uniqueName('uns.sparkplug'),
  }
}

/**
 * Settings of a service on the test run's Kafka: a consumer group of its own, `topics` (new unique ones
 * unless given: pass the same ones to instances that share them), then `overrides`.
 */
export function kafkaEnv(
  overrides: Record<string, string> = {},
  topics: TestTopics = uniqueTopics(),
): Record<string, string> {
  return {
    UNS_KAFKA_BROKERS: testBrokers(),
    UNS_KAFKA_CONSUMER_GROUP: uniqueName('group'),
    UNS_KAFKA_TOPICS_TELEMETRY: topics.telemetry,
    UNS_KAFKA_TOPICS_EVENTS: topics.events,
    UNS_KAFKA_TOPICS_ALARMS: topics.alarms,
    UNS_KAFKA_TOPICS_COMMANDS: topics.commands,
    UNS_KAFKA_TOPICS_STATE: topics.state,
    UNS_KAFKA_TOPICS_DLQ: topics.dlq,
    UNS_KAFKA_TOPICS_SCHEMAS: topics.schemas,
    UNS_KAFKA_TOPICS_SPARKPLUG: topics.sparkplug,
    ...overrides,
  }
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
  const { logger, logs } = captureLogs(config.log.level)
  const service = await createService({ logger }, config)
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
    async ready(timeoutMs = 30000) {
      await eventually(() => (service.health().ready ? true : undefined), timeoutMs)
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
