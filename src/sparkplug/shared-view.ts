// The whole plant's Sparkplug node view across instances (decision 0050, issue 15). Each instance is
// the host application of the edge nodes connected to it only (their publishes enter through it, so
// their seq/bdSeq state machine lives there [tck-id-payloads-sequence-num-req-nbirth]); to show the
// whole plant from any instance, every instance writes its own view to Redis every `intervalMs`
// (a key with a TTL of three intervals, so a SIGKILLed instance's view goes away by itself) and reads
// the others'. A node seen by two instances (it moved after a failover) is shown as the instance
// with its latest birth or death sees it.
import { randomUUID } from 'node:crypto'
import { Redis } from 'ioredis'
import type { Logger } from '../logger.js'
import type { NodeInfo } from './host-types.js'

const VIEWS = 'uns:sparkplug:views'
const viewKey = (id: string): string => `uns:sparkplug:view:${id}`

export interface SharedNodeView {
  /** Every instance's nodes merged: this instance's now, the others' as of the last poll. */
  nodes(): NodeInfo[]
  close(): Promise<void>
}

export interface SharedNodeViewConfig {
  /** `redis://` or `rediss://` (cluster.redis). */
  readonly url: string
  /** Publish and poll period, ms. */
  readonly intervalMs: number
}

/** bdSeq is a UInt64 (a bigint above 2^53): carried as a decimal string in JSON. */
const toJson = (nodes: NodeInfo[]): string =>
  JSON.stringify(nodes, (_k, v: unknown) => (typeof v === 'bigint' ? v.toString() : v))

function fromJson(text: string): NodeInfo[] {
  const parsed = JSON.parse(text) as (Omit<NodeInfo, 'bdSeq'> & { bdSeq?: number | string })[]
  return parsed.map((n) => ({
    ...n,
    bdSeq: typeof n.bdSeq === 'string' ? BigInt(n.bdSeq) : n.bdSeq,
    lastSeq: n.lastSeq ?? undefined,
    birthTime: n.birthTime ?? undefined,
    deathTime: n.deathTime ?? undefined,
    devices: n.devices.map((d) => ({
      ...d,
      birthTime: d.birthTime ?? undefined,
      deathTime: d.deathTime ?? undefined,
    })),
  }))
}

const lastEvent = (n: NodeInfo): number => Math.max(n.birthTime ?? 0, n.deathTime ?? 0)

/** One entry per group/edge: the latest birth or death wins; on a tie an online view, then the lower view id. */
export function mergeNodeViews(views: ReadonlyMap<string, readonly NodeInfo[]>): NodeInfo[] {
  const best = new Map<string, { node: NodeInfo; view: string }>()
  for (const [view, nodes] of [...views.entries()].sort(([a], [b]) => a.localeCompare(b))) {
    for (const node of nodes) {
      const key = `${node.group}/${node.edge}`
      const seen = best.get(key)
      const newer =
        seen === undefined ||
        lastEvent(node) > lastEvent(seen.node) ||
        (lastEvent(node) === lastEvent(seen.node) && node.online && !seen.node.online)
      if (newer) best.set(key, { node, view })
    }
  }
  return [...best.values()].map((b) => b.node)
}

export function createSharedNodeView(
  deps: { logger: Logger; local: () => NodeInfo[] },
  config: SharedNodeViewConfig,
): SharedNodeView {
  const logger = deps.logger.child({ stage: 'sparkplug', component: 'shared-view' })
  // A random id per process: instanceId may be left at its default on every instance, and a restarted
  // instance must not read its previous life's view as someone else's.
  const id = randomUUID()
  const conn = new Redis(config.url, { maxRetriesPerRequest: null })
  let others = new Map<string, NodeInfo[]>()
  let failing = false
  conn.on('error', () => {}) // reported once per outage by the poll below

  const poll = async (): Promise<void> => {
    const ttl = config.intervalMs * 3
    await conn.multi().set(viewKey(id), toJson(deps.local()), 'PX', ttl).sadd(VIEWS, id).exec()
    const ids = (await conn.smembers(VIEWS)).filter((v) => v !== id)
    const texts = ids.length === 0 ? [] : await conn.mget(ids.map(viewKey))
    const next = new Map<string, NodeInfo[]>()
    const gone: string[] = []
    ids.forEach((v, i) => {
      const text = texts[i]
      if (text === null || text === undefined) return void gone.push(v)
      try {
        next.set(v, fromJson(text))
      } catch {
        gone.push(v) // not ours to read: dropped from the set, not retried forever
      }
    })
    if (gone.length > 0) await conn.srem(VIEWS, ...gone)
    others = next
  }
  let running: Promise<void> | undefined
  let closing: Promise<void> | undefined
  const tick = (): void => {
    running ??= poll()
      .then(
        () => {
          if (failing) logger.info('shared Sparkplug node view restored')
          failing = false
        },
        (err: Error) => {
          if (!failing) logger.warn({ err: err.message }, 'shared Sparkplug node view not updated; retrying')
          failing = true
        },
      )
      .finally(() => (running = undefined))
  }
  tick()
  const timer = setInterval(tick, config.intervalMs)
  timer.unref()

  return {
    nodes: () => mergeNodeViews(new Map([...others, [id, deps.local()]])),
    close: () =>
      (closing ??= (async () => {
        clearInterval(timer)
        await running
        // The view leaves with the instance; a crash leaves it to the TTL.
        await Promise.race([
          conn.multi().del(viewKey(id)).srem(VIEWS, id).exec(),
          new Promise((r) => setTimeout(r, 1000)),
        ]).catch(() => {})
        conn.disconnect()
      })()),
  }
}
