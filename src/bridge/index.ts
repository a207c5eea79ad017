import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import { createKafkaClient, type ConsumerHandle, type KafkaClientConfig } from './kafka-client.js'
import { createBufferedProducer, type BufferedProducerConfig, type LinkState } from './producer.js'
import {
  toDeadLetterRecord,
  toSparkplugRecord,
  toStateRecord,
  toTelemetryRecord,
  type InboundPublish,
  type Rejection,
} from './mqtt-to-kafka.js'
import type { KafkaRecord } from './kafka-client.js'
import type { UnsEvent } from '../uns-event.js'
import { toCommandPublish, type CommandPublish } from './kafka-to-mqtt.js'
import { createStateFollower, type StateRecord } from './state-follower.js'

export type { LinkState } from './producer.js'
export type { InboundPublish, Rejection } from './mqtt-to-kafka.js'
export type { CommandPublish } from './kafka-to-mqtt.js'
export type { StateRecord } from './state-follower.js'
export { createKafkaClient } from './kafka-client.js'
export type {
  ConsumedRecord,
  KafkaClient,
  KafkaClientConfig,
  KafkaRecord,
  TailHandle,
} from './kafka-client.js'

export interface BridgeConfig extends KafkaClientConfig, BufferedProducerConfig {
  readonly instanceId: string
  readonly consumerGroup: string
  readonly topics: {
    readonly telemetry: string
    readonly commands: string
    readonly state: string
    readonly dlq: string
    /** Raw Sparkplug B messages keyed by their Sparkplug topic. */
    readonly sparkplug: string
  }
  /** Random per process: marks this process's own state records. */
  readonly session: string
  /** Longest wait for the state topic to be read to its end at start. */
  readonly restoreTimeoutMs: number
}

export interface BridgeDeps {
  readonly logger: Logger
  readonly metrics: Metrics
  /** Delivers a Kafka command on MQTT; resolves once the broker has it. */
  readonly publish: (message: CommandPublish) => Promise<void>
  /** Applies a state record written by another process (restore at start, then follow). */
  readonly onStateRecord: (record: StateRecord) => void
  /** Why a command's key cannot be an MQTT topic, or undefined. */
  readonly topicProblem: (topic: string) => string | undefined
  /**
   * Writes a command to a UNS path (Sparkplug-backed paths become NCMD/DCMD); 'publish' keeps the
   * plain behaviour (published on MQTT at the key). Absent: every command is published.
   */
  readonly write?: (path: string, payload: Buffer) => Promise<CommandWriteOutcome>
}

/** What the write function did with one commands record. */
export type CommandWriteOutcome = 'publish' | 'written' | 'refused'

export interface KafkaHealth {
  readonly state: LinkState
  readonly consumer: 'running' | 'starting' | 'stopped'
  /** The tree holds everything the state topic held at start (ready waits for it). */
  readonly restored: boolean
  readonly bufferedRecords: number
  readonly lastError?: string
}

export interface Bridge {
  /**
   * Sends an accepted publish to the telemetry topic and its new current value to the state topic.
   * The promise (QoS 1 only) settles when Kafka acknowledged both.
   */
  forward(
    message: InboundPublish,
    event: UnsEvent,
    envelopeJson: string | null,
    headers?: Readonly<Record<string, string>>,
  ): Promise<void> | undefined
  /** Sends a raw Sparkplug message to the sparkplug topic; QoS 1 waits for the ack as above. */
  sparkplugRaw(message: InboundPublish, receivedAt: number): Promise<void> | undefined
  /** Sends a refused publish to the dead-letter topic; QoS 1 waits for the ack as above. */
  deadLetter(message: InboundPublish, rejection: Rejection, receivedAt: number): Promise<void> | undefined
  health(): KafkaHealth
  close(timeoutMs: number): Promise<void>
}

export function createBridge(deps: BridgeDeps, config: BridgeConfig): Bridge {
  const logger = deps.logger.child({ stage: 'bridge' })
  const { metrics } = deps
  const client = createKafkaClient(config, logger.child({ component: 'kafkajs' }))
  const producer = createBufferedProducer(
    {
      client,
      logger,
      onStateChange: (state) => {
        metrics.kafkaConnected.set(state === 'connected' ? 1 : 0)
        if (state === 'connected') void startConsumer()
      },
    },
    config,
  )
  const stateFollower = createStateFollower(
    { client, logger, onRecord: deps.onStateRecord },
    {
      topic: config.topics.state,
      groupId: `${config.consumerGroup}.state.${config.session}`,
      session: config.session,
      restoreTimeoutMs: config.restoreTimeoutMs,
    },
  )
  let consumer: ConsumerHandle | undefined
  let consumerState: KafkaHealth['consumer'] = 'stopped'
  let closed = false

  // The consumer starts once the producer has reached Kafka, and again after a crash kafkajs does
  // not restart by itself.
  async function startConsumer(): Promise<void> {
    if (closed || consumerState !== 'stopped') return
    consumerState = 'starting'
    try {
      await client.ensureTopics([
        { topic: config.topics.telemetry },
        { topic: config.topics.commands },
        { topic: config.topics.dlq },
        { topic: config.topics.sparkplug },
        { topic: config.topics.state, compacted: true },
      ])
      await stateFollower.start()
      consumer = await client.consume({
        groupId: config.consumerGroup,
        topics: [config.topics.commands],
        fromBeginning: false,
        eachRecord: handleCommand,
        onCrash: (err) => {
          logger.warn({ err }, 'Kafka consumer crashed; restarting')
          consumerState = 'stopped'
          consumer = undefined
          setTimeout(() => void startConsumer(), config.reconnectInitialMs)
        },
      })
      consumerState = 'running'
      logger.info({ topic: config.topics.commands, group: config.consumerGroup }, 'Kafka consumer running')
    } catch (err) {
      consumerState = 'stopped'
      logger.warn({ err }, 'Kafka consumer could not start; retrying')
      setTimeout(() => void startConsumer(), config.reconnectMaxMs)
    }
  }

  async function handleCommand(record: Parameters<Parameters<typeof client.consume>[0]['eachRecord']>[0]) {
    const verdict = toCommandPublish(record, config.instanceId, deps.topicProblem)
    if (verdict.kind === 'skip-own-origin') {
      metrics.bridgeRecords.inc({ direction: 'kafka_to_mqtt', result: 'skipped_own_origin' })
      return
    }
    if (verdict.kind === 'invalid') {
      metrics.bridgeRecords.inc({ direction: 'kafka_to_mqtt', result: 'invalid' })
      logger.warn(
        { key: record.key, offset: record.offset, reason: verdict.reason },
        'command record not deliverable',
      )
      return
    }
    const outcome = deps.write ? await deps.write(verdict.publish.topic, verdict.publish.payload) : 'publish'
    if (outcome !== 'publish') {
      metrics.bridgeRecords.inc({ direction: 'kafka_to_mqtt', result: outcome })
      return
    }
    await deps.publish(verdict.publish)
    metrics.bridgeRecords.inc({ direction: 'kafka_to_mqtt', result: 'delivered' })
  }

  /** Queues records; for must-deliver input returns the promise of all their acks. */
  function send(records: KafkaRecord[], mustDeliver: boolean, direction: string): Promise<void> | undefined {
    const acks: Promise<void>[] = []
    for (const record of records) {
      const result = producer.produce(record, mustDeliver)
      if (result.status === 'dropped') {
        metrics.bridgeRecords.inc({ direction, result: 'dropped' })
        continue
      }
      acks.push(
        result.acked.then(
          () => void metrics.bridgeRecords.inc({ direction, result: 'sent' }),
          (err: Error) => {
            metrics.bridgeRecords.inc({ direction, result: 'failed' })
            throw err
          },
        ),
      )
    }
    metrics.bridgeBufferRecords.set(producer.stats().bufferedRecords)
    const all = acks.length === 1 ? (acks[0] as Promise<void>) : Promise.all(acks).then(() => undefined)
    if (mustDeliver) return all
    all.catch(() => {}) // best effort (QoS 0): counted above, nobody waits
    return undefined
  }

  return {
    forward(message, event, envelopeJson, headers) {
      const telemetry = toTelemetryRecord(message, config.topics.telemetry, config.instanceId, headers)
      // A historical value (Sparkplug is_historical) is history only: it must not become the current state.
      if (event.historical === true) return send([telemetry], message.qos > 0, 'mqtt_to_kafka')
      const state = toStateRecord(event, envelopeJson, config.topics.state, config.session)
      return send([telemetry, state], message.qos > 0, 'mqtt_to_kafka')
    },
    sparkplugRaw(message, receivedAt) {
      const record = toSparkplugRecord(message, config.topics.sparkplug, config.instanceId, receivedAt)
      return send([record], message.qos > 0, 'sparkplug_raw')
    },
    deadLetter(message, rejection, receivedAt) {
      const record = toDeadLetterRecord(message, rejection, config.topics.dlq, config.instanceId, receivedAt)
      return send([record], message.qos > 0, 'dead_letter')
    },
    health: () => ({
      state: producer.state,
      consumer: consumerState,
      restored: stateFollower.restored,
      bufferedRecords: producer.stats().bufferedRecords,
      ...(producer.lastError ? { lastError: producer.lastError } : {}),
    }),
    async close(timeoutMs) {
      closed = true
      await consumer?.stop().catch(() => {})
      await stateFollower.stop().catch(() => {})
      await producer.close(timeoutMs)
      await client.close()
    },
  }
}
