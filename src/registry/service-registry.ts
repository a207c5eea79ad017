// The registry as the service runs it (issue 5 §2). Without Kafka: a memory store, ready at once.
// With Kafka: the service starts at once on an interim registry (built-ins and model subjects) behind
// a deferred proxy, while the background opens the compacted topic with a Kafka client of its own,
// retrying with backoff while Kafka is unreachable, and hands over once the topic is read to its end.
// Start never waits for Kafka, and readiness waits for the hand-over.
import { createBackoff, createKafkaClient, type KafkaClient, type KafkaClientConfig } from '../kafka/index.js'
import type { Logger } from '../logger.js'
import type { NamespaceDefinition } from '../namespace/index.js'
import { createDeferredRegistry } from './deferred.js'
import { createKafkaRegistryStore } from './kafka-store.js'
import { createMemoryStore } from './memory-store.js'
import { createRegistry } from './registry.js'
import type { Registry } from './registry-types.js'
import type { RegistryStore } from './store.js'
import type { BindingPolicy } from './types.js'

const CLOSE_WAIT_MS = 2000

export interface ServiceRegistryConfig {
  /** Policy for declared tags validated against their model field when no binding matches. */
  readonly modelPolicy: BindingPolicy
  /** Absent: no Kafka, the registry lives in memory only. */
  readonly kafka?: KafkaClientConfig & {
    /** The compacted registry topic (kafka.topics.schemas). */
    readonly topic: string
    /** Longest wait to read the topic to its end per attempt, ms. */
    readonly restoreTimeoutMs: number
    /** First and longest wait between attempts while Kafka is unreachable, ms. */
    readonly reconnectInitialMs: number
    readonly reconnectMaxMs: number
  }
}

export interface ServiceRegistryHealth {
  /** `memory`: no Kafka; `restoring`: serving the interim registry; `persistent`: restored from the topic. */
  readonly state: 'memory' | 'restoring' | 'persistent' | 'closed'
  readonly ready: boolean
  readonly topic?: string
  /** Failed attempts to open the topic so far. */
  readonly attempts?: number
  readonly lastError?: string
}

export interface ServiceRegistry {
  /** Stable reference for the pipeline and the API, whichever registry is in charge. */
  readonly registry: Registry
  health(): ServiceRegistryHealth
  /**
   * Kafka was reached by another client (the bridge's producer connected): the next attempt starts
   * now rather than after a backoff delay that grew during the outage (up to reconnectMaxMs).
   */
  retryNow(): void
  /** Stops retrying, closes the registry, its store and its Kafka client; idempotent. */
  close(): Promise<void>
}

export async function createServiceRegistry(
  deps: { readonly logger: Logger; readonly definition: NamespaceDefinition },
  config: ServiceRegistryConfig,
): Promise<ServiceRegistry> {
  const log = deps.logger.child({ stage: 'registry' })
  const models = { definition: deps.definition, policy: config.modelPolicy }
  // The registry scopes its own child logger; hand it the parent so `stage` is not bound twice.
  const interim = await createRegistry({ store: createMemoryStore(), logger: deps.logger }, { models })
  const kafka = config.kafka
  if (kafka === undefined) {
    let closed = false
    return {
      registry: interim,
      health: () => ({ state: closed ? 'closed' : 'memory', ready: !closed }),
      retryNow: () => {},
      async close() {
        closed = true
        await interim.close()
      },
    }
  }

  const deferred = createDeferredRegistry(interim, kafka.topic)
  let closed = false
  let attempts = 0
  let lastError: string | undefined
  let held: { client: KafkaClient; store: RegistryStore; registry: Registry } | undefined
  let wake: (() => void) | undefined
  // Set by retryNow() while an attempt is in flight: the next one follows without a pause.
  let hurry = false
  const backoff = createBackoff({ initialMs: kafka.reconnectInitialMs, maxMs: kafka.reconnectMaxMs })

  const attempt = async (): Promise<boolean> => {
    const client = createKafkaClient(kafka, log.child({ component: 'kafkajs' }))
    let store: RegistryStore | undefined
    try {
      store = await createKafkaRegistryStore(
        { client, logger: log },
        { topic: kafka.topic, loadTimeoutMs: kafka.restoreTimeoutMs },
      )
      const registry = await createRegistry({ store, logger: deps.logger }, { models })
      if (closed) {
        // close() stopped waiting for this attempt; release what it opened.
        await release({ client, store, registry })
        return true
      }
      held = { client, store, registry }
      await deferred.settle(registry)
      lastError = undefined
      log.info({ topic: kafka.topic, subjects: registry.stats().subjects }, 'registry restored from Kafka')
      return true
    } catch (err) {
      attempts += 1
      lastError = (err as Error).message
      await store?.close().catch(() => {})
      await client.close().catch(() => {})
      return false
    }
  }
  const run = async (): Promise<void> => {
    while (!closed && !(await attempt())) {
      if (closed) return
      const delayMs = hurry ? 0 : backoff.nextDelayMs()
      hurry = false
      log.warn(
        { topic: kafka.topic, attempts, lastError, retryInMs: delayMs },
        'registry topic not open; retrying',
      )
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, delayMs)
        wake = () => {
          clearTimeout(timer)
          resolve()
        }
      })
      wake = undefined
    }
  }
  const running = run()
  const release = async (h: NonNullable<typeof held>): Promise<void> => {
    await h.registry.close()
    await h.store.close()
    await h.client.close().catch(() => {})
  }

  let closing: Promise<void> | undefined
  return {
    registry: deferred.registry,
    health() {
      const state = closed ? 'closed' : deferred.persistent ? 'persistent' : 'restoring'
      return {
        state,
        ready: state === 'persistent',
        topic: kafka.topic,
        attempts,
        ...(lastError === undefined ? {} : { lastError }),
      }
    },
    retryNow() {
      if (closed || deferred.persistent) return
      backoff.reset()
      if (wake) wake()
      else hurry = true
    },
    close: () =>
      (closing ??= (async () => {
        closed = true
        wake?.()
        // An attempt in flight may wait for Kafka timeouts; shutdown does not (the attempt cleans up).
        let timer: NodeJS.Timeout | undefined
        await Promise.race([running, new Promise((r) => (timer = setTimeout(r, CLOSE_WAIT_MS)))])
        clearTimeout(timer)
        await deferred.registry.close()
        if (held) await release(held)
      })()),
  }
}
