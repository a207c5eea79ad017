// Coalesces state records per path over a short interval (PRODUCT.md §4): a tag that changes 100
// times a second writes one uns.state record per interval instead of 100, so fast tags do not
// double the Kafka load. Only the latest record per path is kept; telemetry is never coalesced.
// See docs/decisions/0004-state-coalescing.md.
import type { KafkaRecord } from '../kafka/index.js'

export interface StateCoalescer {
  add(record: KafkaRecord): void
  /** Hands every pending record to the producer now. */
  flush(): void
  readonly pending: number
}

export function createStateCoalescer(
  deps: { produce: (records: KafkaRecord[]) => void },
  config: { intervalMs: number },
): StateCoalescer {
  let pending = new Map<string, KafkaRecord>()
  let timer: NodeJS.Timeout | undefined

  const flush = (): void => {
    if (timer) clearTimeout(timer)
    timer = undefined
    if (pending.size === 0) return
    const records = [...pending.values()]
    pending = new Map()
    deps.produce(records)
  }

  return {
    add(record) {
      // Delete first so that Map order follows the latest change (records leave in change order).
      pending.delete(record.key ?? '')
      pending.set(record.key ?? '', record)
      timer ??= setTimeout(flush, config.intervalMs)
    },
    flush,
    get pending() {
      return pending.size
    },
  }
}
