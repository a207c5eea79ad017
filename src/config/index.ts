export { loadConfig, redactConfig, type LoadConfigOptions } from './load.js'
export { ConfigSchema, type Config } from './schema.js'
export { envSettings } from './env.js'
export { configReferenceMarkdown, helpText } from './help.js'
