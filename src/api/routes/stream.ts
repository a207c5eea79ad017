// GET /api/v1/stream?filter= : Server-Sent Events of value changes under an MQTT filter (PRODUCT.md §6).
// Written straight to the socket after reply.hijack(); the route schema still documents it.
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyPluginAsync } from 'fastify'
import type {} from '@fastify/swagger'
import type { NamespaceTree, ValueChange } from '../../namespace/index.js'
import { toJsonValue } from '../../uns/index.js'
import { createPathThrottle } from '../path-throttle.js'
import { StreamLimit } from '../../errors.js'
import { toRequestError } from '../request-error.js'
import { Filter, ProblemOut } from './namespace-schemas.js'

export interface StreamOptions {
  /** Per-path window (ms): at most one event per path and window, the latest value wins. 0 = no throttle. */
  readonly throttleMs: number
  /** Interval of the keep-alive comment (ms) that stops proxies from closing a quiet stream. Default 15000. */
  readonly heartbeatMs?: number
  /** Streams open at once (`security.limits.sseStreams`); one more is answered 503. Default: no limit. */
  readonly maxStreams?: number
  /** Counts the streams refused at `maxStreams`. */
  readonly refused?: { inc(): void }
}

export interface StreamRoutesOptions extends StreamOptions {
  readonly tree: NamespaceTree
  /** Shared with buildApi, which exposes it as `app.streamClients()`. */
  readonly counter: { clients: number }
}

// A client that reads slower than changes arrive is cut off rather than buffered without bound.
const MAX_BUFFERED_BYTES = 1 << 20

/** Most filters one stream may carry (the explorer sends one per open level). */
export const MAX_STREAM_FILTERS = 64

const StreamQuery = Type.Object({
  filter: Type.Union([Filter, Type.Array(Filter, { minItems: 1, maxItems: MAX_STREAM_FILTERS })], {
    description: `One MQTT filter, or the parameter repeated (up to ${MAX_STREAM_FILTERS}): a change matching several is sent once`,
  }),
})

/** The JSON of one `data:` line. */
export function toStreamData(change: ValueChange): string {
  return JSON.stringify({ ...change, value: toJsonValue(change.value, change.datatype) })
}

export const streamRoutes: FastifyPluginAsync<StreamRoutesOptions> = async (app, opts) => {
  const { tree, counter, throttleMs } = opts
  const heartbeatMs = opts.heartbeatMs ?? 15_000
  const open = new Set<() => void>()
  // Open streams would keep app.close() waiting for ever: end them first.
  app.addHook('preClose', async () => {
    for (const end of [...open]) end()
  })

  app.get<{ Querystring: Static<typeof StreamQuery> }>(
    '/stream',
    {
      schemaErrorFormatter: toRequestError,
      schema: {
        summary: 'Server-Sent Events of value changes under an MQTT filter (one JSON per data line)',
        description: `Each event's data is {path, value, timestamp, quality, datatype?, source, tombstone}. Changes of one path are throttled per connection; a comment line is sent every ${heartbeatMs / 1000} s.`,
        tags: ['namespace'],
        querystring: StreamQuery,
        response: {
          200: {
            description: 'An endless event stream',
            content: { 'text/event-stream': { schema: { type: 'string' } } },
          },
          400: { content: { 'application/problem+json': { schema: ProblemOut } } },
          503: {
            description: 'security.limits.sseStreams streams are open; retry after the Retry-After seconds',
            content: { 'application/problem+json': { schema: ProblemOut } },
          },
        },
      },
    },
    async (req, reply) => {
      if (counter.clients >= (opts.maxStreams ?? Infinity)) {
        opts.refused?.inc()
        req.log.warn({ streams: counter.clients }, 'SSE stream refused: security.limits.sseStreams')
        throw new StreamLimit([String(counter.clients)])
      }
      const res = reply.raw
      let ended = false
      const write = (chunk: string): void => {
        if (ended) return
        res.write(chunk)
        if (res.writableLength > MAX_BUFFERED_BYTES) {
          req.log.warn({ filter: req.query.filter }, 'SSE client too slow, stream closed')
          end()
        }
      }
      const throttle = createPathThrottle<ValueChange>(throttleMs, (c) =>
        write(`data: ${toStreamData(c)}\n\n`),
      )
      // Subscribing first: a bad filter throws a coded 400 before anything is hijacked. The tree hands
      // one change object to every matching subscription in turn, so a repeat of the last one is a duplicate.
      const filters = Array.isArray(req.query.filter) ? req.query.filter : [req.query.filter]
      let last: ValueChange | undefined
      const onChange = (c: ValueChange): void => {
        if (c === last) return
        last = c
        throttle.push(c.path, c)
      }
      const unsubscribes: (() => void)[] = []
      try {
        for (const f of filters) unsubscribes.push(tree.subscribe(f, onChange))
      } catch (err) {
        for (const u of unsubscribes) u()
        throw err
      }
      const unsubscribe = (): void => {
        for (const u of unsubscribes) u()
      }
      const heartbeat = setInterval(() => write(': heartbeat\n\n'), heartbeatMs)
      const end = (): void => {
        if (ended) return
        ended = true
        unsubscribe()
        throttle.close()
        clearInterval(heartbeat)
        open.delete(end)
        counter.clients -= 1
        res.end()
      }
      open.add(end)
      counter.clients += 1
      res.on('close', end)
      reply.hijack()
      res.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        // nginx would otherwise buffer the stream.
        'x-accel-buffering': 'no',
      })
      // Sends the headers at once, so the client knows the subscription is live.
      res.write(': subscribed\n\n')
    },
  )
}
