// The topics the bridge writes and reads: created when missing and allowed, or a clear not-ready reason.
import type { Logger } from '../logger.js'
import type { KafkaClient } from '../kafka/index.js'
import type { Router } from './rules.js'

export interface TopicsConfig {
  readonly createTopics: boolean
  readonly topicPartitions: number
  /** kafka.sparkplugRaw: false needs no raw Sparkplug topic. */
  readonly sparkplugRaw?: boolean
  readonly topics: {
    readonly state: string
    readonly dlq: string
    readonly sparkplug: string
    readonly audit: string
  }
}

export interface TopicPreparer {
  /** Creates what is missing (when allowed); rejects with the reason otherwise. */
  prepare(): Promise<void>
  /** Missing topics that may not be created (kafka.createTopics false), or could not be. */
  readonly error: string | undefined
}

export function createTopicPreparer(
  deps: { client: KafkaClient; logger: Logger; router: Router },
  config: TopicsConfig,
): TopicPreparer {
  const { client, logger, router } = deps
  let error: string | undefined
  return {
    get error() {
      return error
    },
    async prepare() {
      // A topic may be both a route's target and an inbound source (two-way rules): list it once.
      const byName = new Map<string, { topic: string; compacted?: boolean }>()
      for (const t of [
        ...router.outboundTopics.map((topic) => ({ topic })),
        ...router.inbound.flatMap((r) => (typeof r.source === 'string' ? [{ topic: r.source }] : [])),
        { topic: config.topics.dlq },
        ...(config.sparkplugRaw === false ? [] : [{ topic: config.topics.sparkplug }]),
        // Not compacted: every event is kept for the retention period, not only the last per identity.
        { topic: config.topics.audit },
        { topic: config.topics.state, compacted: true },
      ])
        byName.set(t.topic, { ...byName.get(t.topic), ...t })
      const wanted = [...byName.values()]
      const missing = await client.missingTopics(wanted.map((t) => t.topic))
      if (missing.length === 0) return void (error = undefined)
      if (!config.createTopics) {
        error = `topics ${missing.join(', ')} do not exist and kafka.createTopics is false; create them or allow creation`
        logger.error({ missing }, error)
        throw new Error(error)
      }
      try {
        // Replication comes from the client's config, by cluster size when unset (kafka/replication.ts).
        const replication = await client.ensureTopics(
          wanted
            .filter((t) => missing.includes(t.topic))
            .map((t) => ({ ...t, partitions: config.topicPartitions })),
        )
        logger.info({ topics: missing, ...replication }, 'Kafka topics created')
        error = undefined
      } catch (err) {
        error = `creating topics ${missing.join(', ')} failed: ${(err as Error).message}`
        logger.error({ err, missing }, 'Kafka topics could not be created')
        throw err
      }
    },
  }
}
