// Plain-JSON publishers for the declared tags of a namespace: PLC telemetry as random walks inside
// the field's range, states and alarms that change now and then, counters that count up. Energy meters,
// MES orders (ProductionLine.orderId) and SCADA alarm panels of the demo namespace come from here.
import mqtt, { type MqttClient } from 'mqtt'
import { findModelVersion, type FieldDef, type NamespaceDefinition } from '../../src/namespace/index.js'

interface SimTag {
  readonly path: string
  readonly field: FieldDef
  value: number | boolean | string
}

function tagsOf(def: NamespaceDefinition): SimTag[] {
  const tags: SimTag[] = []
  const walk = (prefix: string, name: string, version: number): void => {
    const model = findModelVersion(def, { name, version })
    for (const field of model?.fields ?? []) {
      if (field.model) walk(`${prefix}/${field.name}`, field.model.name, field.model.version)
      else tags.push({ path: `${prefix}/${field.name}`, field, value: initial(field) })
    }
  }
  for (const node of def.nodes) if (node.model) walk(node.path, node.model.name, node.model.version)
  return tags
}

function initial(f: FieldDef): number | boolean | string {
  if (f.enum) return f.enum[0] as string
  if (f.type === 'boolean') return false
  if (f.type === 'string') return f.class === 'event' ? 'no alarm' : 'PO-1000'
  const min = f.range?.min ?? 0
  const max = f.range?.max ?? 100
  return f.type === 'integer' ? Math.round(min) : min + (max - min) / 2
}

function next(tag: SimTag): number | boolean | string {
  const f = tag.field
  if (f.enum)
    return Math.random() < 0.05 ? (f.enum[Math.floor(Math.random() * f.enum.length)] as string) : tag.value
  if (f.type === 'boolean') return Math.random() < 0.02 ? !tag.value : tag.value
  if (f.type === 'string') {
    if (Math.random() >= 0.01) return tag.value
    return f.class === 'event'
      ? `alarm ${Math.floor(Math.random() * 100)} at ${new Date().toISOString()}`
      : `PO-${1000 + Math.floor(Math.random() * 9000)}`
  }
  if (f.type === 'integer') {
    if (f.class === 'counter') return (tag.value as number) + Math.floor(Math.random() * 5)
    // Alarm counts and other small integers move by one now and then, inside their range.
    if (Math.random() >= 0.05) return tag.value
    const stepped = (tag.value as number) + (Math.random() < 0.5 ? -1 : 1)
    return Math.min(f.range?.max ?? 10, Math.max(f.range?.min ?? 0, stepped))
  }
  const min = f.range?.min ?? 0
  const max = f.range?.max ?? 100
  const stepped = (tag.value as number) + (Math.random() - 0.5) * (max - min) * 0.02
  return Math.round(Math.min(max, Math.max(min, stepped)) * 100) / 100
}

export interface JsonFactoryOptions {
  /** Time between rounds of changed values, ms (default 1000). */
  readonly intervalMs?: number
  /** QoS of every publish (default 1). */
  readonly qos?: 0 | 1
  /** Publish at most this many tags (default: all). */
  readonly maxTags?: number
  /** Paths another publisher owns (e.g. the simulated Sparkplug devices). */
  readonly exclude?: (path: string) => boolean
  readonly clientId?: string
}

export interface JsonFactory {
  readonly tags: number
  /** Publishes so far. */
  readonly published: number
  stop(): Promise<void>
}

/** Publishes every tag once (retained), then changed values every `intervalMs`. */
export async function startJsonFactory(
  def: NamespaceDefinition,
  mqttUrl: string,
  options: JsonFactoryOptions | number = {},
): Promise<JsonFactory> {
  const o: JsonFactoryOptions = typeof options === 'number' ? { intervalMs: options } : options
  const exclude = o.exclude ?? (() => false)
  const tags = tagsOf(def)
    .filter((t) => !exclude(t.path))
    .slice(0, o.maxTags ?? Infinity)
  const client: MqttClient = await mqtt.connectAsync(mqttUrl, { clientId: o.clientId ?? 'demo-plc-gateway' })
  let published = 0
  const publish = (t: SimTag): void => {
    published++
    void client.publish(t.path, JSON.stringify({ value: t.value, timestamp: Date.now(), quality: 'good' }), {
      qos: o.qos ?? 1,
      retain: true,
    })
  }
  tags.forEach(publish)
  const timer = setInterval(() => {
    for (const tag of tags) {
      // Setpoints are left to writers; the MES order number is what this publisher plays the MES for.
      if (tag.field.writable && tag.field.class !== 'order') continue
      const value = next(tag)
      if (value !== tag.value) {
        tag.value = value
        publish(tag)
      }
    }
  }, o.intervalMs ?? 1000)
  return {
    tags: tags.length,
    get published() {
      return published
    },
    async stop() {
      clearInterval(timer)
      await client.endAsync()
    },
  }
}
