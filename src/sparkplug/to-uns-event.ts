// A host metric update as the pipeline's event, once the mapping chose its UNS path.
import type { UnsEvent } from '../uns/index.js'
import type { MetricUpdate } from './host-types.js'

/** Turns a host metric update into the pipeline's event; `origin` is this instance's id. */
export function toUnsEvent(update: MetricUpdate, path: string, origin: string): UnsEvent {
  // engUnit is a BIRTH property (Sparkplug B PropertySet, issue 4); the host keeps BIRTH properties on the
  // metric, so DATA updates carry it too. Only a non-empty string is a unit.
  const engUnit = update.properties?.['engUnit']
  const event: UnsEvent = {
    path,
    value: update.value,
    timestamp: update.timestamp,
    quality: update.quality,
    ...(update.staleSince === undefined ? {} : { staleSince: update.staleSince }),
    datatype: update.datatype,
    ...(typeof engUnit === 'string' && engUnit !== '' ? { unit: engUnit } : {}),
    source: update.source,
    origin,
  }
  if (update.historical) return { ...event, historical: true }
  return update.transient ? { ...event, transient: true } : event
}
