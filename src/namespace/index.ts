export { parseUnsPath, type UnsPath, type UnsPathLimits } from './uns-path.js'
export { parseUnsPayload, toEnvelopeJson, type UnsPayload } from './envelope.js'
export type { Result } from './result.js'
