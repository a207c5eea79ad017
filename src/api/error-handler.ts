import type { FastifyError, FastifyInstance } from 'fastify'

/** Every error leaves as application/problem+json (RFC 9457); 5xx hide internals. */
export function installErrorHandler(app: FastifyInstance): void {
  app.setErrorHandler((err: FastifyError & { code?: string; details?: unknown }, req, reply) => {
    const status = err.statusCode ?? 500
    if (status >= 500) req.log.error({ err }, 'request failed')
    const body = {
      type: 'about:blank',
      title: status >= 500 ? 'Internal Server Error' : titleFor(status),
      status,
      detail: status >= 500 ? 'The server failed to handle this request; see its log' : err.message,
      ...(err.code && status < 500 ? { code: err.code } : {}),
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
  ({ 400: 'Bad Request', 403: 'Forbidden', 404: 'Not Found', 409: 'Conflict', 503: 'Service Unavailable' })[
    status
  ] ?? 'Error'
