import type { FastifyError, FastifyInstance } from 'fastify'
import { UnsError } from '../errors.js'

// A deliberate, retriable 503 (Kafka unreachable, registry still restoring) tells its reason: the
// operator needs it, and it reveals no internals. Every other 5xx hides its detail.
const RETRY_AFTER_S = 5

/**
 * The one error handler of the API: every error leaves as application/problem+json (RFC 9457).
 * (The Confluent-compatible registry subset answers in Confluent's own error format, because its
 * clients parse that; see routes/registry-confluent.ts.)
 */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError & { code?: string; details?: unknown }, req, reply) => {
    const status = err.statusCode ?? 500
    const told = err instanceof UnsError && status === 503 && err.retriable
    if (status >= 500 && !told) req.log.error({ err }, 'request failed')
    if (told) void reply.header('retry-after', String(RETRY_AFTER_S))
    const body = {
      type: 'about:blank',
      title: titleFor(status),
      status,
      detail: status >= 500 && !told ? 'The server failed to handle this request; see its log' : err.message,
      ...(err.code && (status < 500 || told) ? { code: err.code } : {}),
    }
    void reply.status(status).type('application/problem+json').send(body)
  })
  app.setNotFoundHandler((req, reply) => {
    void reply
      .status(404)
      .type('application/problem+json')
      .send({
        type: 'about:blank',
        title: 'Not Found',
        status: 404,
        detail: `No route for ${req.method} ${req.url}`,
      })
  })
}

const titleFor = (status: number): string =>
  ({
    400: 'Bad Request',
    401: 'Unauthorized',
    403: 'Forbidden',
    404: 'Not Found',
    409: 'Conflict',
    500: 'Internal Server Error',
    503: 'Service Unavailable',
  })[status] ?? 'Error'
