import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import { createKafkaClient, type ConsumerHandle, type KafkaClientConfig } from './kafka-client.js'
import { createBufferedProducer, type BufferedProducerConfig, type LinkState } from './producer.js'
import {
  toDeadLetterRecord,
  toSparkplugRecord,
  toStateRecord,
  toRoutedRecord,
  type InboundPublish,
  type Rejection,
} from './mqtt-to-kafka.js'
import type { KafkaRecord } from './kafka-client.js'
import type { UnsEvent } from '../uns-event.js'
import { toCommandPublish, type CommandPublish } from './kafka-to-mqtt.js'
import { createStateFollower, type StateRecord } from './state-follower.js'
import { createStateCoalescer } from './state-coalescer.js'
import { createRouter, renderOutbound, type InboundRouteConfig, type OutboundRouteConfig } from './rules.js'

export type { LinkState } from './producer.js'
export type { InboundPublish, Rejection } from './mqtt-to-kafka.js'
export type { CommandPublish } from './kafka-to-mqtt.js'
export type { StateRecord } from './state-follower.js'
export { createKafkaClient } from './kafka-client.js'
export { createRecordLocator, type RecordLocation } from './locate.js'
export type { PartitionReadOptions, PartitionReadResult, ReadStart } from './kafka-read.js'
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
  /** Delivers a Kafka command on MQTT; resolves once the broker has it. */
  readonly publish: (message: CommandPublish) => Promise<void>
  /** The namespace class of a tag (routing by class); undefined for undeclared paths. */
  readonly classOf: (path: string) => string | undefined
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
  /** Topics that are missing and may not be created (kafka.createTopics false), or could not be. */
  readonly topicsError?: string
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
      metrics,
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
  const router = createRouter({ ...config, topics: config.topics })
  const stateCoalescer = createStateCoalescer(
    { produce: (records) => void send(records, true, 'state')?.catch(() => {}) },
    { intervalMs: config.stateCoalesceMs },
  )
  let topicsError: string | undefined
  let consumer: ConsumerHandle | undefined
  let consumerState: KafkaHealth['consumer'] = 'stopped'
  let closed = false

  // The consumer starts once the producer has reached Kafka, and again after a crash kafkajs does
  // not restart by itself.
  async function startConsumer(): Promise<void> {
    if (closed || consumerState !== 'stopped') return
    consumerState = 'starting'
    try {
      await prepareTopics()
      await stateFollower.start()
      consumer = await client.consume({
        groupId: config.consumerGroup,
        topics: router.inbound.map((r) => r.source),
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
      logger.info(
        { routes: router.inbound.map((r) => r.name), group: config.consumerGroup },
        'Kafka consumer running',
      )
    } catch (err) {
      consumerState = 'stopped'
      logger.warn({ err }, 'Kafka consumer could not start; retrying')
      setTimeout(() => void startConsumer(), config.reconnectMaxMs)
    }
  }

  /** Creates what is missing (when allowed), or says clearly which topics are missing. */
  async function prepareTopics(): Promise<void> {
    // A topic may be both a route's target and an inbound source (two-way rules): list it once.
    const byName = new Map<string, { topic: string; compacted?: boolean }>()
    for (const t of [
      ...router.outboundTopics.map((topic) => ({ topic })),
      ...router.inbound.flatMap((r) => (typeof r.source === 'string' ? [{ topic: r.source }] : [])),
      { topic: config.topics.dlq },
      { topic: config.topics.sparkplug },
      { topic: config.topics.state, compacted: true },
    ])
      byName.set(t.topic, { ...byName.get(t.topic), ...t })
    const wanted = [...byName.values()]
    const missing = await client.missingTopics(wanted.map((t) => t.topic))
    if (missing.length === 0) return void (topicsError = undefined)
    if (!config.createTopics) {
      topicsError = `topics ${missing.join(', ')} do not exist and kafka.createTopics is false; create them or allow creation`
      logger.error({ missing }, topicsError)
      throw new Error(topicsError)
    }
    try {
      await client.ensureTopics(
        wanted
          .filter((t) => missing.includes(t.topic))
          .map((t) => ({
            ...t,
            partitions: config.topicPartitions,
            replicationFactor: config.replicationFactor,
          })),
      )
      logger.info({ topics: missing }, 'Kafka topics created')
      topicsError = undefined
    } catch (err) {
      topicsError = `creating topics ${missing.join(', ')} failed: ${(err as Error).message}`
      logger.error({ err, missing }, 'Kafka topics could not be created')
      throw err
    }
  }

  async function handleCommand(record: Parameters<Parameters<typeof client.consume>[0]['eachRecord']>[0]) {
    const route = router.inbound.find((r) => r.matches(record.topic))
    if (route === undefined) return
    const count = (result: string): void => {
      metrics.bridgeRecords.inc({ direction: 'kafka_to_mqtt', result })
      metrics.inboundRecords.inc({ route: route.name, result })
    }
    metrics.inboundBytes.inc({ route: route.name }, record.value?.length ?? 0)
    const verdict = toCommandPublish(record, route, config.instanceId, deps.topicProblem)
    if (verdict.kind === 'skip-own-origin') return count('skipped_own_origin')
    if (verdict.kind === 'invalid') {
      count('invalid')
      logger.warn(
        { route: route.name, key: record.key, offset: record.offset, reason: verdict.reason },
        'record not deliverable to MQTT',
      )
      return
    }
    const outcome = deps.write ? await deps.write(verdict.publish.topic, verdict.publish.payload) : 'publish'
    if (outcome !== 'publish') return count(outcome)
    await deps.publish(verdict.publish)
    count('delivered')
  }

  /** Queues records; for must-deliver input returns the promise of all their acks. */
  function send(
    records: KafkaRecord[],
    mustDeliver: boolean,
    direction: string,
    route = direction,
  ): Promise<void> | undefined {
    const acks: Promise<void>[] = []
    const stopTimer = metrics.kafkaProduceSeconds.startTimer({ direction, route })
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
            if (route !== direction) metrics.routeErrors.inc({ route })
            throw err
          },
        ),
      )
    }
    const stats = producer.stats()
    metrics.bridgeBufferRecords.set(stats.bufferedRecords)
    metrics.bridgeBufferBytes.set(stats.bufferedBytes)
    const all = (acks.length === 1 ? (acks[0] as Promise<void>) : Promise.all(acks)).then(
      () => void stopTimer(),
    )
    if (mustDeliver) return all
    all.catch(() => {}) // best effort (QoS 0): counted above, nobody waits
    return undefined
  }

  return {
    forward(message, event, envelopeJson, headers) {
      const records: KafkaRecord[] = []
      let routeName = 'state'
      // A transient value (Sparkplug is_transient) is current but not history: no routed record.
      if (!event.tombstone && event.transient !== true) {
        const tagClass = deps.classOf(event.path)
        const levels = event.path.split('/')
        const route = router.route(levels, tagClass)
        const target =
          route &&
          renderOutbound(route, {
            path: event.path,
            levels,
            clientId: message.clientId,
            class: tagClass ?? '',
          })
        if (route && target) {
          records.push(
            toRoutedRecord(message, { topic: route.topic, ...target }, config.instanceId, tagClass, headers),
          )
          routeName = route.name
          metrics.routeRecords.inc({ route: route.name })
          metrics.routeBytes.inc({ route: route.name }, message.payload.length)
        } else {
          metrics.routeRecords.inc({ route: route ? `${route.name}:unrenderable` : 'unrouted' })
        }
      }
      // A historical value (Sparkplug is_historical) is history only: it must not become the current state.
      if (event.historical !== true) {
        const state = toStateRecord(event, envelopeJson, config.topics.state, config.session)
        if (config.stateCoalesceMs > 0) stateCoalescer.add(state)
        else records.push(state)
      }
      return records.length === 0 ? undefined : send(records, message.qos > 0, 'mqtt_to_kafka', routeName)
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
      ...(topicsError ? { topicsError } : {}),
    }),
    async close(timeoutMs) {
      closed = true
      stateCoalescer.flush()
      await consumer?.stop().catch(() => {})
      await stateFollower.stop().catch(() => {})
      await producer.close(timeoutMs)
      await client.close()
    },
  }
}
