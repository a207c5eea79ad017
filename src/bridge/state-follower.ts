// Reads the compacted state topic from its beginning (restore) and then follows it, so that a
// restarted instance shows every value again and several instances show the same values.
import type { Logger } from '../logger.js'
import type { ConsumedRecord, KafkaClient, TailHandle } from '../kafka/index.js'

export interface StateRecord {
  readonly path: string
  /** null: the value was deleted (tombstone). */
  readonly value: Buffer | null
  readonly headers: Readonly<Record<string, string>>
}

export interface StateFollower {
  /** True once everything that was in the topic when following started has been applied. */
  readonly restored: boolean
  /** Why the last attempt to restore did not finish (readiness shows it); undefined once restored. */
  readonly lastError: string | undefined
  start(): Promise<void>
  stop(): Promise<void>
}

export function createStateFollower(
  deps: { client: KafkaClient; logger: Logger; onRecord: (record: StateRecord) => void },
  config: { topic: string; groupId: string; session: string; restoreTimeoutMs: number },
): StateFollower {
  let restored = false
  let lastError: string | undefined
  let tail: TailHandle | undefined
  let applied = 0

  const eachRecord = (r: ConsumedRecord): void => {
    // This process applied its own records to the tree when it accepted them.
    if (r.key === null || r.headers['uns-session'] === config.session) return
    applied++
    deps.onRecord({ path: r.key, value: r.value, headers: r.headers })
  }

  return {
    get restored() {
      return restored
    },
    get lastError() {
      return lastError
    },
    async start() {
      if (restored) return
      const started = Date.now()
      try {
        // The tail starts a new reader by itself when kafkajs gives up on one (issue 11 item 8:
        // "Failed to find group coordinator" on a broker that had just started left the state
        // unrestored, and readiness 503, for good).
        tail ??= await deps.client.tail({
          groupId: config.groupId,
          topic: config.topic,
          eachRecord,
          onCrash: (err) => {
            if (!restored) lastError = `reader of ${config.topic} crashed (${err.message}); restarting`
            deps.logger.warn({ err, topic: config.topic }, 'state follower reader crashed; restarting')
          },
        })
        await tail.caughtUp(config.restoreTimeoutMs)
      } catch (err) {
        lastError = `${config.topic} not restored yet: ${(err as Error).message}`
        throw err
      }
      restored = true
      lastError = undefined
      deps.logger.info(
        { topic: config.topic, records: applied, ms: Date.now() - started },
        'state restored from Kafka',
      )
    },
    async stop() {
      await tail?.stop()
      tail = undefined
    },
  }
}
