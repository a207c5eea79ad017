// NCMD/DCMD for one metric write, as the host application sends it to an edge node or device.
import { SpbCommandUnknownMetric, SpbCommandValueInvalid } from '../errors.js'
import type { UnsValue } from '../uns/index.js'
import { encodeCommand, type CommandMetric } from './encode.js'
import { keyOf, type HostContext } from './host-context.js'
import type { CommandResult } from './host-types.js'
import { toSparkplugTopic } from './topic.js'

export function commandFor(
  ctx: HostContext,
  group: string,
  edge: string,
  device: string | undefined,
  metric: string,
  value: UnsValue,
): CommandResult {
  const node = ctx.nodes.get(keyOf(group, edge))
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
  const r = encodeCommand([m], ctx.deps.clock.now())
  if (!r.ok)
    return { ok: false, error: new SpbCommandValueInvalid([`${metric} on ${desc}`, r.reason], { metric }) }
  const topic = toSparkplugTopic(device === undefined ? 'NCMD' : 'DCMD', group, edge, device)
  // [tck-id-topics-dcmd-mqtt, tck-id-payloads-dcmd-qos, -dcmd-retain]
  return { ok: true, topic, payload: r.payload, qos: 0, retain: false }
}
