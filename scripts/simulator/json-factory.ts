// Plain-JSON publishers for every declared tag of a namespace: PLC telemetry as random walks inside
// the field's range, states and alarms that change now and then, counters that count up.
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
  if (f.type === 'string') return 'PO-1000'
  const min = f.range?.min ?? 0
  const max = f.range?.max ?? 100
  return f.type === 'integer' ? Math.round(min) : min + (max - min) / 2
}

function next(tag: SimTag): number | boolean | string {
  const f = tag.field
  if (f.enum)
    return Math.random() < 0.05 ? (f.enum[Math.floor(Math.random() * f.enum.length)] as string) : tag.value
  if (f.type === 'boolean') return Math.random() < 0.02 ? !tag.value : tag.value
  if (f.type === 'string')
    return Math.random() < 0.01 ? `PO-${1000 + Math.floor(Math.random() * 9000)}` : tag.value
  if (f.type === 'integer')
    return (tag.value as number) + (f.class === 'counter' ? Math.floor(Math.random() * 5) : 0)
  const min = f.range?.min ?? 0
  const max = f.range?.max ?? 100
  const stepped = (tag.value as number) + (Math.random() - 0.5) * (max - min) * 0.02
  return Math.round(Math.min(max, Math.max(min, stepped)) * 100) / 100
}

export interface JsonFactory {
  readonly tags: number
  stop(): Promise<void>
}

/** Publishes every tag once, then changed values every `intervalMs`. Setpoints (writable) are left to writers. */
export async function startJsonFactory(
  def: NamespaceDefinition,
  mqttUrl: string,
  intervalMs = 1000,
): Promise<JsonFactory> {
  const tags = tagsOf(def)
  const client: MqttClient = await mqtt.connectAsync(mqttUrl, { clientId: 'demo-plc-gateway' })
  const publish = (t: SimTag): void =>
    void client.publish(t.path, JSON.stringify({ value: t.value, timestamp: Date.now(), quality: 'good' }), {
      qos: 1,
      retain: true,
    })
  tags.forEach(publish)
  const timer = setInterval(() => {
    for (const tag of tags) {
      if (tag.field.writable) continue
      const value = next(tag)
      if (value !== tag.value) {
        tag.value = value
        publish(tag)
      }
    }
  }, intervalMs)
  return {
    tags: tags.length,
    async stop() {
      clearInterval(timer)
      await client.endAsync()
    },
  }
}
