import type { TSchema } from '@sinclair/typebox'
import { envSettings } from './env.js'
import { ConfigSchema } from './schema.js'

/** `uns-bridge --help`: usage plus every setting with its environment name, default and meaning. */
export function helpText(): string {
  const rows = envSettings(ConfigSchema).map(({ path, name }) => {
    const schema = path.reduce<TSchema>(
      (s, k) => (s.properties as Record<string, TSchema>)[k] as TSchema,
      ConfigSchema,
    )
    const def = schema.default === undefined ? '' : ` (default ${JSON.stringify(schema.default)})`
    return `  ${path.join('.').padEnd(28)} ${name.padEnd(32)} ${schema.description ?? ''}${def}`
  })
  return [
    'Usage: uns-bridge [--config file.yaml] [--print-config] [--help]',
    '       uns-bridge hash-password   (reads a password on standard input, prints its hash for security.users)',
    '',
    'Unified Namespace hub: MQTT broker, Sparkplug B host, schema registry and Kafka bridge.',
    '',
    'Options:',
    '  --config, -c FILE   YAML settings file (environment variables override it)',
    '  --print-config      print the effective settings (secrets redacted) and exit',
    '  --help, -h          this text',
    '',
    'Settings (file path, environment variable, meaning):',
    ...rows,
    '',
  ].join('\n')
}

/** The configuration reference as a markdown table (docs/configuration.md is generated from it). */
export function configReferenceMarkdown(): string {
  const rows = referenceRows(ConfigSchema).map(({ path, name, schema }) => {
    const def = schema.default === undefined ? '' : `\`${JSON.stringify(schema.default)}\``
    const allowed = Array.isArray(schema.enum) ? ` One of: ${(schema.enum as string[]).join(', ')}.` : ''
    const env = name === undefined ? '(YAML only)' : `\`${name}\``
    return `| \`${path}\` | ${env} | ${def} | ${schema.description ?? ''}.${allowed} |`
  })
  return [
    '# Configuration reference',
    '',
    'Generated from `src/config/schema.ts` by `npm run docs:config`; a test fails when this file is out of date.',
    'Sources, later wins: the defaults below, the YAML file given with `--config`, then the environment.',
    'Arrays from the environment are comma-separated. `uns-bridge --print-config` shows the effective values.',
    'Lists of objects (`[]`) and named maps (`<name>`) come from the YAML file only.',
    '',
    '| setting (YAML path) | environment | default | meaning |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n')
}

interface ReferenceRow {
  readonly path: string
  /** Environment variable, or undefined for settings from the YAML file only. */
  readonly name: string | undefined
  readonly schema: TSchema
}

/** Every setting in schema order, including the fields of YAML-only lists (`a[].b`) and maps (`a.<name>.b`). */
function referenceRows(schema: TSchema, path = '', yamlOnly = false): ReferenceRow[] {
  const env = new Map(envSettings(ConfigSchema).map((s) => [s.path.join('.'), s.name]))
  const walk = (s: TSchema, p: string, yaml: boolean): ReferenceRow[] => {
    const properties = s.properties as Record<string, TSchema> | undefined
    if (s.type === 'object' && properties) {
      return Object.entries(properties).flatMap(([k, sub]) => walk(sub, p === '' ? k : `${p}.${k}`, yaml))
    }
    const self: ReferenceRow = { path: p, name: yaml ? undefined : env.get(p), schema: s }
    const map = Object.values((s.patternProperties ?? {}) as Record<string, TSchema>)[0]
    if (s.type === 'object' && map !== undefined) return [self, ...walk(map, `${p}.<name>`, true)]
    const items = s.items as TSchema | undefined
    if (s.type === 'array' && items?.type === 'object') return [self, ...walk(items, `${p}[]`, true)]
    return [self]
  }
  return walk(schema, path, yamlOnly)
}
