// The Sparkplug B host application state machine: pure (no MQTT), clock-injected. `handle()` takes one
// received message and returns what happened (metric updates, node/device status, publishes to send,
// problems); the Sparkplug stage turns updates into UNS values and sends the actions. One file per
// message type: births.ts, deaths.ts, data.ts (sequenced messages), commands.ts.
import { SpbTopicInvalid } from '../errors.js'
import type { UnsValue } from '../uns/index.js'
import { onNodeBirth } from './births.js'
import { commandFor } from './commands.js'
import { onSequenced } from './data.js'
import { onNodeDeath, takeOffline } from './deaths.js'
import { createHostContext, emptyOutcome, keyOf } from './host-context.js'
import type {
  CommandResult,
  HostOutcome,
  MetricInfo,
  NodeInfo,
  PublishAction,
  SparkplugHostConfig,
  SparkplugHostDeps,
} from './host-types.js'
import { toMetricInfos, toNodeInfos } from './node-info.js'
import { decodeEnvelope } from './payload.js'
import { parseStatePayload, stateMessage, type StateMessage } from './state.js'
import { parseSparkplugTopic } from './topic.js'

export interface SparkplugHost {
  /** Processes one message received on `spBv1.0/#`; never throws for bad input. */
  handle(topic: string, payload: Uint8Array, receivedAt: number): HostOutcome
  /** Edge nodes and devices with status, bdSeq, last seq, birth time and metric count (API). */
  nodes(): NodeInfo[]
  /** Metric definitions and current values of a node or device; undefined when never born. */
  metrics(group: string, edge: string, device?: string): MetricInfo[] | undefined
  /** NCMD/DCMD for one metric write: alias-only when the edge uses aliases, value coerced to the BIRTH datatype. */
  commandFor(
    group: string,
    edge: string,
    device: string | undefined,
    metric: string,
    value: UnsValue,
  ): CommandResult
  /** An operator's Rebirth request (not rate limited). */
  requestRebirth(group: string, edge: string): PublishAction
  /** The STATE birth for a CONNECT at `timestamp`; remembered to re-assert it when seen offline. */
  stateBirth(timestamp: number): StateMessage
  /** The host lost its server: every metric is stale, every node offline (Ch.5, tck-not-testable MUST). */
  disconnected(at: number): HostOutcome
  /** Cancels timers; idempotent. */
  close(): void
}

/** Creates the host; synchronous because it does no I/O (the Sparkplug stage owns the MQTT client). */
export function createSparkplugHost(deps: SparkplugHostDeps, config: SparkplugHostConfig): SparkplugHost {
  const { hostId } = deps
  const ctx = createHostContext(deps, config)
  let stateTimestamp: number | undefined

  function handle(topic: string, payload: Uint8Array, receivedAt: number): HostOutcome {
    const o = emptyOutcome(topic)
    const parsed = parseSparkplugTopic(topic)
    if (!parsed.ok) {
      o.problems.push(new SpbTopicInvalid([topic, parsed.reason], { topic }))
      return o
    }
    const t = parsed.topic
    if (t.type === 'STATE') {
      onState(t.hostId, payload, o)
      return o
    }
    if (t.type === 'NCMD' || t.type === 'DCMD') return o // commands to edge nodes, not for the host
    const env = decodeEnvelope(payload, config, t.type)
    if (!env.ok) {
      o.problems.push(new env.error([topic, env.reason], { topic }))
      if (t.type !== 'NDEATH') ctx.rebirth(t.group, t.edge, o)
      return o
    }
    if (t.type === 'NBIRTH') onNodeBirth(ctx, t, env.envelope, receivedAt, o)
    else if (t.type === 'NDEATH') onNodeDeath(ctx, t, env.envelope, receivedAt, o)
    else onSequenced(ctx, t, env.envelope, receivedAt, o)
    return o
  }

  function onState(id: string, payload: Uint8Array, o: HostOutcome): void {
    if (id !== hostId || stateTimestamp === undefined) return
    // Seeing itself declared offline, the host re-asserts online with the same timestamp
    // [tck-id-message-flow-hid-sparkplug-state-message-delivered].
    if (parseStatePayload(payload)?.online === false) {
      const m = stateMessage(hostId, true, stateTimestamp)
      o.actions.push({ kind: 'publish', reason: 'state', ...m })
    }
  }

  return {
    handle,
    commandFor: (group, edge, device, metric, value) => commandFor(ctx, group, edge, device, metric, value),
    nodes: () => toNodeInfos(ctx.nodes.values()),
    metrics(group, edge, device) {
      const node = ctx.nodes.get(keyOf(group, edge))
      const model = device === undefined ? node?.model : node?.devices.get(device)?.model
      return model === undefined ? undefined : toMetricInfos(model)
    },
    requestRebirth: (group, edge) => ctx.rebirthAction(group, edge),
    stateBirth(timestamp) {
      stateTimestamp = timestamp
      return stateMessage(hostId, true, timestamp)
    },
    disconnected(at) {
      const o = emptyOutcome(`${hostId} disconnected`)
      for (const n of ctx.nodes.values()) if (n.online) takeOffline(ctx, n, at, 'disconnect', o)
      return o
    },
    close() {
      ctx.closed = true
      for (const n of ctx.nodes.values()) ctx.clearTimer(n)
    },
  }
}
