// What the host's message handlers share: the node table, the clock, the rate-limited Rebirth request
// and the problem helpers. One context per host; the handlers (births, deaths, data, commands) are
// plain functions over it, one file per Sparkplug message type (STYLE.md rule 3).
import { SpbBirthInvalid, SpbPayloadInvalid, SpbUnknownMetric } from '../errors.js'
import { encodeRebirthRequest } from './encode.js'
import type { HostOutcome, PublishAction, SparkplugHostConfig, SparkplugHostDeps } from './host-types.js'
import type { NodeState } from './node-state.js'
import type { DecodedPayload, Envelope } from './payload.js'
import { toSparkplugTopic, type EdgeTopic } from './topic.js'

export interface HostContext {
  readonly deps: SparkplugHostDeps
  readonly config: SparkplugHostConfig
  readonly nodes: Map<string, NodeState>
  closed: boolean
  /** An operator's Rebirth request (not rate limited). */
  rebirthAction(group: string, edge: string): PublishAction
  /** Rate-limited automatic Rebirth request, at most one per node per rebirthMinIntervalMs. */
  rebirth(group: string, edge: string, o: HostOutcome): void
  clearTimer(node: NodeState): void
}

const MAX_RATE_ENTRIES = 10_000

/** Handles one received NBIRTH, NDEATH or sequenced message of an edge node, adding to `o`. */
export type EdgeMessageHandler = (
  ctx: HostContext,
  t: EdgeTopic,
  env: Envelope,
  receivedAt: number,
  o: HostOutcome,
) => void

export const keyOf = (group: string, edge: string): string => `${group}/${edge}`

export const emptyOutcome = (topic: string): HostOutcome => ({
  topic,
  updates: [],
  statuses: [],
  actions: [],
  problems: [],
})

export function descriptor(t: EdgeTopic): string {
  return t.device === undefined ? `${t.group}/${t.edge}` : `${t.group}/${t.edge}/${t.device}`
}

export function createHostContext(deps: SparkplugHostDeps, config: SparkplugHostConfig): HostContext {
  const { clock, logger } = deps
  const rebirthAt = new Map<string, number>()

  function rebirthAction(group: string, edge: string): PublishAction {
    const now = clock.now()
    rebirthAt.set(keyOf(group, edge), now)
    logger?.info({ group, edge }, 'sparkplug rebirth requested')
    // [tck-id-topics-ncmd-mqtt, tck-id-payloads-ncmd-qos, tck-id-payloads-ncmd-retain]: QoS 0, not retained.
    const topic = toSparkplugTopic('NCMD', group, edge)
    return {
      kind: 'publish',
      reason: 'rebirth',
      topic,
      payload: encodeRebirthRequest(now),
      qos: 0,
      retain: false,
    }
  }

  function pruneRateLimits(): void {
    const cutoff = clock.now() - config.rebirthMinIntervalMs
    for (const [k, at] of rebirthAt) if (at < cutoff) rebirthAt.delete(k)
  }

  return {
    deps,
    config,
    nodes: new Map(),
    closed: false,
    rebirthAction,
    rebirth(group, edge, o) {
      const last = rebirthAt.get(keyOf(group, edge))
      if (last !== undefined && clock.now() - last < config.rebirthMinIntervalMs) return
      if (rebirthAt.size >= MAX_RATE_ENTRIES) pruneRateLimits()
      o.actions.push(rebirthAction(group, edge))
    },
    clearTimer(node) {
      if (node.timer !== undefined) clock.clearTimeout(node.timer)
      node.timer = undefined
    },
  }
}

/** Problems of decoded metrics; an unknown metric or alias in DATA asks for a Rebirth. */
export function metricProblems(ctx: HostContext, d: DecodedPayload, t: EdgeTopic, o: HostOutcome): void {
  const desc = descriptor(t)
  let unknown = false
  for (const p of d.problems) {
    if (p.unknown) {
      unknown = true
      o.problems.push(new SpbUnknownMetric([p.metric, desc], { topic: o.topic }))
    } else
      o.problems.push(new SpbPayloadInvalid([o.topic, `metric ${p.metric}: ${p.reason}`], { topic: o.topic }))
  }
  // Unknown metric or alias in DATA: MAY request a rebirth (Ch.5 "Host Application Receive Data").
  if (unknown) ctx.rebirth(t.group, t.edge, o)
}

/** Problems of a birth: its metrics', and conflicting definitions, which ask for a Rebirth. */
export function birthProblems(
  ctx: HostContext,
  d: DecodedPayload,
  conflicts: string[],
  t: EdgeTopic,
  o: HostOutcome,
): void {
  metricProblems(ctx, d, t, o)
  for (const c of conflicts) o.problems.push(new SpbBirthInvalid([o.topic, c], { topic: o.topic }))
  if (conflicts.length > 0) ctx.rebirth(t.group, t.edge, o)
}
