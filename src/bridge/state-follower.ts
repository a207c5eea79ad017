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
  start(): Promise<void>
  stop(): Promise<void>
}

export function createStateFollower(
  deps: { client: KafkaClient; logger: Logger; onRecord: (record: StateRecord) => void },
  config: { topic: string; groupId: string; session: string; restoreTimeoutMs: number },
): StateFollower {
  let restored = false
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
    async start() {
      if (restored) return
      const started = Date.now()
      tail ??= await deps.client.tail({
        groupId: config.groupId,
        topic: config.topic,
        eachRecord,
        onCrash: (err) =>
          deps.logger.error({ err }, 'state follower stopped after an error Kafka does not retry'),
      })
      await tail.caughtUp(config.restoreTimeoutMs)
      restored = true
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
