// The Sparkplug B host application state machine: pure (no MQTT), clock-injected. `handle()` takes one
// received message and returns what happened (metric updates, node/device status, publishes to send,
// problems). The lead's wiring turns updates into UnsEvents and sends the actions.
import {
  SpbBirthInvalid,
  SpbCommandUnknownMetric,
  SpbCommandValueInvalid,
  SpbDeathIgnored,
  SpbPayloadInvalid,
  SpbSeqGap,
  SpbTopicInvalid,
  SpbUnknownMetric,
  SpbUnknownNode,
} from '../errors.js'
import type { UnsValue } from '../uns-event.js'
import { encodeCommand, encodeRebirthRequest, type CommandMetric } from './encode.js'
import type {
  CommandResult,
  HostOutcome,
  MetricInfo,
  NodeInfo,
  PublishAction,
  SparkplugHostConfig,
  SparkplugHostDeps,
} from './host-types.js'
import {
  applyData,
  bdSeqOf,
  buildModel,
  markRemoved,
  markStale,
  targetOf,
  type NodeState,
  type Pending,
} from './node-state.js'
import { decodeEnvelope, decodeMetrics, type DecodedPayload, type Envelope } from './payload.js'
import { toMetricInfos, toNodeInfos } from './node-info.js'
import { createSequenceTracker } from './sequence.js'
import { parseStatePayload, stateMessage, type StateMessage } from './state.js'
import { parseSparkplugTopic, toSparkplugTopic, type EdgeTopic } from './topic.js'

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

const MAX_RATE_ENTRIES = 10_000

/** Creates the host; synchronous because it does no I/O (the wiring owns the MQTT client). */
export function createSparkplugHost(deps: SparkplugHostDeps, config: SparkplugHostConfig): SparkplugHost {
  const { clock, hostId, logger } = deps
  const nodes = new Map<string, NodeState>()
  const rebirthAt = new Map<string, number>()
  let stateTimestamp: number | undefined
  let closed = false

  const outcome = (topic: string): HostOutcome => ({
    topic,
    updates: [],
    statuses: [],
    actions: [],
    problems: [],
  })
  const keyOf = (group: string, edge: string): string => `${group}/${edge}`

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

  /** Rate-limited automatic rebirth request, at most one per node per rebirthMinIntervalMs. */
  function rebirth(group: string, edge: string, o: HostOutcome): void {
    const last = rebirthAt.get(keyOf(group, edge))
    if (last !== undefined && clock.now() - last < config.rebirthMinIntervalMs) return
    if (rebirthAt.size >= MAX_RATE_ENTRIES) pruneRateLimits()
    o.actions.push(rebirthAction(group, edge))
  }

  function pruneRateLimits(): void {
    const cutoff = clock.now() - config.rebirthMinIntervalMs
    for (const [k, at] of rebirthAt) if (at < cutoff) rebirthAt.delete(k)
  }

  function clearTimer(node: NodeState): void {
    if (node.timer !== undefined) clock.clearTimeout(node.timer)
    node.timer = undefined
  }

  function metricProblems(d: DecodedPayload, t: EdgeTopic, o: HostOutcome): void {
    const desc = descriptor(t)
    let unknown = false
    for (const p of d.problems) {
      if (p.unknown) {
        unknown = true
        o.problems.push(new SpbUnknownMetric([p.metric, desc], { topic: o.topic }))
      } else
        o.problems.push(
          new SpbPayloadInvalid([o.topic, `metric ${p.metric}: ${p.reason}`], { topic: o.topic }),
        )
    }
    // Unknown metric or alias in DATA: MAY request a rebirth (Ch.5 "Host Application Receive Data").
    if (unknown) rebirth(t.group, t.edge, o)
  }

  function handle(topic: string, payload: Uint8Array, receivedAt: number): HostOutcome {
    const o = outcome(topic)
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
      if (t.type !== 'NDEATH') rebirth(t.group, t.edge, o)
      return o
    }
    if (t.type === 'NBIRTH') onNodeBirth(t, env.envelope, receivedAt, o)
    else if (t.type === 'NDEATH') onNodeDeath(t, env.envelope, receivedAt, o)
    else onSequenced(t, env.envelope, receivedAt, o)
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

  function onNodeBirth(t: EdgeTopic, env: Envelope, receivedAt: number, o: HostOutcome): void {
    const d = decodeMetrics(env)
    const bdSeq = bdSeqOf(d)
    let bad: string | undefined
    // [tck-id-payloads-nbirth-seq]: seq 0..255 (any value is the new base); [tck-id-payloads-nbirth-bdseq].
    if (env.seq === undefined || env.seq > 255) bad = 'no seq between 0 and 255'
    else if (bdSeq === undefined) bad = 'no integer bdSeq metric'
    if (bad !== undefined || env.seq === undefined) {
      o.problems.push(new SpbBirthInvalid([o.topic, bad], { topic: o.topic }))
      rebirth(t.group, t.edge, o)
      return
    }
    const key = keyOf(t.group, t.edge)
    const old = nodes.get(key)
    const target = targetOf(t.group, t.edge, undefined)
    const { model, conflicts } = buildModel(d, target, env.timestamp ?? receivedAt, o.updates)
    const node: NodeState = old ?? {
      group: t.group,
      edge: t.edge,
      online: false,
      bdSeq: undefined,
      birthTime: undefined,
      deathTime: undefined,
      model,
      devices: new Map(),
      templates: new Map(),
      seq: undefined,
      timer: undefined,
    }
    clearTimer(node)
    if (old !== undefined) markRemoved(old.model, model, target, receivedAt, o.updates)
    // A new NBIRTH rebuilds the model; devices stay offline and stale until their own DBIRTH.
    for (const dev of node.devices.values()) {
      if (!dev.online) continue
      dev.online = false
      dev.deathTime = receivedAt
      o.statuses.push({
        group: t.group,
        edge: t.edge,
        device: dev.device,
        online: false,
        timestamp: receivedAt,
      })
      markStale(dev.model, targetOf(t.group, t.edge, dev.device), receivedAt, 'death', o.updates)
    }
    Object.assign(node, { model, bdSeq, online: true, birthTime: receivedAt })
    node.templates = new Map(d.templates.map((x) => [x.name, x]))
    node.seq = createSequenceTracker<Pending>(env.seq)
    nodes.set(key, node)
    o.statuses.push({ group: t.group, edge: t.edge, device: undefined, online: true, timestamp: receivedAt })
    logger?.info({ group: t.group, edge: t.edge, bdSeq: String(bdSeq) }, 'sparkplug node birth')
    birthProblems(d, conflicts, t, o)
  }

  function birthProblems(d: DecodedPayload, conflicts: string[], t: EdgeTopic, o: HostOutcome): void {
    metricProblems(d, t, o)
    for (const c of conflicts) o.problems.push(new SpbBirthInvalid([o.topic, c], { topic: o.topic }))
    if (conflicts.length > 0) rebirth(t.group, t.edge, o)
  }

  function onNodeDeath(t: EdgeTopic, env: Envelope, receivedAt: number, o: HostOutcome): void {
    const node = nodes.get(keyOf(t.group, t.edge))
    const bdSeq = bdSeqOf(decodeMetrics(env))
    // Only an NDEATH with the bdSeq of the current NBIRTH counts; a late will of an older session is
    // ignored [tck-id-topics-nbirth-bdseq-matching, tck-id-payloads-ndeath-bdseq].
    if (node === undefined || !node.online || bdSeq === undefined || String(bdSeq) !== String(node.bdSeq)) {
      const current = node?.online === true ? String(node.bdSeq) : 'none (node offline)'
      o.problems.push(new SpbDeathIgnored([descriptor(t), String(bdSeq), current], { topic: o.topic }))
      return
    }
    // Host time, not the NDEATH payload timestamp
    // [tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-offline, -node-tags-stale,
    // -devices-offline, -devices-tags-stale].
    takeOffline(node, receivedAt, 'death', o)
    logger?.info({ group: t.group, edge: t.edge }, 'sparkplug node death')
  }

  function takeOffline(node: NodeState, at: number, cause: 'death' | 'disconnect', o: HostOutcome): void {
    clearTimer(node)
    node.online = false
    node.deathTime = at
    node.seq = undefined
    o.statuses.push({ group: node.group, edge: node.edge, device: undefined, online: false, timestamp: at })
    markStale(node.model, targetOf(node.group, node.edge, undefined), at, cause, o.updates)
    for (const dev of node.devices.values()) {
      if (!dev.online) continue
      dev.online = false
      dev.deathTime = at
      o.statuses.push({
        group: node.group,
        edge: node.edge,
        device: dev.device,
        online: false,
        timestamp: at,
      })
      markStale(dev.model, targetOf(node.group, node.edge, dev.device), at, cause, o.updates)
    }
  }

  function onSequenced(t: EdgeTopic, env: Envelope, receivedAt: number, o: HostOutcome): void {
    const node = nodes.get(keyOf(t.group, t.edge))
    if (node === undefined || !node.online || node.seq === undefined) {
      // DATA/DBIRTH/DDEATH before NBIRTH [tck-id-payloads-ndata-order, tck-id-payloads-dbirth-order]:
      // nothing can be decoded without the birth, so ask for one (rate limited).
      o.problems.push(new SpbUnknownNode([t.type, descriptor(t)], { topic: o.topic }))
      rebirth(t.group, t.edge, o)
      return
    }
    if (env.seq === undefined || env.seq > 255) {
      o.problems.push(new SpbPayloadInvalid([o.topic, 'no seq between 0 and 255'], { topic: o.topic }))
      rebirth(t.group, t.edge, o) // [tck-id-payloads-sequence-num-always-included]
      return
    }
    const expected = node.seq.expected
    const r = node.seq.accept(env.seq, { topic: t, envelope: env, receivedAt })
    if (r.late) {
      o.problems.push(new SpbSeqGap([descriptor(t), expected, env.seq], { topic: o.topic, late: true }))
      return
    }
    for (const item of r.ready) processInOrder(node, item, o)
    if (!r.gap) return clearTimer(node) // gap filled in time [tck-id-operational-behavior-host-reordering-success]
    if (node.timer !== undefined) return
    o.problems.push(new SpbSeqGap([descriptor(t), expected, env.seq], { topic: o.topic }))
    if (config.reorderTimeoutMs <= 0) return giveUpOnGap(node, o)
    // [tck-id-operational-behavior-host-reordering-start]
    node.timer = clock.setTimeout(() => {
      node.timer = undefined
      if (closed) return
      const later = outcome(toSparkplugTopic('NCMD', node.group, node.edge))
      giveUpOnGap(node, later)
      deps.onDeferred?.(later)
    }, config.reorderTimeoutMs)
  }

  /** Reorder timeout expired: apply what waited, in order, and request a rebirth [tck-id-operational-behavior-host-reordering-rebirth]. */
  function giveUpOnGap(node: NodeState, o: HostOutcome): void {
    for (const item of node.seq?.flush() ?? []) processInOrder(node, item, o)
    rebirth(node.group, node.edge, o)
  }

  function processInOrder(node: NodeState, item: Pending, o: HostOutcome): void {
    const { topic: t, envelope: env, receivedAt } = item
    const ts = env.timestamp ?? receivedAt
    const target = targetOf(t.group, t.edge, t.device)
    if (t.type === 'NDATA') {
      const d = decodeMetrics(env, node.model)
      applyData(node.model, d, target, ts, o.updates)
      return metricProblems(d, t, o)
    }
    const name = t.device ?? ''
    const dev = node.devices.get(name)
    if (t.type === 'DBIRTH') {
      const d = decodeMetrics(env)
      const { model, conflicts } = buildModel(d, target, ts, o.updates)
      if (dev !== undefined) markRemoved(dev.model, model, target, receivedAt, o.updates)
      node.devices.set(name, {
        device: name,
        online: true,
        birthTime: receivedAt,
        deathTime: undefined,
        model,
      })
      o.statuses.push({ group: t.group, edge: t.edge, device: name, online: true, timestamp: receivedAt })
      return birthProblems(d, conflicts, t, o)
    }
    if (dev === undefined || !dev.online) {
      if (t.type === 'DDEATH') return
      o.problems.push(new SpbUnknownNode([t.type, descriptor(t)], { topic: o.topic }))
      return rebirth(t.group, t.edge, o)
    }
    if (t.type === 'DDATA') {
      const d = decodeMetrics(env, dev.model)
      applyData(dev.model, d, target, ts, o.updates)
      return metricProblems(d, t, o)
    }
    // DDEATH: that device only, with the DDEATH payload timestamp
    // [tck-id-operational-behavior-edge-node-termination-host-action-ddeath-devices-offline, -ddeath-devices-tags-stale].
    dev.online = false
    dev.deathTime = ts
    o.statuses.push({ group: t.group, edge: t.edge, device: name, online: false, timestamp: ts })
    markStale(dev.model, target, ts, 'death', o.updates)
  }

  function commandFor(
    group: string,
    edge: string,
    device: string | undefined,
    metric: string,
    value: UnsValue,
  ): CommandResult {
    const node = nodes.get(keyOf(group, edge))
    const dev = device === undefined ? undefined : node?.devices.get(device)
    const model = device === undefined ? node?.model : dev?.model
    const entry = model?.entries.get(metric)
    const desc = device === undefined ? keyOf(group, edge) : `${group}/${edge}/${device}`
    if (
      node?.online !== true ||
      (device !== undefined && dev?.online !== true) ||
      model === undefined ||
      entry === undefined
    ) {
      return {
        ok: false,
        error: new SpbCommandUnknownMetric([metric, desc], { group, edge, device, metric }),
      }
    }
    // Alias-only when the edge uses aliases [tck-id-payloads-alias-data-cmd-requirement].
    const m: CommandMetric =
      model.usesAliases && entry.alias !== undefined
        ? { alias: entry.alias, datatype: entry.datatypeName, value }
        : { name: entry.name, datatype: entry.datatypeName, value }
    const r = encodeCommand([m], clock.now())
    if (!r.ok)
      return { ok: false, error: new SpbCommandValueInvalid([`${metric} on ${desc}`, r.reason], { metric }) }
    const topic = toSparkplugTopic(device === undefined ? 'NCMD' : 'DCMD', group, edge, device)
    // [tck-id-topics-dcmd-mqtt, tck-id-payloads-dcmd-qos, -dcmd-retain]
    return { ok: true, topic, payload: r.payload, qos: 0, retain: false }
  }

  return {
    handle,
    commandFor,
    nodes: () => toNodeInfos(nodes.values()),
    metrics(group, edge, device) {
      const node = nodes.get(keyOf(group, edge))
      const model = device === undefined ? node?.model : node?.devices.get(device)?.model
      return model === undefined ? undefined : toMetricInfos(model)
    },
    requestRebirth: (group, edge) => rebirthAction(group, edge),
    stateBirth(timestamp) {
      stateTimestamp = timestamp
      return stateMessage(hostId, true, timestamp)
    },
    disconnected(at) {
      const o = outcome(`${hostId} disconnected`)
      for (const n of nodes.values()) if (n.online) takeOffline(n, at, 'disconnect', o)
      return o
    },
    close() {
      closed = true
      for (const n of nodes.values()) clearTimer(n)
    },
  }
}

function descriptor(t: EdgeTopic): string {
  return t.device === undefined ? `${t.group}/${t.edge}` : `${t.group}/${t.edge}/${t.device}`
}
