// NDEATH and DDEATH, and the host losing its server: nodes and devices go offline, their metrics stale.
import { SpbDeathIgnored } from '../errors.js'
import { descriptor, keyOf, type EdgeMessageHandler, type HostContext } from './host-context.js'
import type { HostOutcome } from './host-types.js'
import { bdSeqOf, markStale, targetOf, type DeviceState, type NodeState } from './node-state.js'
import { decodeMetrics } from './payload.js'
import type { EdgeTopic } from './topic.js'

export const onNodeDeath: EdgeMessageHandler = (ctx, t, env, receivedAt, o) => {
  const node = ctx.nodes.get(keyOf(t.group, t.edge))
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
  takeOffline(ctx, node, receivedAt, 'death', o)
  ctx.deps.logger?.info({ group: t.group, edge: t.edge }, 'sparkplug node death')
}

/** A node and all its devices offline, every metric stale. */
export function takeOffline(
  ctx: HostContext,
  node: NodeState,
  at: number,
  cause: 'death' | 'disconnect',
  o: HostOutcome,
): void {
  ctx.clearTimer(node)
  node.online = false
  node.deathTime = at
  node.seq = undefined
  o.statuses.push({ group: node.group, edge: node.edge, device: undefined, online: false, timestamp: at })
  markStale(node.model, targetOf(node.group, node.edge, undefined), at, cause, o.updates)
  for (const dev of node.devices.values()) {
    if (!dev.online) continue
    dev.online = false
    dev.deathTime = at
    o.statuses.push({ group: node.group, edge: node.edge, device: dev.device, online: false, timestamp: at })
    markStale(dev.model, targetOf(node.group, node.edge, dev.device), at, cause, o.updates)
  }
}

/**
 * DDEATH: that device only, with the DDEATH payload timestamp
 * [tck-id-operational-behavior-edge-node-termination-host-action-ddeath-devices-offline, -ddeath-devices-tags-stale].
 */
export function onDeviceDeath(t: EdgeTopic, dev: DeviceState, at: number, o: HostOutcome): void {
  dev.online = false
  dev.deathTime = at
  o.statuses.push({ group: t.group, edge: t.edge, device: dev.device, online: false, timestamp: at })
  markStale(dev.model, targetOf(t.group, t.edge, t.device), at, 'death', o.updates)
}
