import { accessSync, constants, readFileSync, statSync } from 'node:fs'
import { Ajv, type ErrorObject } from 'ajv'
import { parseDocument } from 'yaml'
import { ConfigFileUnreadable, ConfigInvalid } from '../errors.js'
import { securityConfigProblems } from '../security/index.js'
import { ConfigSchema, SECRET_KEYS, type Config } from './schema.js'
import { readEnv } from './env.js'

export interface LoadConfigOptions {
  /** YAML (or JSON) config file, from `--config`. */
  file?: string
  /** Environment to read UNS_* settings from; process.env when unset. */
  env?: NodeJS.ProcessEnv
}

type Plain = Record<string, unknown>

const ajv = new Ajv({ useDefaults: true, coerceTypes: true, allErrors: true, strict: true })
// Certificate and key files are checked at load, so a wrong path stops the start with exit 2 and
// names the setting, instead of failing later in a TLS handshake.
ajv.addFormat('readable-file', (path: string) => {
  try {
    accessSync(path, constants.R_OK)
    return statSync(path).isFile()
  } catch {
    return false
  }
})
const validateConfig = ajv.compile<Config>(ConfigSchema)

/**
 * Defaults, then the file, then the environment (later wins); validated against the one schema and
 * deep-frozen. All problems are reported together in one UNS_ERR_CONFIG_INVALID.
 */
export function loadConfig(options: LoadConfigOptions = {}): Config {
  const merged: Plain = {}
  const sources = new Map<string, string>()
  if (options.file !== undefined) {
    const fromFile = readConfigFile(options.file)
    mergeInto(merged, fromFile, [], sources, options.file)
  }
  for (const { setting, value } of readEnv(ConfigSchema, options.env)) {
    setPath(merged, setting.path, value)
    sources.set(setting.path.join('.'), setting.name)
  }
  if (!validateConfig(merged)) {
    const lines = (validateConfig.errors ?? []).map((e) => describeError(e, merged, sources))
    throw new ConfigInvalid([lines.map((l) => `  ${l}`).join('\n')], { errors: lines })
  }
  // Cross-field rules, once every field is known to be well-formed.
  const problems = securityConfigProblems(merged as Config)
  if (problems.length > 0) {
    throw new ConfigInvalid([problems.map((l) => `  ${l}`).join('\n')], { errors: problems })
  }
  return deepFreeze(merged as Config)
}

function readConfigFile(file: string): Plain {
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch (err) {
    throw new ConfigFileUnreadable([file, (err as Error).message], { file }, { cause: err })
  }
  const doc = parseDocument(text, { prettyErrors: true })
  if (doc.errors.length > 0) {
    const first = doc.errors[0]
    const where = first?.linePos?.[0] ? `line ${first.linePos[0].line}` : 'unknown line'
    throw new ConfigFileUnreadable([file, `${where}: ${first?.message.split('\n')[0]}`], { file })
  }
  const value: unknown = doc.toJS()
  if (value === null || value === undefined) return {}
  if (typeof value !== 'object' || Array.isArray(value)) {
    throw new ConfigFileUnreadable([file, 'the top level must be a mapping of settings'], { file })
  }
  return value as Plain
}

function mergeInto(
  target: Plain,
  source: Plain,
  path: string[],
  sources: Map<string, string>,
  label: string,
) {
  for (const [key, value] of Object.entries(source)) {
    const here = [...path, key]
    if (isPlain(value)) {
      const child = isPlain(target[key]) ? (target[key] as Plain) : {}
      target[key] = child
      mergeInto(child, value, here, sources, label)
    } else {
      target[key] = value
    }
    sources.set(here.join('.'), label)
  }
}

function setPath(target: Plain, path: readonly string[], value: unknown): void {
  let node = target
  for (const key of path.slice(0, -1)) {
    if (!isPlain(node[key])) node[key] = {}
    node = node[key] as Plain
  }
  node[path[path.length - 1] as string] = value
}

function describeError(e: ErrorObject, merged: Plain, sources: Map<string, string>): string {
  const path = e.instancePath.split('/').filter(Boolean)
  if (e.keyword === 'additionalProperties') {
    const extra = [...path, String(e.params.additionalProperty)].join('.')
    const allowed = Object.keys(schemaAt(path)?.properties ?? {}).join(', ')
    return `${extra}${from(sources, extra)}: unknown setting; allowed here: ${allowed}`
  }
  const name = path.join('.') || '(top level)'
  const value = path.reduce<unknown>(
    (v, k) => (typeof v === 'object' && v !== null ? (v as Plain)[k] : undefined),
    merged,
  )
  const allowed = e.keyword === 'enum' ? `: ${(e.params.allowedValues as unknown[]).join(', ')}` : ''
  if (e.keyword === 'format' && e.params.format === 'readable-file')
    return `${name} = ${JSON.stringify(value)}${from(sources, name)}: no readable file there`
  // The value of a setting above a secret (kafka.sasl) is shown with the secret redacted.
  const shown = isSecret(path) ? '[redacted]' : JSON.stringify(redact(value, ''))
  return `${name} = ${shown}${from(sources, name)}: ${e.message}${allowed}`
}

/** Which file or variable set this setting (or the nearest setting above it, for array items). */
function from(sources: Map<string, string>, key: string): string {
  for (let k = key; k !== ''; k = k.includes('.') ? k.slice(0, k.lastIndexOf('.')) : '') {
    const source = sources.get(k)
    if (source) return ` (from ${source})`
  }
  return ''
}

function schemaAt(path: string[]): { properties?: Record<string, unknown> } | undefined {
  let node: unknown = ConfigSchema
  for (const key of path) node = (node as { properties?: Record<string, unknown> }).properties?.[key]
  return node as { properties?: Record<string, unknown> } | undefined
}

const isPlain = (v: unknown): v is Plain => typeof v === 'object' && v !== null && !Array.isArray(v)
const isSecret = (path: readonly string[]): boolean =>
  (SECRET_KEYS as readonly string[]).includes(path[path.length - 1] ?? '')

function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const v of Object.values(value)) deepFreeze(v)
    Object.freeze(value)
  }
  return value
}

function redact(v: unknown, key: string): unknown {
  if ((SECRET_KEYS as readonly string[]).includes(key)) return '[redacted]'
  if (Array.isArray(v)) return v.map((x) => redact(x, ''))
  if (isPlain(v)) return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, redact(x, k)]))
  return v
}

/** The config with every secret replaced, for `--print-config` and logs. */
export function redactConfig(config: Config): Plain {
  return redact(config, '') as Plain
}
