import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { Placement } from '../src/bridge/index.js'
import { createLogger } from '../src/logger.js'
import { createMetrics, type Metrics } from '../src/metrics.js'
import { createNamespaceTree, loadNamespace, type NamespaceTree } from '../src/namespace/index.js'
import { createPipeline, restoreStateRecord, type PipelineDeps } from '../src/pipeline.js'
import { createMemoryStore, createRegistry, type Registry } from '../src/registry/index.js'
import type { SparkplugResult } from '../src/sparkplug/index.js'
import type { SparkplugValue } from '../src/sparkplug/ingest.js'
import {
  parseUnsPath,
  toEnvelopeJson,
  type InboundMessage,
  type OutgoingMessage,
  type Rejection,
  type UnsEvent,
} from '../src/uns/index.js'
import { deferred, settle, track, type Deferred } from './helpers/deferred.js'
import { captureLogs } from './helpers/logs.js'
import { metricValue } from './helpers/metrics.js'

const definition = await loadNamespace('namespace')
const FILLER = 'acme/berlin/packaging/line-1/filler'
const NOW = 1_764_072_000_000

interface Forwarded {
  message: InboundMessage
  event: UnsEvent
  placement: Placement
  /** As text, whether the pipeline handed over a string or the bytes. */
  envelope: string | null
  headers: Readonly<Record<string, string>> | undefined
  done: Deferred<void>
}

/** A bridge that records what the pipeline hands it; each call's ack is a promise the test settles. */
function recordingBridge() {
  const forwarded: Forwarded[] = []
  const calls = { forward: 0 }
  const raw: { message: InboundMessage; receivedAt: number; done: Deferred<void> }[] = []
  const dead: { message: InboundMessage; rejection: Rejection; receivedAt: number; done: Deferred<void> }[] =
    []
  const bridge: NonNullable<PipelineDeps['bridge']> = {
    // One call per message; its values share the call's ack.
    forward(values) {
      calls.forward++
      const done = deferred()
      for (const { message, event, placement, envelopeJson: envelope, headers } of values) {
        const text = envelope === null || typeof envelope === 'string' ? envelope : envelope.toString()
        forwarded.push({ message, event, placement, envelope: text, headers, done })
      }
      return done.promise
    },
    sparkplugRaw(message, receivedAt) {
      const done = deferred()
      raw.push({ message, receivedAt, done })
      return done.promise
    },
    deadLetter(message, rejection, receivedAt) {
      const done = deferred()
      dead.push({ message, rejection, receivedAt, done })
      return done.promise
    },
  }
  /** Acknowledges every call so far. */
  const ackAll = (): void => [...forwarded, ...raw, ...dead].forEach((c) => c.done.resolve())
  return { bridge, forwarded, calls, raw, dead, ackAll }
}

/** A Sparkplug stage that answers every publish with `result` and hands out its deferred listener. */
function stubSparkplug(result: SparkplugResult) {
  const ingested: { message: InboundMessage; receivedAt: number }[] = []
  let deferredListener: ((r: SparkplugResult) => void) | undefined
  const sparkplug: NonNullable<PipelineDeps['sparkplug']> = {
    ingest(message, receivedAt) {
      ingested.push({ message, receivedAt })
      return result
    },
    onDeferred(listener) {
      deferredListener = listener
    },
  }
  return { sparkplug, ingested, emitDeferred: (r: SparkplugResult) => deferredListener?.(r) }
}

async function setUp(
  opts: {
    mode?: 'lenient' | 'strict'
    sparkplug?: PipelineDeps['sparkplug']
    publish?: PipelineDeps['publish']
    registry?: (r: Registry) => Promise<unknown>
  } = {},
) {
  const metrics: Metrics = createMetrics()
  const tree: NamespaceTree = createNamespaceTree(definition, { mode: opts.mode ?? 'lenient' })
  const registry = await createRegistry(
    { store: createMemoryStore() },
    { models: { definition, policy: 'reject' } },
  )
  await opts.registry?.(registry)
  const { logger, logs } = captureLogs()
  const rec = recordingBridge()
  const published: OutgoingMessage[] = []
  const pipeline = createPipeline(
    {
      logger,
      metrics,
      tree,
      registry,
      sparkplug: opts.sparkplug,
      bridge: rec.bridge,
      publish:
        opts.publish ??
        (async (m) => {
          published.push(m)
        }),
      now: () => NOW,
    },
    { instanceId: 'test-instance' },
  )
  const ingest = (result: string, reason = '') =>
    metricValue(metrics, 'uns_ingest_events_total', { result, reason })
  return { ...rec, pipeline, tree, registry, metrics, logs, published, ingest }
}

const publish = (
  topic: string,
  payload: string | Buffer,
  qos: 0 | 1 = 1,
  clientId = 'plc-1',
): InboundMessage => ({
  topic,
  payload: Buffer.isBuffer(payload) ? payload : Buffer.from(payload),
  qos,
  retain: false,
  clientId,
})

describe('a JSON publish through the pipeline', () => {
  test('is checked, applied to the tree and forwarded once with its declared class and its envelope', async () => {
    const p = await setUp()
    const message = publish(`${FILLER}/temperature`, '{"value": 71.5, "timestamp": 1764000000000}')
    const outcome = p.pipeline.handle(message)
    assert.deepEqual(outcome.republish, [])
    assert.equal(p.forwarded.length, 1)
    const f = p.forwarded[0] as Forwarded
    assert.equal(f.message, message, 'the bytes of the original go to the routed record')
    assert.deepEqual(f.placement, { levels: `${FILLER}/temperature`.split('/'), tagClass: 'telemetry' })
    assert.equal(f.envelope, '{"value":71.5,"timestamp":1764000000000,"quality":"good"}')
    assert.deepEqual(f.event, {
      path: `${FILLER}/temperature`,
      value: 71.5,
      timestamp: 1764000000000,
      quality: 'good',
      source: 'plc-1',
      origin: 'test-instance',
    })
    assert.deepEqual(f.headers, { schema: 'model.Filler@2' })
    assert.equal(p.tree.node(`${FILLER}/temperature`).value?.value, 71.5)
    assert.equal(p.dead.length, 0)
    assert.equal(await p.ingest('accepted'), 1)
    for (const stage of ['mqtt_in', 'registry_checked', 'tree_applied'])
      assert.equal(await metricValue(p.metrics, 'uns_stage_events_total', { stage }), 1, stage)
    f.done.resolve()
    await outcome.ack
  })

  test('a QoS 1 ack settles only when the bridge’s promise does, and fails with it', async () => {
    const p = await setUp()
    const first = p.pipeline.handle(publish(`${FILLER}/pressure`, '3.2'))
    const ack = track(first.ack as Promise<void>)
    await settle()
    assert.equal(ack.state(), 'pending', 'no PUBACK before Kafka acknowledged')
    p.forwarded[0]?.done.resolve()
    await settle()
    assert.equal(ack.state(), 'fulfilled')
    const second = p.pipeline.handle(publish(`${FILLER}/pressure`, '3.3'))
    const err = new Error('Kafka unreachable')
    p.forwarded[1]?.done.reject(err)
    await assert.rejects(second.ack as Promise<void>, err)
  })

  test('an empty payload deletes the current value and is forwarded as a tombstone without a schema check', async () => {
    const p = await setUp()
    p.pipeline.handle(publish(`${FILLER}/state`, '"running"'))
    p.pipeline.handle(publish(`${FILLER}/state`, ''))
    assert.equal(p.forwarded.length, 2)
    const t = p.forwarded[1] as Forwarded
    assert.equal(t.envelope, null)
    assert.equal(t.event.tombstone, true)
    assert.equal(t.headers, undefined, 'no schema header on a tombstone')
    assert.equal(p.tree.node(`${FILLER}/state`).value, undefined)
    assert.equal(await metricValue(p.metrics, 'uns_stage_events_total', { stage: 'registry_checked' }), 1)
    p.ackAll()
  })

  test('a value that fails a warn binding is forwarded with the warning and counted', async () => {
    const p = await setUp({
      registry: async (r) => {
        await r.register('plant.temp', { type: 'number', maximum: 100 })
        await r.bind({ subject: 'plant.temp', policy: 'warn', topicFilter: 'plant/+/temp' })
      },
    })
    p.pipeline.handle(publish('plant/oven/temp', '250'))
    assert.equal(p.forwarded.length, 1)
    const headers = p.forwarded[0]?.headers ?? {}
    assert.equal(headers.schema, 'plant.temp@1')
    assert.match(headers['validation-warning'] ?? '', /must be <= 100/)
    assert.equal(await p.ingest('warned', 'schema'), 1)
    assert.equal(await p.ingest('accepted'), 1)
    p.ackAll()
  })

  const refusals: {
    name: string
    mode?: 'strict'
    message: InboundMessage
    code: string
    reason: RegExp
  }[] = [
    {
      name: 'invalid JSON',
      message: publish(`${FILLER}/temperature`, '{"value": 7'),
      code: 'UNS_ERR_NAMESPACE_PAYLOAD_INVALID',
      reason: /not valid JSON/,
    },
    {
      name: 'a bad path',
      message: publish('acme//line', '1'),
      code: 'UNS_ERR_NAMESPACE_PATH_INVALID',
      reason: /level 2 is empty/,
    },
    {
      name: 'an undeclared path in strict mode',
      mode: 'strict',
      message: publish('acme/berlin/packaging/line-1/unknown-cell/x', '1'),
      code: 'UNS_ERR_NAMESPACE_PATH_UNDECLARED',
      reason: /not declared in the namespace/,
    },
    {
      name: 'a value its model refuses',
      message: publish(`${FILLER}/temperature`, '500'),
      code: 'UNS_ERR_REGISTRY_VALIDATION_FAILED',
      reason: /value does not match schema model\.Filler version 2: \(value\) must be <= 95/,
    },
  ]
  for (const r of refusals) {
    test(`${r.name} goes to the dead-letter topic with ${r.code}, never to Kafka’s data topics`, async () => {
      const p = await setUp(r.mode === undefined ? {} : { mode: r.mode })
      const outcome = p.pipeline.handle(r.message)
      assert.equal(p.forwarded.length, 0)
      assert.equal(p.dead.length, 1)
      const d = p.dead[0]
      assert.equal(d?.message, r.message)
      assert.equal(d?.rejection.code, r.code)
      assert.match(d?.rejection.reason ?? '', r.reason)
      assert.equal(d?.receivedAt, NOW)
      assert.deepEqual(outcome.republish, [])
      assert.equal(await p.ingest('rejected', r.code), 1)
      assert.equal(await p.ingest('accepted'), 0)
      // The PUBACK of a refused QoS 1 publish waits for its dead-letter record.
      const ack = track(outcome.ack as Promise<void>)
      await settle()
      assert.equal(ack.state(), 'pending')
      d?.done.resolve()
      await outcome.ack
    })
  }

  test('a schema refusal names subject, version and errors, counts the subject and leaves the tree alone', async () => {
    const p = await setUp()
    p.pipeline.handle(publish(`${FILLER}/temperature`, '20'))
    p.pipeline.handle(publish(`${FILLER}/temperature`, '500'))
    const rejection = p.dead[0]?.rejection
    assert.equal(rejection?.subject, 'model.Filler')
    assert.equal(rejection?.version, 2)
    assert.equal(rejection?.errors?.[0]?.message, 'must be <= 95')
    assert.equal(p.tree.node(`${FILLER}/temperature`).value?.value, 20)
    assert.equal(
      await metricValue(p.metrics, 'uns_registry_validation_failures_total', { subject: 'model.Filler' }),
      1,
    )
    p.ackAll()
  })

  test('broker topics and Sparkplug topics without a Sparkplug stage produce nothing', async () => {
    const p = await setUp()
    for (const topic of ['$SYS/broker/clients', '$sparkplug/certificates/x', 'spBv1.0/G/NDATA/E']) {
      const outcome = p.pipeline.handle(publish(topic, '1'))
      assert.equal(outcome.ack, undefined, topic)
      assert.deepEqual(outcome.republish, [], topic)
    }
    assert.equal(p.forwarded.length + p.dead.length + p.raw.length, 0)
    assert.equal(await metricValue(p.metrics, 'uns_ingest_events_total'), 0)
  })
})

const SPB_TOPIC = 'spBv1.0/G1/DDATA/E1/D1'

/** A metric value as the Sparkplug stage hands it over; `json` deliberately differs from a re-serialisation. */
function spbValue(path: string, value: number, extra: Partial<UnsEvent> = {}): SparkplugValue {
  const event: UnsEvent = {
    path,
    value,
    timestamp: NOW - 10,
    quality: 'good',
    datatype: 'Float',
    source: 'G1/E1/D1',
    origin: 'test-instance',
    ...extra,
  }
  const parsed = parseUnsPath(path)
  assert.ok(parsed.ok)
  return { event, path: parsed.value, json: ` ${toEnvelopeJson(event)}` }
}

describe('a Sparkplug result through the pipeline', () => {
  const accepted = spbValue(`${FILLER}/temperature`, 70)
  const historical = spbValue(`${FILLER}/pressure`, 2, { historical: true })
  const refused = spbValue(`${FILLER}/fillRate`, 5000)
  const certificate: OutgoingMessage = {
    topic: '$sparkplug/certificates/spBv1.0/G1/DBIRTH/E1/D1',
    payload: Buffer.from([1, 2, 3]),
    qos: 1,
    retain: true,
  }
  const original = publish(SPB_TOPIC, Buffer.from([0x08, 0x01]), 1, 'edge-E1')
  const result: SparkplugResult = {
    topic: SPB_TOPIC,
    raw: original,
    values: [accepted, historical, refused],
    rejection: { code: 'UNS_ERR_SPB_PAYLOAD_INVALID', reason: 'metric 3 has no datatype' },
    certificate,
  }

  test('forwards its values, refuses what the registry refuses, and republishes current values then the certificate', async () => {
    const spb = stubSparkplug(result)
    const p = await setUp({ sparkplug: spb.sparkplug })
    const outcome = p.pipeline.handle(original)
    assert.deepEqual(spb.ingested, [{ message: original, receivedAt: NOW }])
    // The raw message to its own topic.
    assert.equal(p.raw.length, 1)
    assert.equal(p.raw[0]?.message, original)
    // Values: each forwarded with the Sparkplug topic and its envelope written once by the stage, all of
    // them in one call (one ack to wait for, issue 13).
    assert.deepEqual(
      p.forwarded.map((f) => f.event.path),
      [accepted.event.path, historical.event.path],
    )
    assert.equal(p.calls.forward, 1)
    for (const [f, v] of [
      [p.forwarded[0], accepted],
      [p.forwarded[1], historical],
    ] as const) {
      assert.equal(f?.envelope, v.json)
      assert.equal(f?.headers?.['sparkplug-topic'], SPB_TOPIC)
      assert.equal(f?.headers?.schema, 'model.Filler@2')
      assert.deepEqual(f?.message, {
        topic: v.path.text,
        payload: Buffer.from(v.json),
        qos: 1,
        retain: v.event.historical !== true,
        clientId: 'G1/E1/D1',
      })
    }
    // The message's own rejection and the registry's refusal of one value.
    assert.deepEqual(
      p.dead.map((d) => [d.message.topic, d.rejection.code]),
      [
        [SPB_TOPIC, 'UNS_ERR_SPB_PAYLOAD_INVALID'],
        [refused.path.text, 'UNS_ERR_REGISTRY_VALIDATION_FAILED'],
      ],
    )
    // Current values come back retained at QoS 1; history does not; the certificate goes last.
    assert.deepEqual(outcome.republish, [
      { topic: accepted.path.text, payload: Buffer.from(accepted.json), qos: 1, retain: true },
      certificate,
    ])
    assert.equal(p.tree.node(`${FILLER}/temperature`).value?.value, 70)
    assert.equal(p.tree.node(`${FILLER}/pressure`).value, undefined, 'history is not the current value')
    // The PUBACK waits for every record: raw, dead letters and values.
    const ack = track(outcome.ack as Promise<void>)
    p.forwarded.forEach((f) => f.done.resolve())
    p.raw.forEach((r) => r.done.resolve())
    p.dead[0]?.done.resolve()
    await settle()
    assert.equal(ack.state(), 'pending', 'one dead-letter record is still unacknowledged')
    p.dead[1]?.done.resolve()
    await outcome.ack
  })

  test('values of a QoS 0 Sparkplug publish are forwarded as QoS 0', async () => {
    const spb = stubSparkplug({ topic: SPB_TOPIC, values: [accepted] })
    const p = await setUp({ sparkplug: spb.sparkplug })
    const outcome = p.pipeline.handle({ ...original, qos: 0 })
    assert.equal(p.forwarded[0]?.message.qos, 0)
    assert.equal(p.raw.length, 0, 'no raw record in the result, none sent')
    assert.deepEqual(
      outcome.republish.map((m) => [m.topic, m.qos, m.retain]),
      [[accepted.path.text, 1, true]],
    )
    p.ackAll()
  })

  test('deferred results are applied and republished through the broker’s publish, nobody waiting for them', async () => {
    const spb = stubSparkplug({ topic: SPB_TOPIC, values: [] })
    const p = await setUp({ sparkplug: spb.sparkplug })
    const stale = spbValue(`${FILLER}/temperature`, 70, { quality: 'stale' })
    spb.emitDeferred({ topic: SPB_TOPIC, values: [stale], certificate })
    assert.equal(p.forwarded.length, 1)
    assert.equal(p.forwarded[0]?.message.qos, 0, 'no client waits for a PUBACK')
    assert.equal(p.tree.node(`${FILLER}/temperature`).value?.quality, 'stale')
    // Kafka failing for a deferred value is counted by the bridge, never an unhandled rejection.
    p.forwarded[0]?.done.reject(new Error('Kafka unreachable'))
    await settle()
    assert.deepEqual(p.published, [
      { topic: stale.path.text, payload: Buffer.from(stale.json), qos: 1, retain: true },
      certificate,
    ])
  })

  test('a deferred republish the broker refuses is logged', async () => {
    const spb = stubSparkplug({ topic: SPB_TOPIC, values: [] })
    const p = await setUp({
      sparkplug: spb.sparkplug,
      publish: () => Promise.reject(new Error('broker closed')),
    })
    spb.emitDeferred({ topic: SPB_TOPIC, values: [], certificate })
    await settle()
    const warned = p.logs.find((l) => l.msg === 'republish failed')
    assert.equal(warned?.topic, certificate.topic)
  })
})

describe('restoring a state record', () => {
  const logger = createLogger('silent')
  const record = (path: string, value: string | null, headers: Record<string, string> = {}) => ({
    path,
    value: value === null ? null : Buffer.from(value),
    headers,
  })

  test('puts the value another instance accepted into the tree, with its source and origin', () => {
    const tree = createNamespaceTree(definition, { mode: 'lenient' })
    restoreStateRecord(
      tree,
      record(`${FILLER}/temperature`, '{"value":64,"timestamp":5,"quality":"uncertain"}', {
        source: 'plc-9',
        origin: 'other-instance',
      }),
      logger,
    )
    const v = tree.node(`${FILLER}/temperature`).value
    assert.deepEqual([v?.value, v?.timestamp, v?.quality, v?.source], [64, 5, 'uncertain', 'plc-9'])
  })

  test('a tombstone deletes the value, and an unreadable record is skipped', () => {
    const tree = createNamespaceTree(definition, { mode: 'lenient' })
    restoreStateRecord(tree, record(`${FILLER}/temperature`, '64'), logger)
    restoreStateRecord(tree, record(`${FILLER}/temperature`, '{not json'), logger)
    assert.equal(tree.node(`${FILLER}/temperature`).value?.value, 64)
    restoreStateRecord(tree, record(`${FILLER}/temperature`, null), logger)
    assert.equal(tree.node(`${FILLER}/temperature`).value, undefined)
  })
})
