// Public face of the Kafka bridge: MQTT -> Kafka (outbound.ts), Kafka -> MQTT (inbound.ts), the topics
// it needs (topics.ts) and the state topic it restores from and follows (state-follower.ts).
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import {
  createBufferedProducer,
  createKafkaClient,
  createProducerThread,
  type BufferedProducerConfig,
  type KafkaClientConfig,
  type LinkState,
} from '../kafka/index.js'
import type { OutgoingMessage } from '../uns/index.js'
import { createInbound, type CommandOrigin, type CommandWriteOutcome } from './inbound.js'
import { createOutbound, type Outbound } from './outbound.js'
import { createRouter, type InboundRouteConfig, type OutboundRouteConfig } from './rules.js'
import { createStateFollower, type StateRecord } from './state-follower.js'
import { createTopicPreparer } from './topics.js'

export type { CommandOrigin, CommandWriteOutcome } from './inbound.js'
export type { Forwarding, Placement } from './outbound.js'
export type { StateRecord } from './state-follower.js'
export { createRecordLocator, type RecordLocation } from './locate.js'

export interface BridgeConfig extends KafkaClientConfig, BufferedProducerConfig {
  readonly instanceId: string
  /** Headers of routed records (kafka.telemetryHeaders). */
  readonly telemetryHeaders?: 'lean' | 'full'
  /** Raw Sparkplug records to topics.sparkplug (kafka.sparkplugRaw). */
  readonly sparkplugRaw?: boolean
  /** The producer in a worker thread (kafka.producerThread, decision 0063). */
  readonly producerThread?: boolean
  readonly consumerGroup: string
  readonly routes: readonly OutboundRouteConfig[]
  readonly defaultRoutes: boolean
  readonly inbound: readonly InboundRouteConfig[]
  readonly createTopics: boolean
  readonly topicPartitions: number
  readonly replicationFactor: number
  readonly topics: {
    readonly telemetry: string
    readonly events: string
    readonly alarms: string
    readonly commands: string
    readonly state: string
    readonly dlq: string
    /** Raw Sparkplug B messages keyed by their Sparkplug topic. */
    readonly sparkplug: string
    /** The audit trail (`security.audit.topic`), not compacted. */
    readonly audit: string
  }
  /** Random per process: marks this process's own state records. */
  readonly session: string
  /** Longest wait for the state topic to be read to its end at start. */
  readonly restoreTimeoutMs: number
  /** Coalescing interval of state records; 0: none. */
  readonly stateCoalesceMs: number
}

export interface BridgeDeps {
  readonly logger: Logger
  readonly metrics: Metrics
  /** Delivers a Kafka record on MQTT; resolves once the broker has it. */
  readonly publish: (message: OutgoingMessage) => Promise<void>
  /** Applies a state record written by another process (restore at start, then follow). */
  readonly onStateRecord: (record: StateRecord) => void
  /** Why a command's key cannot be an MQTT topic, or undefined. */
  readonly topicProblem: (topic: string) => string | undefined
  /** Writes a command to a UNS path (Sparkplug tags: NCMD/DCMD); absent: every command is published. */
  readonly write?: (path: string, payload: Buffer, origin: CommandOrigin) => Promise<CommandWriteOutcome>
  /** Told each time the producer (re)connects: other Kafka users may stop waiting out their backoff. */
  readonly onKafkaConnected?: () => void
}

export interface KafkaHealth {
  readonly state: LinkState
  readonly consumer: 'running' | 'starting' | 'stopped'
  /** The tree holds everything the state topic held at start (ready waits for it). */
  readonly restored: boolean
  readonly bufferedRecords: number
  /** Why the producer is not connected. */
  readonly lastError?: string
  /** Why the state topic is not restored yet. */
  readonly restoreError?: string
  /** Why the Kafka -> MQTT consumer is not running. */
  readonly consumerError?: string
  /** Topics that are missing and may not be created (kafka.createTopics false), or could not be. */
  readonly topicsError?: string
}

export interface Bridge extends Omit<Outbound, 'flush'> {
  health(): KafkaHealth
  close(timeoutMs: number): Promise<void>
}

export function createBridge(deps: BridgeDeps, config: BridgeConfig): Bridge {
  const logger = deps.logger.child({ stage: 'bridge' })
  const { metrics } = deps
  const client = createKafkaClient(config, logger.child({ component: 'kafkajs' }))
  const sender =
    config.producerThread === true
      ? createProducerThread(config, logger.child({ component: 'kafka-producer-thread' }))
      : client
  const router = createRouter({ ...config, topics: config.topics })
  const topics = createTopicPreparer({ client, logger, router }, config)
  const stateFollower = createStateFollower(
    { client, logger, onRecord: deps.onStateRecord },
    {
      topic: config.topics.state,
      groupId: `${config.consumerGroup}.state.${config.session}`,
      session: config.session,
      restoreTimeoutMs: config.restoreTimeoutMs,
    },
  )
  // The consumer starts once the producer has reached Kafka, and again after a crash kafkajs does not
  // restart by itself; topics and the state follower come first.
  const inbound = createInbound(
    {
      client,
      logger,
      metrics,
      router,
      publish: deps.publish,
      topicProblem: deps.topicProblem,
      ...(deps.write === undefined ? {} : { write: deps.write }),
      beforeStart: async () => {
        await topics.prepare()
        await stateFollower.start()
      },
    },
    config,
  )
  const producer = createBufferedProducer(
    {
      client: sender,
      logger,
      metrics,
      onStateChange: (state) => {
        metrics.kafkaConnected.set(state === 'connected' ? 1 : 0)
        if (state === 'connected') {
          inbound.start()
          deps.onKafkaConnected?.()
        }
      },
    },
    config,
  )
  const outbound = createOutbound({ producer, metrics, router }, config)

  return {
    forward: outbound.forward,
    sparkplugRaw: outbound.sparkplugRaw,
    deadLetter: outbound.deadLetter,
    audit: outbound.audit,
    health: () => ({
      state: producer.state,
      consumer: inbound.state,
      restored: stateFollower.restored,
      bufferedRecords: producer.stats().bufferedRecords,
      ...(producer.lastError ? { lastError: producer.lastError } : {}),
      ...(topics.error ? { topicsError: topics.error } : {}),
      ...(stateFollower.lastError === undefined ? {} : { restoreError: stateFollower.lastError }),
      ...(inbound.lastError === undefined ? {} : { consumerError: inbound.lastError }),
    }),
    async close(timeoutMs) {
      outbound.flush()
      await inbound.stop()
      await stateFollower.stop().catch(() => {})
      await producer.close(timeoutMs)
      if (sender !== client) await sender.close()
      await client.close()
    },
  }
}
