// `GET /history/{path}?from=&to=&limit=&source=` (PRODUCT.md §6) and `GET /dlq?limit=` (issue 14), an
// encapsulated plugin the API registers with `{ prefix: '/api/v1', history, deadLetters }`.
// History answers JSON (default), NDJSON (streamed: one point per line, then one `{"summary":...}`
// line) or CSV (summary in `uns-history-*` headers), chosen by `Accept` or `?format=`.
import { PassThrough } from 'node:stream'
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyPluginAsync, FastifyReply } from 'fastify'
import type {} from '@fastify/swagger'
import { HistoryRangeInvalid } from '../../errors.js'
import type { DeadLetters, History, HistoryPoint, HistorySummary } from '../../history/index.js'
import { toRequestError } from '../request-error.js'
import { ProblemOut, StringEnum } from './namespace-schemas.js'

export interface HistoryRoutesOptions {
  readonly history: History
  readonly deadLetters: DeadLetters
  readonly now?: () => number
}

const Time = (what: string) =>
  Type.Optional(
    Type.String({
      description: `${what}: epoch ms, ISO 8601 (2026-11-30T08:00:00Z), 'now' or relative to now (-15m, -2h, -7d)`,
    }),
  )
const HistoryQuery = Type.Object({
  from: Time('Start, inclusive (default: one hour ago)'),
  to: Time('End, inclusive (default: now)'),
  limit: Type.Optional(Type.Integer({ minimum: 1, description: 'Most points returned (default 10000)' })),
  source: Type.Optional(
    StringEnum(
      ['auto', 'memory', 'kafka'] as const,
      'auto (default): the in-memory ring when it holds the whole range, else Kafka',
    ),
  ),
  format: Type.Optional(StringEnum(['json', 'ndjson', 'csv'] as const, 'Overrides Accept')),
})
const PathParams = Type.Object({ '*': Type.String({ minLength: 1, description: 'UNS path of a tag' }) })
const DlqQuery = Type.Object({
  limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 1000, default: 100, description: '1 to 1000' })),
})

const PointOut = Type.Object({
  timestamp: Type.Number({ description: 'Source timestamp, epoch ms' }),
  value: Type.Unknown(),
  quality: Type.String(),
  datatype: Type.Optional(Type.String()),
  receivedAt: Type.Optional(Type.Number({ description: 'Kafka record timestamp, epoch ms' })),
})
const SummaryFields = {
  path: Type.String(),
  from: Type.Number(),
  to: Type.Number(),
  source: StringEnum(['memory', 'kafka'] as const),
  topic: Type.Optional(Type.String()),
  partition: Type.Optional(Type.Integer()),
  count: Type.Integer(),
  scanned: Type.Integer({ description: 'Kafka records looked at' }),
  truncated: Type.Boolean({ description: 'true: the range holds more than these points' }),
  reason: Type.Optional(
    StringEnum(['limit', 'scan-records', 'scan-time', 'memory-only', 'kafka-error'] as const),
  ),
  detail: Type.Optional(Type.String({ description: 'The reason in words, and what to do' })),
  resumeFrom: Type.Optional(Type.Number({ description: 'from of the next request to continue' })),
  elapsedMs: Type.Number(),
}
const HistoryOut = Type.Object({ ...SummaryFields, points: Type.Array(PointOut) })
const DeadLetterOut = Type.Object({
  receivedAt: Type.Number(),
  topic: Type.String(),
  clientId: Type.String(),
  code: Type.String(),
  reason: Type.String(),
  subject: Type.Optional(Type.String()),
  version: Type.Optional(Type.Integer()),
  errors: Type.Optional(Type.Array(Type.Object({ instancePath: Type.String(), message: Type.String() }))),
  payload: Type.String(),
  payloadEncoding: StringEnum(['utf8', 'base64'] as const),
  payloadBytes: Type.Integer(),
  origin: Type.Optional(Type.String()),
  from: StringEnum(['memory', 'kafka'] as const),
})

const UNITS: Record<string, number> = { s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }

/** `now`, epoch ms, ISO 8601 or `-<n><s|m|h|d>`; undefined when unreadable. */
export function parseTime(text: string, now: number): number | undefined {
  const t = text.trim()
  if (t === 'now') return now
  if (/^\d+$/.test(t)) return Number(t)
  const rel = /^-(\d+(?:\.\d+)?)([smhd])$/.exec(t)
  if (rel) return now - Number(rel[1]) * (UNITS[rel[2] as string] as number)
  const parsed = Date.parse(t)
  return Number.isNaN(parsed) ? undefined : parsed
}

type Format = 'json' | 'ndjson' | 'csv'

function formatOf(query: string | undefined, accept: string | undefined): Format {
  if (query === 'json' || query === 'ndjson' || query === 'csv') return query
  const a = accept ?? ''
  if (/\bapplication\/(x-)?ndjson\b/.test(a)) return 'ndjson'
  if (/\btext\/csv\b/.test(a)) return 'csv'
  return 'json'
}

const csvCell = (v: unknown): string => {
  if (v === undefined || v === null) return ''
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v)
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}

export const CSV_HEADER = 'timestamp,time,value,quality,datatype,receivedAt\r\n'
const csvRow = (p: HistoryPoint): string =>
  [p.timestamp, new Date(p.timestamp).toISOString(), p.value, p.quality, p.datatype, p.receivedAt]
    .map(csvCell)
    .join(',') + '\r\n'

function summaryHeaders(reply: FastifyReply, s: HistorySummary): void {
  reply.header('uns-history-source', s.source)
  reply.header('uns-history-count', String(s.count))
  reply.header('uns-history-scanned', String(s.scanned))
  reply.header('uns-history-truncated', String(s.truncated))
  if (s.reason !== undefined) reply.header('uns-history-reason', s.reason)
  if (s.resumeFrom !== undefined) reply.header('uns-history-resume-from', String(s.resumeFrom))
}

export const historyRoutes: FastifyPluginAsync<HistoryRoutesOptions> = async (app, opts) => {
  const { history, deadLetters } = opts
  const now = opts.now ?? Date.now
  const problem = { content: { 'application/problem+json': { schema: ProblemOut } } }

  app.get<{ Params: Static<typeof PathParams>; Querystring: Static<typeof HistoryQuery> }>(
    '/history/*',
    {
      schemaErrorFormatter: toRequestError,
      schema: {
        summary: "A tag's values between two times, from memory or read back from Kafka retention",
        description:
          'Reads the topic the tag is routed to, only the partition of its key, from the offset of `from`, within the scan budget (history.scanMaxRecords, history.scanMaxMs); `truncated` and `reason` say when the answer is cut. JSON by default; `Accept: application/x-ndjson` streams one point per line then a `{"summary":...}` line; `Accept: text/csv` gives CSV with the summary in `uns-history-*` headers.',
        tags: ['history'],
        params: PathParams,
        querystring: HistoryQuery,
        response: {
          200: {
            content: {
              'application/json': { schema: HistoryOut },
              'application/x-ndjson': { schema: { type: 'string' } },
              'text/csv': { schema: { type: 'string' } },
            },
          },
          400: problem,
          409: problem,
        },
      },
    },
    async (req, reply) => {
      const at = now()
      const q = req.query
      const from = q.from === undefined ? at - 3_600_000 : parseTime(q.from, at)
      const to = q.to === undefined ? at : parseTime(q.to, at)
      if (from === undefined) throw new HistoryRangeInvalid([`from ${JSON.stringify(q.from)} is not a time`])
      if (to === undefined) throw new HistoryRangeInvalid([`to ${JSON.stringify(q.to)} is not a time`])
      const query = {
        path: req.params['*'],
        from,
        to,
        limit: q.limit,
        source: q.source ?? 'auto',
      }
      const format = formatOf(q.format, req.headers.accept)

      if (format === 'json') {
        const points: HistoryPoint[] = []
        const summary = await history.read(query, (p) => points.push(p))
        return reply.type('application/json').send({ ...summary, points })
      }
      if (format === 'csv') {
        // Buffered (at most `limit` rows): the summary must be in the headers, before the body.
        let body = CSV_HEADER
        const summary = await history.read(query, (p) => (body += csvRow(p)))
        summaryHeaders(reply, summary)
        return reply.type('text/csv; charset=utf-8').send(body)
      }
      const stream = new PassThrough()
      let started = false
      const start = (): void => {
        if (started) return
        started = true
        void reply.type('application/x-ndjson').send(stream)
      }
      try {
        const summary = await history.read(query, (p) => {
          start()
          stream.write(`${JSON.stringify(p)}\n`)
        })
        start()
        stream.end(`${JSON.stringify({ summary })}\n`)
      } catch (err) {
        // Before the first line the error becomes a problem+json answer; after it, the stream breaks.
        if (!started) throw err
        req.log.warn({ err, path: query.path }, 'history stream broken')
        stream.destroy(err as Error)
      }
      return reply
    },
  )

  app.get<{ Querystring: Static<typeof DlqQuery> }>(
    '/dlq',
    {
      schemaErrorFormatter: toRequestError,
      schema: {
        summary:
          'The latest refused messages (dead letters), newest first, with error code, reason and schema errors',
        tags: ['history'],
        querystring: DlqQuery,
        response: {
          200: Type.Object({
            items: Type.Array(DeadLetterOut),
            kafkaError: Type.Optional(
              Type.String({ description: 'The dead-letter topic was not readable: memory only' }),
            ),
          }),
          400: problem,
        },
      },
    },
    async (req) => deadLetters.latest(req.query.limit ?? 100),
  )
}
