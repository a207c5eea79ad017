// Values as JSON Schema sees them. Inside the service a UnsValue may hold bigint and Uint8Array;
// on the wire they are decimal strings and base64 (PRODUCT.md §3), so they are validated in that form.
import { toJsonValue } from '../uns/index.js'
import type { UnsValue } from '../uns/index.js'
import type { CheckInput } from './types.js'

/** The UNS envelope of an event; absent fields stay absent so that the schema reports them. */
export function toEnvelope(input: CheckInput): Record<string, unknown> {
  const env: Record<string, unknown> = { value: toJsonValue(input.value as UnsValue, input.datatype) }
  if (input.timestamp !== undefined) env['timestamp'] = input.timestamp
  if (input.quality !== undefined) env['quality'] = input.quality
  if (input.datatype !== undefined) env['datatype'] = input.datatype
  return env
}
