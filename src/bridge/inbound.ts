// Kafka -> MQTT: one consumer group over the inbound routes (uns.commands and rules). Each record is
// delivered (a write to a Sparkplug tag, or an MQTT publish) before kafkajs commits its offset
// (PRODUCT.md §5); records carrying this instance's origin are never bridged back.
import type { Logger } from '../logger.js'
import type { Metrics } from '../metrics.js'
import { createBackoff, type ConsumedRecord, type ConsumerHandle, type KafkaClient } from '../kafka/index.js'
import type { OutgoingMessage } from '../uns/index.js'
import { toCommandPublish } from './kafka-to-mqtt.js'
import type { Router } from './rules.js'

/** What the write function did with one commands record. */
export type CommandWriteOutcome = 'publish' | 'written' | 'refused'

/** Where a command record came from, for the access check and the audit trail. */
export interface CommandOrigin {
  /** The Kafka topic it was read from. */
  readonly topic: string
  /** Its `source` header (who wrote it, as the producer claims), if any. */
  readonly source: string | undefined
}

export interface InboundDeps {
  readonly client: KafkaClient
  readonly logger: Logger
  readonly metrics: Metrics
  readonly router: Router
  /** Delivers a record on MQTT; resolves once the broker has it. */
  readonly publish: (message: OutgoingMessage) => Promise<void>
  /** Why a record's topic cannot be an MQTT topic, or undefined. */
  readonly topicProblem: (topic: string) => string | undefined
  /** Writes a command to a UNS path (Sparkplug tags: NCMD/DCMD); 'publish': publish it as it is. */
  readonly write?: (path: string, payload: Buffer, origin: CommandOrigin) => Promise<CommandWriteOutcome>
  /** Runs before the consumer (re)starts: topics, the state follower. */
  readonly beforeStart: () => Promise<void>
}

export interface InboundConfig {
  readonly instanceId: string
  readonly consumerGroup: string
  readonly reconnectInitialMs: number
  readonly reconnectMaxMs: number
}

export interface Inbound {
  readonly state: 'running' | 'starting' | 'stopped'
  /** Why the consumer is not running (its last start failure or crash); undefined while it runs. */
  readonly lastError: string | undefined
  /** Starts the consumer unless it runs; retries with backoff until it does. */
  start(): void
  stop(): Promise<void>
}

export function createInbound(deps: InboundDeps, config: InboundConfig): Inbound {
  const { client, logger, metrics, router } = deps
  const backoff = createBackoff({ initialMs: config.reconnectInitialMs, maxMs: config.reconnectMaxMs })
  let consumer: ConsumerHandle | undefined
  let state: Inbound['state'] = 'stopped'
  let lastError: string | undefined
  let stopped = false
  let timer: NodeJS.Timeout | undefined

  const retryLater = (): void => {
    timer = setTimeout(() => void start(), backoff.nextDelayMs())
  }

  async function start(): Promise<void> {
    if (stopped || state !== 'stopped') return
    state = 'starting'
    try {
      await deps.beforeStart()
      consumer = await client.consume({
        groupId: config.consumerGroup,
        topics: router.inbound.map((r) => r.source),
        fromBeginning: false,
        eachRecord: handle,
        onCrash: (err) => {
          logger.warn({ err }, 'Kafka consumer crashed; restarting')
          lastError = `crashed: ${err.message}`
          state = 'stopped'
          consumer = undefined
          retryLater()
        },
      })
      state = 'running'
      lastError = undefined
      backoff.reset()
      logger.info(
        { routes: router.inbound.map((r) => r.name), group: config.consumerGroup },
        'Kafka consumer running',
      )
    } catch (err) {
      state = 'stopped'
      lastError = (err as Error).message
      logger.warn({ err }, 'Kafka consumer could not start; retrying')
      retryLater()
    }
  }

  async function handle(record: ConsumedRecord): Promise<void> {
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
    const origin = { topic: record.topic, source: record.headers['source'] }
    const outcome = deps.write
      ? await deps.write(verdict.publish.topic, verdict.publish.payload, origin)
      : 'publish'
    if (outcome !== 'publish') return count(outcome)
    await deps.publish(verdict.publish)
    count('delivered')
  }

  return {
    get state() {
      return state
    },
    get lastError() {
      return lastError
    },
    start: () => void start(),
    async stop() {
      stopped = true
      clearTimeout(timer)
      await consumer?.stop().catch(() => {})
    },
  }
}
