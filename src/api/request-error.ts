import type { FastifySchemaValidationError } from 'fastify'
import { ApiRequestInvalid } from '../errors.js'

type SchemaErrorDataVar = 'body' | 'headers' | 'params' | 'querystring'

const PLACE: Record<SchemaErrorDataVar, string> = {
  querystring: 'query parameter',
  params: 'path parameter',
  body: 'body field',
  headers: 'header',
}

/**
 * Route `schemaErrorFormatter`: turns Ajv's errors into one coded 400 whose detail names the parameter
 * and the rule it broke, e.g. `query parameter "limit" must be <= 1000`.
 */
export function toRequestError(errors: FastifySchemaValidationError[], dataVar: SchemaErrorDataVar): Error {
  const reasons = errors.map((e) => {
    const missing = (e.params as { missingProperty?: unknown }).missingProperty
    if (typeof missing === 'string') return `${PLACE[dataVar]} "${missing}" is required`
    const name = e.instancePath.replace(/^\//, '').replace(/\//g, '.')
    const rule = e.message ?? 'is invalid'
    return name === '' ? `${dataVar} ${rule}` : `${PLACE[dataVar]} "${name}" ${rule}`
  })
  return new ApiRequestInvalid([reasons.join('; ')], {
    errors: errors.map((e) => ({ instancePath: e.instancePath, message: e.message })),
  })
}
