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
  const rows = envSettings(ConfigSchema).map(({ path, name }) => {
    const schema = path.reduce<TSchema>(
      (s, k) => (s.properties as Record<string, TSchema>)[k] as TSchema,
      ConfigSchema,
    )
    const def = schema.default === undefined ? '' : `\`${JSON.stringify(schema.default)}\``
    const allowed = Array.isArray(schema.enum) ? ` One of: ${(schema.enum as string[]).join(', ')}.` : ''
    return `| \`${path.join('.')}\` | \`${name}\` | ${def} | ${schema.description ?? ''}.${allowed} |`
  })
  return [
    '# Configuration reference',
    '',
    'Generated from `src/config/schema.ts` by `npm run docs:config`; a test fails when this file is out of date.',
    'Sources, later wins: the defaults below, the YAML file given with `--config`, then the environment.',
    'Arrays from the environment are comma-separated. `uns-bridge --print-config` shows the effective values.',
    '',
    '| setting (YAML path) | environment | default | meaning |',
    '| --- | --- | --- | --- |',
    ...rows,
    '',
  ].join('\n')
}
