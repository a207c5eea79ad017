import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import { createSparkplugHost } from '../../src/sparkplug/index.js'
import { type HostOutcome } from '../../src/sparkplug/host-types.js'
import { type SparkplugHost } from '../../src/sparkplug/session.js'
import {
  DBIRTH_BASIC,
  DDATA_ALIAS_ONLY,
  NBIRTH_BASIC,
  NDATA_SEQ_GAP,
  NDATA_WRAP,
  NDEATH,
  P,
  T0,
  ddata,
  ddeath,
  encode,
  nbirth,
  ndata,
  ndeath,
} from '../fixtures/sparkplug/index.js'
import { createFakeClock, type FakeClock } from './fake-clock.js'

const N = (type: string) => `spBv1.0/G1/${type}/E1`
const D = (type: string, device = 'D1') => `spBv1.0/G1/${type}/E1/${device}`
const REORDER_MS = 2000

function setup(): { host: SparkplugHost; clock: FakeClock; deferred: HostOutcome[] } {
  const clock = createFakeClock()
  const deferred: HostOutcome[] = []
  const host = createSparkplugHost(
    { clock, hostId: 'uns-bridge', onDeferred: (o) => deferred.push(o) },
    { reorderTimeoutMs: REORDER_MS, rebirthMinIntervalMs: 5000 },
  )
  return { host, clock, deferred }
}

function born(): ReturnType<typeof setup> {
  const s = setup()
  s.host.handle(N('NBIRTH'), NBIRTH_BASIC, s.clock.now())
  s.host.handle(D('DBIRTH'), DBIRTH_BASIC, s.clock.now())
  return s
}

const values = (o: HostOutcome) =>
  Object.fromEntries(o.updates.map((u) => [`${u.device ?? ''}:${u.metric}`, u.value]))
const rebirths = (o: HostOutcome) => o.actions.filter((a) => a.reason === 'rebirth')
const codes = (o: HostOutcome) => o.problems.map((p) => p.code)

function assertRebirthRequest(o: HostOutcome, clock: FakeClock): void {
  const [a] = rebirths(o)
  assert.ok(a, 'a rebirth request was sent')
  // [tck-id-operational-behavior-data-commands-ncmd-rebirth-verb], [tck-id-topics-ncmd-mqtt]
  assert.equal(a.topic, 'spBv1.0/G1/NCMD/E1')
  assert.equal(a.qos, 0)
  assert.equal(a.retain, false)
  const p = P.Payload.decode(a.payload)
  assert.equal(Number(p.timestamp), clock.now())
  assert.equal(Object.prototype.hasOwnProperty.call(p, 'seq'), false) // [tck-id-payloads-ncmd-seq]
  assert.equal(p.metrics[0]?.name, 'Node Control/Rebirth')
  assert.equal(p.metrics[0]?.booleanValue, true)
}

describe('births', () => {
  test('NBIRTH and DBIRTH bring node and device online with typed values and units', () => {
    const { host, clock } = setup()
    const o = host.handle(N('NBIRTH'), NBIRTH_BASIC, clock.now())
    assert.deepEqual(o.problems, [])
    assert.deepEqual(o.statuses, [
      { group: 'G1', edge: 'E1', device: undefined, online: true, timestamp: clock.now() },
    ])
    const temp = o.updates.find((u) => u.metric === 'Temperature')
    assert.equal(temp?.value, 21.5)
    assert.equal(temp?.datatype, 'Double')
    assert.equal(temp?.quality, 'good')
    assert.equal(temp?.timestamp, T0)
    assert.equal(temp?.source, 'G1/E1')
    assert.deepEqual(temp?.properties, { engUnit: '°C' })
    const d = host.handle(D('DBIRTH'), DBIRTH_BASIC, clock.now())
    assert.deepEqual(values(d), { 'D1:Speed': 1.5, 'D1:Count': 7, 'D1:Setpoint': 100 })
    assert.deepEqual(d.updates[0]?.properties, { engUnit: 'rpm' })
    const [node] = host.nodes()
    assert.equal(node?.online, true)
    assert.equal(node?.bdSeq, 0)
    assert.equal(node?.lastSeq, 1)
    assert.equal(node?.metricCount, 4)
    assert.deepEqual(
      node?.devices.map((x) => [x.device, x.online, x.metricCount]),
      [['D1', true, 3]],
    )
  })

  test('an NBIRTH without bdSeq is rejected and a rebirth is requested [tck-id-payloads-nbirth-bdseq]', () => {
    const { host, clock } = setup()
    const bytes = encode({
      timestamp: T0,
      seq: 0,
      metrics: [{ name: 'x', datatype: P.DataType.Int32, intValue: 1 }],
    })
    const o = host.handle(N('NBIRTH'), bytes, clock.now())
    assert.deepEqual(codes(o), ['UNS_ERR_SPB_BIRTH_INVALID'])
    assert.equal(o.updates.length, 0)
    assertRebirthRequest(o, clock)
  })

  test('a new NBIRTH rebuilds the model: removed metrics go stale, devices stay stale until their DBIRTH', () => {
    const { host, clock } = born()
    const o = host.handle(N('NBIRTH'), nbirth({ bdSeq: 1 }).subarray(), clock.now())
    assert.ok(o.updates.some((u) => u.device === 'D1' && u.metric === 'Speed' && u.quality === 'stale'))
    assert.ok(o.statuses.some((s) => s.device === 'D1' && !s.online))
    const slim = encode({
      timestamp: T0,
      seq: 0,
      metrics: [{ name: 'bdSeq', alias: 1, datatype: P.DataType.Int64, longValue: 2 }],
    })
    const o2 = host.handle(N('NBIRTH'), slim, clock.now())
    assert.deepEqual(
      o2.updates.filter((u) => u.cause === 'removed').map((u) => u.metric),
      ['Temperature', 'Status'],
    )
  })

  test('bdSeq and Node Control/* stay in the node view: no metric updates, so no UNS values (issue 11)', () => {
    const { host, clock } = setup()
    const o = host.handle(N('NBIRTH'), NBIRTH_BASIC, clock.now())
    assert.deepEqual(
      o.updates.map((u) => u.metric),
      ['Temperature', 'Status'],
    )
    const names = host.metrics('G1', 'E1')?.map((m) => m.name)
    assert.deepEqual(names, ['Node Control/Rebirth', 'bdSeq', 'Temperature', 'Status'])
    assert.equal(host.nodes()[0]?.bdSeq, 0)
    const death = host.handle(N('NDEATH'), NDEATH, clock.now())
    assert.deepEqual(
      death.updates.map((u) => u.metric),
      ['Temperature', 'Status'],
    )
  })
})

describe('data', () => {
  test('alias-only DDATA is decoded with the DBIRTH datatypes (UInt32 max from int_value)', () => {
    const { host, clock } = born()
    const o = host.handle(D('DDATA'), DDATA_ALIAS_ONLY, clock.now())
    assert.deepEqual(o.problems, [])
    assert.deepEqual(values(o), { 'D1:Speed': 3.25, 'D1:Count': 4294967295 })
    assert.equal(o.updates[0]?.datatype, 'Float')
    assert.deepEqual(o.updates[0]?.properties, { engUnit: 'rpm' })
    assert.equal(host.metrics('G1', 'E1', 'D1')?.find((m) => m.name === 'Count')?.value, 4294967295)
  })

  test('is_historical DATA is reported but does not change the current value; is_transient does', () => {
    const { host, clock } = born()
    const bytes = encode({
      timestamp: T0,
      seq: 2,
      metrics: [{ alias: 2, doubleValue: 5, isHistorical: true, timestamp: T0 - 60000 }],
    })
    const o = host.handle(N('NDATA'), bytes, clock.now())
    assert.equal(o.updates[0]?.historical, true)
    assert.equal(o.updates[0]?.value, 5)
    assert.equal(host.metrics('G1', 'E1')?.find((m) => m.name === 'Temperature')?.value, 21.5)
    const t = encode({ timestamp: T0, seq: 3, metrics: [{ alias: 2, doubleValue: 6, isTransient: true }] })
    const o2 = host.handle(N('NDATA'), t, clock.now())
    assert.equal(o2.updates[0]?.transient, true)
    assert.equal(host.metrics('G1', 'E1')?.find((m) => m.name === 'Temperature')?.value, 6)
  })

  test('is_null DATA sets the value to null', () => {
    const { host, clock } = born()
    const o = host.handle(
      N('NDATA'),
      encode({ timestamp: T0, seq: 2, metrics: [{ alias: 3, isNull: true }] }),
      clock.now(),
    )
    assert.equal(o.updates[0]?.metric, 'Status')
    assert.equal(o.updates[0]?.value, null)
  })

  test('an unknown alias yields no update, a coded problem and a rebirth request', () => {
    const { host, clock } = born()
    const o = host.handle(
      N('NDATA'),
      encode({ timestamp: T0, seq: 2, metrics: [{ alias: 77, intValue: 1 }] }),
      clock.now(),
    )
    assert.deepEqual(o.updates, [])
    assert.deepEqual(codes(o), ['UNS_ERR_SPB_UNKNOWN_METRIC'])
    assertRebirthRequest(o, clock)
  })

  test('DATA before BIRTH gives exactly one rebirth request within the rate limit [tck-id-payloads-ndata-order]', () => {
    const { host, clock } = setup()
    const first = host.handle(N('NDATA'), ndata(5, 1), clock.now())
    assertRebirthRequest(first, clock)
    assert.deepEqual(codes(first), ['UNS_ERR_SPB_UNKNOWN_NODE'])
    assert.equal(first.updates.length, 0)
    clock.advance(1000)
    const again = [
      host.handle(N('NDATA'), ndata(6, 1), clock.now()),
      host.handle(D('DDATA'), ddata(7, 1, 1), clock.now()),
    ]
    assert.deepEqual(again.flatMap(rebirths), [])
    clock.advance(5000)
    assert.equal(rebirths(host.handle(N('NDATA'), ndata(8, 1), clock.now())).length, 1)
  })
})

describe('sequence numbers', () => {
  test('a seq gap requests a rebirth when the reorder timeout expires [tck-id-operational-behavior-host-reordering-rebirth]', () => {
    const { host, clock, deferred } = born()
    const o = host.handle(N('NDATA'), NDATA_SEQ_GAP, clock.now())
    assert.deepEqual(codes(o), ['UNS_ERR_SPB_SEQ_GAP'])
    assert.deepEqual(o.actions, [])
    assert.deepEqual(o.updates, [], 'the out-of-order message waits')
    clock.advance(REORDER_MS - 1)
    assert.equal(deferred.length, 0)
    clock.advance(1)
    assert.equal(deferred.length, 1)
    assertRebirthRequest(deferred[0] as HostOutcome, clock)
    assert.deepEqual(
      values(deferred[0] as HostOutcome),
      { ':Temperature': 30 },
      'waiting data applied on give-up',
    )
  })

  test('a gap filled within the timeout sends no rebirth and applies both in order [tck-id-operational-behavior-host-reordering-success]', () => {
    const { host, clock, deferred } = born()
    host.handle(N('NDATA'), NDATA_SEQ_GAP, clock.now())
    clock.advance(REORDER_MS / 2)
    const o = host.handle(D('DDATA'), ddata(2, 9, 9), clock.now())
    assert.deepEqual(
      o.updates.map((u) => u.metric),
      ['Speed', 'Count', 'Temperature'],
    )
    assert.equal(clock.pending, 0, 'timer cancelled')
    clock.advance(REORDER_MS * 2)
    assert.deepEqual(deferred, [])
    assert.equal(host.nodes()[0]?.lastSeq, 3)
  })

  test('seq wraps from 255 to 0 without a rebirth [tck-id-payloads-sequence-num-incrementing]', () => {
    const { host, clock } = setup()
    host.handle(N('NBIRTH'), nbirth({ seq: 253 }), clock.now())
    const outs = NDATA_WRAP.map((b) => host.handle(N('NDATA'), b, clock.now()))
    assert.deepEqual(
      outs.flatMap((o) => o.problems),
      [],
    )
    assert.deepEqual(
      outs.flatMap((o) => o.actions),
      [],
    )
    assert.deepEqual(
      outs.map((o) => o.updates[0]?.value),
      [40, 41, 42, 43],
    )
  })
})

describe('deaths', () => {
  test('a matching NDEATH takes node and devices offline and every metric stale since host time, keeping its sample time [tck-id-operational-behavior-edge-node-termination-host-action-ndeath-node-tags-stale]', () => {
    const { host, clock } = born()
    clock.advance(500)
    const o = host.handle(N('NDEATH'), NDEATH, clock.now())
    assert.deepEqual(o.problems, [])
    assert.deepEqual(
      o.statuses.map((s) => [s.device, s.online, s.timestamp]),
      [
        [undefined, false, clock.now()],
        ['D1', false, clock.now()],
      ],
    )
    assert.equal(o.updates.length, 5) // Temperature, Status and the 3 device metrics (not bdSeq, Node Control)
    assert.ok(o.updates.every((u) => u.quality === 'stale' && u.staleSince === clock.now()))
    const temp = o.updates.find((u) => u.metric === 'Temperature')
    assert.equal(temp?.value, 21.5, 'last value kept')
    assert.equal(temp?.timestamp, T0, 'and the time of that sample (issue 11), not the death time')
    assert.equal(o.updates.find((u) => u.metric === 'Speed')?.timestamp, T0 + 1)
    const info = host.metrics('G1', 'E1')?.find((m) => m.name === 'Temperature')
    assert.deepEqual([info?.quality, info?.timestamp, info?.staleSince], ['stale', T0, clock.now()])
    assert.equal(host.nodes()[0]?.online, false)
  })

  test('a late NDEATH with an older bdSeq is ignored [tck-id-payloads-ndeath-bdseq]', () => {
    const { host, clock } = setup()
    host.handle(N('NBIRTH'), nbirth({ bdSeq: 1 }), clock.now())
    const o = host.handle(N('NDEATH'), ndeath(0), clock.now())
    assert.deepEqual(codes(o), ['UNS_ERR_SPB_DEATH_IGNORED'])
    assert.deepEqual(o.updates, [])
    assert.equal(host.nodes()[0]?.online, true)
  })

  test('DDEATH takes only that device offline, stale since the DDEATH timestamp [tck-id-operational-behavior-edge-node-termination-host-action-ddeath-devices-offline]', () => {
    const { host, clock } = born()
    const o = host.handle(D('DDEATH'), ddeath(2, T0 + 99), clock.now())
    assert.deepEqual(o.statuses, [
      { group: 'G1', edge: 'E1', device: 'D1', online: false, timestamp: T0 + 99 },
    ])
    assert.deepEqual(
      o.updates.map((u) => [u.device, u.metric, u.quality, u.timestamp, u.staleSince]),
      [
        ['D1', 'Speed', 'stale', T0 + 1, T0 + 99],
        ['D1', 'Count', 'stale', T0 + 1, T0 + 99],
        ['D1', 'Setpoint', 'stale', T0 + 1, T0 + 99],
      ],
    )
    const [node] = host.nodes()
    assert.equal(node?.online, true)
    assert.equal(node?.devices[0]?.online, false)
  })

  test('losing the server connection marks everything stale', () => {
    const { host, clock } = born()
    const o = host.disconnected(clock.now())
    assert.equal(o.updates.length, 5)
    assert.ok(o.updates.every((u) => u.quality === 'stale' && u.cause === 'disconnect'))
    assert.ok(o.updates.every((u) => u.staleSince === clock.now() && [T0, T0 + 1].includes(u.timestamp)))
  })

  test('new data after a death clears staleSince: the value is live again', () => {
    const { host, clock } = born()
    host.handle(N('NDEATH'), NDEATH, clock.now())
    host.handle(N('NBIRTH'), nbirth({ seq: 0 }), clock.now())
    const o = host.handle(N('NDATA'), ndata(1, 30), clock.now())
    assert.deepEqual(
      o.updates.map((u) => [u.quality, u.staleSince]),
      [['good', undefined]],
    )
    assert.equal(host.metrics('G1', 'E1')?.find((m) => m.name === 'Temperature')?.staleSince, undefined)
  })
})

describe('bad input', () => {
  test('garbage, empty and truncated payloads and malformed topics are reported, never thrown, state unchanged', () => {
    const { host, clock } = born()
    const before = JSON.stringify(host.nodes())
    const truncated = DDATA_ALIAS_ONLY.subarray(0, DDATA_ALIAS_ONLY.byteLength - 2)
    const results = [
      host.handle(D('DDATA'), new Uint8Array([0xff, 0xff, 0xff, 0xff, 0xff]), clock.now()),
      host.handle(D('DDATA'), new Uint8Array(0), clock.now()),
      host.handle(D('DDATA'), truncated, clock.now()),
      host.handle('spBv1.0/G1/DDATA/E1', DDATA_ALIAS_ONLY, clock.now()),
      host.handle('spBv1.0/G1/NBIRTH/E1/X', NBIRTH_BASIC, clock.now()),
    ]
    assert.deepEqual(results.map(codes), [
      ['UNS_ERR_SPB_PAYLOAD_INVALID'],
      ['UNS_ERR_SPB_PAYLOAD_INVALID'],
      ['UNS_ERR_SPB_PAYLOAD_INVALID'],
      ['UNS_ERR_SPB_TOPIC_INVALID'],
      ['UNS_ERR_SPB_TOPIC_INVALID'],
    ])
    assert.ok(results.every((o) => o.updates.length === 0))
    assert.equal(JSON.stringify(host.nodes()), before)
  })
})

describe('writes and STATE', () => {
  test('a write becomes an alias-only DCMD with the BIRTH datatype, a timestamp and no seq [tck-id-payloads-alias-data-cmd-requirement, tck-id-payloads-dcmd-seq]', () => {
    const { host, clock } = born()
    const r = host.commandFor('G1', 'E1', 'D1', 'Setpoint', '-12')
    assert.ok(r.ok)
    assert.equal(r.topic, 'spBv1.0/G1/DCMD/E1/D1')
    assert.equal(r.qos, 0)
    assert.equal(r.retain, false)
    const p = P.Payload.decode(r.payload)
    assert.equal(Number(p.timestamp), clock.now())
    assert.equal(Object.prototype.hasOwnProperty.call(p, 'seq'), false)
    const m = p.metrics[0]
    assert.equal(Object.prototype.hasOwnProperty.call(m, 'name'), false)
    assert.equal(Number(m?.alias), 12)
    assert.equal(m?.datatype, P.DataType.Int16)
    assert.equal(m?.intValue, -12 >>> 0)
  })

  test('writes to unknown metrics or with uncoercible values give coded errors', () => {
    const { host } = born()
    const unknown = host.commandFor('G1', 'E1', 'D1', 'Nope', 1)
    assert.equal(unknown.ok ? '' : unknown.error.code, 'UNS_ERR_SPB_COMMAND_UNKNOWN_METRIC')
    const bad = host.commandFor('G1', 'E1', undefined, 'Temperature', 'hot')
    assert.equal(bad.ok ? '' : bad.error.code, 'UNS_ERR_SPB_COMMAND_VALUE')
    assert.equal(bad.ok ? 0 : bad.error.statusCode, 400)
  })

  test('the host re-asserts online with the same timestamp when it sees itself declared offline [tck-id-message-flow-hid-sparkplug-state-message-delivered]', () => {
    const { host, clock } = setup()
    const birth = host.stateBirth(4242)
    assert.equal(birth.topic, 'spBv1.0/STATE/uns-bridge')
    assert.deepEqual(JSON.parse(Buffer.from(birth.payload).toString()), { online: true, timestamp: 4242 })
    assert.equal(birth.qos, 1)
    assert.equal(birth.retain, true)
    const offline = Buffer.from(JSON.stringify({ online: false, timestamp: 4242 }))
    const o = host.handle('spBv1.0/STATE/uns-bridge', offline, clock.now())
    assert.equal(o.actions.length, 1)
    assert.deepEqual(JSON.parse(Buffer.from(o.actions[0]?.payload ?? []).toString()), {
      online: true,
      timestamp: 4242,
    })
    assert.equal(host.handle('spBv1.0/STATE/other-host', offline, clock.now()).actions.length, 0)
  })
})

describe('templates and datasets through the host', () => {
  test('an NBIRTH template instance becomes member leaves; DATA on one member changes only that leaf; the definition is model info', () => {
    const { host, clock } = setup()
    const definition = {
      name: 'Motor',
      datatype: P.DataType.Template,
      templateValue: {
        isDefinition: true,
        metrics: [
          { name: 'Speed', datatype: P.DataType.Float, floatValue: 0 },
          { name: 'Running', datatype: P.DataType.Boolean, booleanValue: false },
        ],
      },
    }
    const instance = {
      name: 'Motor1',
      alias: 50,
      timestamp: T0,
      datatype: P.DataType.Template,
      templateValue: {
        templateRef: 'Motor',
        metrics: [
          { name: 'Speed', datatype: P.DataType.Float, floatValue: 12.5 },
          { name: 'Running', datatype: P.DataType.Boolean, booleanValue: true },
        ],
      },
    }
    const dataset = {
      name: 'Recipe',
      alias: 51,
      timestamp: T0,
      datatype: P.DataType.DataSet,
      datasetValue: {
        numOfColumns: 1,
        columns: ['step'],
        types: [P.DataType.String],
        rows: [{ elements: [{ stringValue: 'mix' }] }],
      },
    }
    const o = host.handle(N('NBIRTH'), nbirth({ extra: [definition, instance, dataset] }), clock.now())
    assert.deepEqual(o.problems, [])
    assert.equal(values(o)[':Motor1/Speed'], 12.5)
    assert.deepEqual(values(o)[':Recipe'], { columns: ['step'], types: ['String'], rows: [['mix']] })
    assert.equal(values(o)[':Motor'], undefined, 'definition is not a value')
    assert.deepEqual(
      host.nodes()[0]?.templates.map((t) => t.name),
      ['Motor'],
    )
    const data = encode({
      timestamp: T0,
      seq: 1,
      metrics: [{ alias: 50, templateValue: { metrics: [{ name: 'Running', booleanValue: false }] } }],
    })
    const d = host.handle(N('NDATA'), data, clock.now())
    assert.deepEqual(d.problems, [])
    assert.deepEqual(values(d), { ':Motor1/Running': false })
  })
})

test('toUnsEvent turns a metric update into the pipeline event, marking historical values and keeping the BIRTH unit', async () => {
  const { toUnsEvent } = await import('../../src/sparkplug/to-uns-event.js')
  const { host, clock } = born()
  const hist = encode({
    timestamp: T0,
    seq: 2,
    metrics: [{ alias: 2, doubleValue: 5, isHistorical: true, timestamp: 7 }],
  })
  const [u] = host.handle(N('NDATA'), hist, clock.now()).updates
  assert.ok(u)
  assert.deepEqual(toUnsEvent(u, 'acme/berlin/line-1/temperature', 'uns-1'), {
    path: 'acme/berlin/line-1/temperature',
    value: 5,
    timestamp: 7,
    quality: 'good',
    datatype: 'Double',
    // engUnit came with the NBIRTH; the NDATA carries no properties but the unit still applies.
    unit: '°C',
    source: 'G1/E1',
    origin: 'uns-1',
    historical: true,
  })
})
