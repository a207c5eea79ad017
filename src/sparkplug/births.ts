// NBIRTH and DBIRTH: a birth (re)builds the metric model of a node or device and brings it online.
import { SpbBirthInvalid } from '../errors.js'
import { birthProblems, keyOf, type EdgeMessageHandler, type HostContext } from './host-context.js'
import type { HostOutcome } from './host-types.js'
import {
  bdSeqOf,
  buildModel,
  markRemoved,
  markStale,
  targetOf,
  type NodeState,
  type Pending,
} from './node-state.js'
import { decodeMetrics } from './payload.js'
import { createSequenceTracker } from './sequence.js'

export const onNodeBirth: EdgeMessageHandler = (ctx, t, env, receivedAt, o) => {
  const d = decodeMetrics(env)
  const bdSeq = bdSeqOf(d)
  let bad: string | undefined
  // [tck-id-payloads-nbirth-seq]: seq 0..255 (any value is the new base); [tck-id-payloads-nbirth-bdseq].
  if (env.seq === undefined || env.seq > 255) bad = 'no seq between 0 and 255'
  else if (bdSeq === undefined) bad = 'no integer bdSeq metric'
  if (bad !== undefined || env.seq === undefined) {
    o.problems.push(new SpbBirthInvalid([o.topic, bad], { topic: o.topic }))
    ctx.rebirth(t.group, t.edge, o)
    return
  }
  const key = keyOf(t.group, t.edge)
  const old = ctx.nodes.get(key)
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
  ctx.clearTimer(node)
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
  ctx.nodes.set(key, node)
  o.statuses.push({ group: t.group, edge: t.edge, device: undefined, online: true, timestamp: receivedAt })
  ctx.deps.logger?.info({ group: t.group, edge: t.edge, bdSeq: String(bdSeq) }, 'sparkplug node birth')
  birthProblems(ctx, d, conflicts, t, o)
}

/** A DBIRTH in sequence order: the device's model, replacing what an earlier birth declared. */
export function onDeviceBirth(ctx: HostContext, node: NodeState, item: Pending, o: HostOutcome): void {
  const { topic: t, envelope: env, receivedAt } = item
  const name = t.device ?? ''
  const target = targetOf(t.group, t.edge, t.device)
  const d = decodeMetrics(env)
  const { model, conflicts } = buildModel(d, target, env.timestamp ?? receivedAt, o.updates)
  const dev = node.devices.get(name)
  if (dev !== undefined) markRemoved(dev.model, model, target, receivedAt, o.updates)
  node.devices.set(name, { device: name, online: true, birthTime: receivedAt, deathTime: undefined, model })
  o.statuses.push({ group: t.group, edge: t.edge, device: name, online: true, timestamp: receivedAt })
  birthProblems(ctx, d, conflicts, t, o)
}
