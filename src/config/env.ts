// The only reader of process.env. Every leaf setting has an environment name derived from its
// path: `kafka.brokers` -> UNS_KAFKA_BROKERS, `instanceId` -> UNS_INSTANCE_ID. The names the issue
// fixes (UNS_MQTT_PORT, UNS_HTTP_PORT, UNS_HOST, ...) fall out of this rule, so there is no table to keep.
import type { TSchema } from '@sinclair/typebox'

export interface EnvSetting {
  readonly path: readonly string[]
  readonly name: string
  readonly isArray: boolean
}

const toEnvPart = (key: string): string => key.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toUpperCase()

/** Every leaf setting of the schema with its environment variable name. */
export function envSettings(schema: TSchema, path: string[] = []): EnvSetting[] {
  if (schema.type === 'object' && schema.properties) {
    return Object.entries(schema.properties as Record<string, TSchema>).flatMap(([key, sub]) =>
      envSettings(sub, [...path, key]),
    )
  }
  // Lists of objects (bridge rules, users) and named maps (roles) come from the YAML file only.
  if (schema.type === 'array' && (schema.items as TSchema | undefined)?.type === 'object') return []
  if (schema.type === 'object') return []
  return [{ path, name: ['UNS', ...path.map(toEnvPart)].join('_'), isArray: schema.type === 'array' }]
}

export interface EnvValue {
  readonly setting: EnvSetting
  readonly value: string | string[]
}

/** The settings present in `env` (defaults to process.env), arrays split on commas. */
export function readEnv(schema: TSchema, env: NodeJS.ProcessEnv = process.env): EnvValue[] {
  return envSettings(schema).flatMap((setting) => {
    const raw = env[setting.name]
    if (raw === undefined) return []
    const value = setting.isArray
      ? raw
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s.length > 0)
      : raw
    return [{ setting, value }]
  })
}
