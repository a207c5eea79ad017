// The sequenced messages of a node (NDATA, DBIRTH, DDATA, DDEATH): checked against the node's seq,
// held back briefly to fill a gap, then applied in order.
import { SpbPayloadInvalid, SpbSeqGap, SpbUnknownNode } from '../errors.js'
import { onDeviceBirth } from './births.js'
import { onDeviceDeath } from './deaths.js'
import {
  descriptor,
  emptyOutcome,
  keyOf,
  metricProblems,
  type EdgeMessageHandler,
  type HostContext,
} from './host-context.js'
import type { HostOutcome } from './host-types.js'
import { applyData, targetOf, type NodeState, type Pending } from './node-state.js'
import { decodeMetrics } from './payload.js'
import { toSparkplugTopic } from './topic.js'

export const onSequenced: EdgeMessageHandler = (ctx, t, env, receivedAt, o) => {
  const node = ctx.nodes.get(keyOf(t.group, t.edge))
  if (node === undefined || !node.online || node.seq === undefined) {
    // DATA/DBIRTH/DDEATH before NBIRTH [tck-id-payloads-ndata-order, tck-id-payloads-dbirth-order]:
    // nothing can be decoded without the birth, so ask for one (rate limited).
    o.problems.push(new SpbUnknownNode([t.type, descriptor(t)], { topic: o.topic }))
    ctx.rebirth(t.group, t.edge, o)
    return
  }
  if (env.seq === undefined || env.seq > 255) {
    o.problems.push(new SpbPayloadInvalid([o.topic, 'no seq between 0 and 255'], { topic: o.topic }))
    ctx.rebirth(t.group, t.edge, o) // [tck-id-payloads-sequence-num-always-included]
    return
  }
  const expected = node.seq.expected
  const r = node.seq.accept(env.seq, { topic: t, envelope: env, receivedAt })
  if (r.late) {
    o.problems.push(new SpbSeqGap([descriptor(t), expected, env.seq], { topic: o.topic, late: true }))
    return
  }
  for (const item of r.ready) processInOrder(ctx, node, item, o)
  if (!r.gap) return ctx.clearTimer(node) // gap filled in time [tck-id-operational-behavior-host-reordering-success]
  if (node.timer !== undefined) return
  o.problems.push(new SpbSeqGap([descriptor(t), expected, env.seq], { topic: o.topic }))
  if (ctx.config.reorderTimeoutMs <= 0) return giveUpOnGap(ctx, node, o)
  // [tck-id-operational-behavior-host-reordering-start]
  node.timer = ctx.deps.clock.setTimeout(() => {
    node.timer = undefined
    if (ctx.closed) return
    const later = emptyOutcome(toSparkplugTopic('NCMD', node.group, node.edge))
    giveUpOnGap(ctx, node, later)
    ctx.deps.onDeferred?.(later)
  }, ctx.config.reorderTimeoutMs)
}

/** Reorder timeout expired: apply what waited, in order, and request a rebirth [tck-id-operational-behavior-host-reordering-rebirth]. */
function giveUpOnGap(ctx: HostContext, node: NodeState, o: HostOutcome): void {
  for (const item of node.seq?.flush() ?? []) processInOrder(ctx, node, item, o)
  ctx.rebirth(node.group, node.edge, o)
}

function processInOrder(ctx: HostContext, node: NodeState, item: Pending, o: HostOutcome): void {
  const { topic: t, envelope: env, receivedAt } = item
  const ts = env.timestamp ?? receivedAt
  const target = targetOf(t.group, t.edge, t.device)
  if (t.type === 'NDATA') {
    const d = decodeMetrics(env, node.model)
    applyData(node.model, d, target, ts, o.updates)
    return metricProblems(ctx, d, t, o)
  }
  if (t.type === 'DBIRTH') return onDeviceBirth(ctx, node, item, o)
  const dev = node.devices.get(t.device ?? '')
  if (dev === undefined || !dev.online) {
    if (t.type === 'DDEATH') return
    o.problems.push(new SpbUnknownNode([t.type, descriptor(t)], { topic: o.topic }))
    return ctx.rebirth(t.group, t.edge, o)
  }
  if (t.type === 'DDATA') {
    const d = decodeMetrics(env, dev.model)
    applyData(dev.model, d, target, ts, o.updates)
    return metricProblems(ctx, d, t, o)
  }
  onDeviceDeath(t, dev, ts, o)
}
