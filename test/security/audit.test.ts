import assert from 'node:assert/strict'
import { Writable } from 'node:stream'
import { describe, test } from 'node:test'
import { createLogger } from '../../src/logger.js'
import { createMetrics } from '../../src/metrics.js'
import { createAuditTrail, type AuditEvent } from '../../src/security/index.js'

/** A real pino logger writing JSON lines into an array. */
function capture() {
  const lines: Record<string, unknown>[] = []
  const stream = new Writable({
    write(chunk: Buffer, _enc, done) {
      for (const l of chunk.toString().split('\n'))
        if (l.trim() !== '') lines.push(JSON.parse(l) as Record<string, unknown>)
      done()
    },
  })
  return { lines, logger: createLogger('info', stream) }
}
const flush = () => new Promise((r) => setImmediate(r))

const refusal = {
  identity: 'plc-berlin-1',
  address: '10.0.0.7:51234',
  action: 'publish',
  target: 'acme/hamburg/line1/temp',
  result: 'refused',
  reason: 'no role grants publish on acme/hamburg/line1/temp',
} as const

describe('audit trail', () => {
  test('a refusal is logged at warn with identity, address, action and target, and reaches the sink', async () => {
    const { lines, logger } = capture()
    const events: AuditEvent[] = []
    const audit = createAuditTrail({
      logger,
      sink: (e) => void events.push(e),
      now: () => Date.UTC(2026, 0, 2, 3, 4, 5),
    })
    audit.record(refusal)
    await flush()
    assert.deepEqual(events, [{ time: '2026-01-02T03:04:05.000Z', ...refusal }])
    const line = lines.find((l) => l['msg'] === 'access refused')
    assert.ok(line)
    assert.equal(line['level'], 40)
    assert.equal(line['identity'], 'plc-berlin-1')
    assert.equal(line['address'], '10.0.0.7:51234')
    assert.equal(line['action'], 'publish')
    assert.equal(line['target'], 'acme/hamburg/line1/temp')
  })

  test('a sink added later (the Kafka bridge) receives the events from then on, next to the first sink', async () => {
    const { logger } = capture()
    const first: AuditEvent[] = []
    const later: AuditEvent[] = []
    const audit = createAuditTrail({ logger, sink: (e) => void first.push(e) })
    audit.record(refusal)
    audit.addSink((e) => void later.push(e))
    audit.record({ ...refusal, target: 'acme/x' })
    await flush()
    assert.deepEqual(
      first.map((e) => e.target),
      ['acme/hamburg/line1/temp', 'acme/x'],
    )
    assert.deepEqual(
      later.map((e) => e.target),
      ['acme/x'],
    )
  })

  test('allowed writes and admin changes are kept at info', async () => {
    const { lines, logger } = capture()
    const audit = createAuditTrail({ logger })
    audit.record({
      identity: 'mes',
      address: 'kafka:uns.commands',
      action: 'write',
      target: 'acme/berlin/packaging/line1/setpoint',
      result: 'allowed',
    })
    await flush()
    assert.equal(lines.find((l) => l['msg'] === 'access audited')?.['level'], 30)
  })

  test('events are counted as uns_audit_events_total{action,result}', async () => {
    const metrics = createMetrics()
    const { logger } = capture()
    const audit = createAuditTrail({ logger, counter: metrics.auditEvents })
    audit.record(refusal)
    audit.record(refusal)
    audit.record({ ...refusal, action: 'write', result: 'allowed' })
    const text = await metrics.registry.metrics()
    assert.match(text, /uns_audit_events_total\{action="publish",result="refused"\} 2/)
    assert.match(text, /uns_audit_events_total\{action="write",result="allowed"\} 1/)
  })

  test('a flood of refusals is rate-limited in the log but every event is counted and sent', async () => {
    const metrics = createMetrics()
    const { lines, logger } = capture()
    let t = 0
    const sent: AuditEvent[] = []
    const audit = createAuditTrail(
      { logger, counter: metrics.auditEvents, sink: (e) => void sent.push(e), now: () => t },
      { logPerSecond: 5 },
    )
    for (let i = 0; i < 1000; i++) audit.record(refusal)
    t = 1500
    audit.record(refusal)
    await flush()
    assert.equal(lines.filter((l) => l['msg'] === 'access refused').length, 6)
    assert.equal(
      lines.find((l) => String(l['msg']).startsWith('audit log lines suppressed'))?.['suppressed'],
      995,
    )
    assert.equal(sent.length, 1001)
    assert.match(
      await metrics.registry.metrics(),
      /uns_audit_events_total\{action="publish",result="refused"\} 1001/,
    )
  })

  test('a failing sink (thrown or rejected) never reaches the caller; it is counted and logged once', async () => {
    const { lines, logger } = capture()
    const throwing = createAuditTrail({
      logger,
      sink: () => {
        throw new Error('kafka down')
      },
    })
    const rejecting = createAuditTrail({ logger, sink: () => Promise.reject(new Error('kafka down')) })
    for (let i = 0; i < 3; i++) {
      throwing.record(refusal)
      rejecting.record(refusal)
    }
    await flush()
    assert.equal(throwing.sinkFailures, 3)
    assert.equal(rejecting.sinkFailures, 3)
    assert.equal(lines.filter((l) => String(l['msg']).startsWith('audit sink failed')).length, 2)
  })

  test('a huge target (a 1,000-level topic) and a huge username are cut', () => {
    const { logger } = capture()
    const sent: AuditEvent[] = []
    const audit = createAuditTrail({ logger, sink: (e) => void sent.push(e) })
    audit.record({ ...refusal, target: 'a/'.repeat(1000), identity: 'u'.repeat(65_000) })
    assert.equal(sent[0]?.target.length, 1025)
    assert.equal(sent[0]?.identity.length, 257)
  })
})
