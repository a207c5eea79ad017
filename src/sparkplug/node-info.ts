// Read-only views of the host's state for the API (`GET /api/v1/sparkplug/nodes`, node details).
import type { MetricModel } from './aliases.js'
import type { MetricInfo, NodeInfo } from './host-types.js'
import type { NodeState } from './node-state.js'

export function toNodeInfos(nodes: Iterable<NodeState>): NodeInfo[] {
  return [...nodes].map((n) => ({
    group: n.group,
    edge: n.edge,
    online: n.online,
    bdSeq: n.bdSeq,
    lastSeq: n.seq?.last,
    birthTime: n.birthTime,
    deathTime: n.deathTime,
    metricCount: n.model.entries.size,
    devices: [...n.devices.values()].map((d) => ({
      device: d.device,
      online: d.online,
      birthTime: d.birthTime,
      deathTime: d.deathTime,
      metricCount: d.model.entries.size,
    })),
    templates: [...n.templates.values()],
  }))
}

export function toMetricInfos(model: MetricModel): MetricInfo[] {
  return [...model.entries.values()].map((e) => ({
    name: e.name,
    alias: e.alias,
    datatype: e.datatypeName,
    properties: e.properties,
    value: e.value,
    quality: e.quality,
    timestamp: e.timestamp,
    staleSince: e.staleSince,
  }))
}
