import assert from 'node:assert/strict'
import { test } from 'node:test'
import { UnsError } from '../../src/errors.js'
import { createNamespaceTree, loadNamespace, type ValueChange } from '../../src/namespace/index.js'
import type { UnsEvent } from '../../src/uns/index.js'

const def = await loadNamespace('namespace')
const FILLER = 'acme/berlin/packaging/line-1/filler'
let clock = 1_000

function ev(path: string, value: UnsEvent['value'], extra: Partial<UnsEvent> = {}): UnsEvent {
  return { path, value, timestamp: 1764072000000, quality: 'good', source: 'plc-1', origin: 'test', ...extra }
}

function tree(mode: 'lenient' | 'strict' = 'lenient') {
  return createNamespaceTree(def, { mode, now: () => clock })
}

function code(fn: () => unknown): string {
  try {
    fn()
  } catch (err) {
    assert.ok(err instanceof UnsError)
    return err.code
  }
  assert.fail('expected a coded error')
}

test('shows every declared node and model field before any data arrives, with counts', () => {
  const t = tree()
  const filler = t.children(FILLER)
  // Filler@2: 8 fields, one of them the Motor@1 sub-model (4 fields), plus the infeed-motor equipment (4 fields).
  assert.equal(filler.childCount, 9)
  assert.equal(filler.leafCount, 7 + 4 + 4)
  assert.equal(filler.hasValue, false)
  assert.equal(filler.lastSeen, undefined)
  const names = filler.children?.map((c) => c.name)
  assert.deepEqual(names, [...names!].sort())
  const temp = t.node(`${FILLER}/temperature`)
  assert.equal(temp.declared, true)
  assert.deepEqual(temp.definition, {
    model: 'Filler@2',
    field: 'temperature',
    type: 'number',
    unit: 'degC',
    range: { min: 0, max: 95 },
    class: 'telemetry',
    writable: false,
    description: 'Product temperature at the filling valves',
    declaredIn: 'namespace/00-models.yaml:39', // the Filler@2 version item,
  })
  assert.equal(temp.value, undefined)
  const site = t.node('acme/berlin')
  assert.deepEqual(site.definition, {
    level: 'site',
    displayName: 'Berlin plant',
    attributes: { timezone: 'Europe/Berlin' },
    declaredIn: 'namespace/10-berlin.yaml:3',
  })
})

test('applies a value: value, timestamp, quality, datatype, source, lastSeen and message count', () => {
  const t = tree()
  clock = 5_000
  assert.deepEqual(t.apply(ev(`${FILLER}/temperature`, 21.5, { datatype: 'Float', quality: 'uncertain' })), {
    ok: true,
    value: { created: false, changed: true, class: 'telemetry' },
  })
  clock = 6_000
  t.apply(ev(`${FILLER}/temperature`, 22, { timestamp: 1764072001000 }))
  const n = t.node(`${FILLER}/temperature`)
  assert.equal(n.messageCount, 2)
  assert.deepEqual(n.value, {
    path: `${FILLER}/temperature`,
    value: 22,
    timestamp: 1764072001000,
    quality: 'good',
    source: 'plc-1',
    lastSeen: 6_000,
  })
  // Parents learn lastSeen; other branches do not.
  assert.equal(t.children('acme/berlin').lastSeen, 6_000)
  assert.equal(t.children('acme/austin').lastSeen, undefined)
  assert.equal(t.stats().values, 1)
})

test('lenient mode adds an undeclared path flagged declared: false and keeps the counts of every parent', () => {
  const t = tree('lenient')
  const before = t.children('acme/berlin')
  const r = t.apply(ev('acme/berlin/packaging/line-1/robot/joint/angle', 90))
  assert.deepEqual(r, { ok: true, value: { created: true, changed: true, class: undefined } })
  const robot = t.node('acme/berlin/packaging/line-1/robot')
  assert.equal(robot.declared, false)
  assert.equal(robot.leafCount, 1)
  const after = t.children('acme/berlin')
  assert.equal(after.leafCount, before.leafCount + 1)
  // A second tag below the same new parent adds one more leaf; a tag below an existing leaf adds none.
  t.apply(ev('acme/berlin/packaging/line-1/robot/joint/torque', 3))
  t.apply(ev('acme/berlin/packaging/line-1/robot/joint/angle/raw', 4))
  assert.equal(t.children('acme/berlin').leafCount, before.leafCount + 2)
  assert.equal(t.children('acme/berlin/packaging/line-1/robot/joint').childCount, 2)
})

test('strict mode rejects an undeclared path with a reason and counts it', () => {
  const t = tree('strict')
  const r = t.apply(ev('acme/berlin/packaging/line-1/robot/angle', 90))
  assert.equal(r.ok, false)
  if (r.ok) return
  assert.equal(r.error.code, 'UNS_ERR_NAMESPACE_PATH_UNDECLARED')
  assert.match(r.error.message, /^Path acme\/berlin\/packaging\/line-1\/robot\/angle is not declared/)
  assert.equal(t.stats().rejected, 1)
  assert.equal(
    code(() => t.node('acme/berlin/packaging/line-1/robot')),
    'UNS_ERR_NAMESPACE_NODE_NOT_FOUND',
  )
  assert.ok(t.apply(ev(`${FILLER}/pressure`, 2.5)).ok)
})

test('rejects an invalid path without creating anything', () => {
  const t = tree('lenient')
  const nodes = t.stats().nodes
  const r = t.apply(ev('acme//x', 1))
  assert.ok(!r.ok && r.error.code === 'UNS_ERR_NAMESPACE_PATH_INVALID')
  assert.equal(t.stats().nodes, nodes)
})

test('a tombstone deletes the value; undeclared nodes left empty disappear with their counts', () => {
  const t = tree('lenient')
  const base = t.children('acme')
  t.apply(ev(`${FILLER}/temperature`, 20))
  t.apply(ev('acme/berlin/lab/sensor-1/humidity', 40))
  assert.equal(t.children('acme').leafCount, base.leafCount + 1)
  assert.deepEqual(t.apply(ev(`${FILLER}/temperature`, null, { tombstone: true })), {
    ok: true,
    value: { created: false, changed: true, class: 'telemetry' },
  })
  assert.equal(t.node(`${FILLER}/temperature`).value, undefined)
  assert.equal(t.node(`${FILLER}/temperature`).declared, true)
  t.apply(ev('acme/berlin/lab/sensor-1/humidity', null, { tombstone: true }))
  assert.equal(
    code(() => t.node('acme/berlin/lab')),
    'UNS_ERR_NAMESPACE_NODE_NOT_FOUND',
  )
  assert.equal(t.children('acme').leafCount, base.leafCount)
  assert.deepEqual(
    t.children('acme/berlin').children?.map((c) => c.name),
    ['bottling', 'packaging'],
  )
  assert.equal(t.stats().values, 0)
  // Deleting what is not there changes nothing.
  assert.deepEqual(t.apply(ev('acme/nowhere', null, { tombstone: true })), {
    ok: true,
    value: { created: false, changed: false, class: undefined },
  })
})

test('historical events do not change the current value', () => {
  const t = tree()
  t.apply(ev(`${FILLER}/pressure`, 3))
  assert.deepEqual(t.apply(ev(`${FILLER}/pressure`, 1, { historical: true, timestamp: 1 })), {
    ok: true,
    value: { created: false, changed: false, class: 'telemetry' },
  })
  assert.equal(t.node(`${FILLER}/pressure`).value?.value, 3)
})

test('values() matches + and # filters in path order', () => {
  const t = tree()
  for (const site of ['berlin', 'austin']) {
    t.apply(ev(`acme/${site}/packaging/line-1/energy/activePower`, 100))
    t.apply(ev(`acme/${site}/packaging/line-1/energy/voltage`, 400))
  }
  t.apply(ev('acme/berlin/packaging/line-2/energy/activePower', 90))
  t.apply(ev(`${FILLER}/temperature`, 20))
  const power = t.values({ filter: 'acme/+/packaging/+/energy/activePower' }).items.map((i) => i.path)
  assert.deepEqual(power, [
    'acme/austin/packaging/line-1/energy/activePower',
    'acme/berlin/packaging/line-1/energy/activePower',
    'acme/berlin/packaging/line-2/energy/activePower',
  ])
  const line1 = t.values({ filter: 'acme/berlin/packaging/line-1/#' }).items.map((i) => i.path)
  assert.deepEqual(line1, [
    'acme/berlin/packaging/line-1/energy/activePower',
    'acme/berlin/packaging/line-1/energy/voltage',
    `${FILLER}/temperature`,
  ])
  assert.equal(t.values({ filter: '#' }).items.length, 6)
  assert.deepEqual(t.values({ filter: `${FILLER}/temperature` }).items[0]?.value, 20)
  assert.equal(t.values({ filter: 'acme/+' }).items.length, 0)
})

test('values() pages through results with an opaque cursor, stable while new paths arrive', () => {
  const t = tree()
  const all: string[] = []
  for (let i = 0; i < 25; i++) {
    const p = `acme/lab/bench-${String(i).padStart(2, '0')}/reading`
    all.push(p)
    t.apply(ev(p, i))
  }
  const seen: string[] = []
  let page = t.values({ filter: 'acme/lab/+/reading', limit: 10 })
  seen.push(...page.items.map((i) => i.path))
  assert.equal(page.items.length, 10)
  assert.ok(page.nextCursor)
  // A path sorting before the cursor arrives between pages: it must not shift the next page.
  t.apply(ev('acme/lab/bench-00a/reading', 99))
  page = t.values({ filter: 'acme/lab/+/reading', limit: 10, cursor: page.nextCursor })
  seen.push(...page.items.map((i) => i.path))
  page = t.values({ filter: 'acme/lab/+/reading', limit: 10, cursor: page.nextCursor })
  seen.push(...page.items.map((i) => i.path))
  assert.equal(page.items.length, 5)
  assert.equal(page.nextCursor, undefined)
  assert.deepEqual(seen, all)
})

test('values() rejects a bad filter, limit or cursor with coded 400 errors', () => {
  const t = tree()
  assert.equal(
    code(() => t.values({ filter: 'acme/#/x' })),
    'UNS_ERR_NAMESPACE_FILTER_INVALID',
  )
  assert.equal(
    code(() => t.values({ filter: 'acme/li+ne' })),
    'UNS_ERR_NAMESPACE_FILTER_INVALID',
  )
  assert.equal(
    code(() => t.values({ filter: '#', limit: 1001 })),
    'UNS_ERR_NAMESPACE_LIMIT_INVALID',
  )
  assert.equal(
    code(() => t.values({ filter: '#', limit: 0 })),
    'UNS_ERR_NAMESPACE_LIMIT_INVALID',
  )
  assert.equal(
    code(() => t.values({ filter: '#', cursor: 'garbage!' })),
    'UNS_ERR_NAMESPACE_CURSOR_INVALID',
  )
  for (let i = 0; i < 3; i++) t.apply(ev(`acme/x/${i}`, i))
  const cursor = t.values({ filter: 'acme/x/+', limit: 1 }).nextCursor
  assert.equal(
    code(() => t.values({ filter: 'acme/#', cursor })),
    'UNS_ERR_NAMESPACE_CURSOR_INVALID',
  )
})

test('children() returns nested entries down to the requested depth', () => {
  const t = tree()
  const root = t.children('', 2)
  assert.deepEqual(
    root.children?.map((c) => c.name),
    ['acme'],
  )
  assert.deepEqual(
    root.children?.[0]?.children?.map((c) => [c.path, c.level]),
    [
      ['acme/austin', 'site'],
      ['acme/berlin', 'site'],
    ],
  )
  assert.equal(root.children?.[0]?.children?.[0]?.children, undefined)
  assert.equal(
    code(() => t.children('acme', 0)),
    'UNS_ERR_NAMESPACE_DEPTH_INVALID',
  )
  assert.equal(
    code(() => t.children('acme/paris')),
    'UNS_ERR_NAMESPACE_NODE_NOT_FOUND',
  )
})

test('search() finds by text, unit, class and level', () => {
  const t = tree()
  const lines = t.search({ level: 'line' }).map((h) => h.path)
  assert.equal(lines.length, 6)
  assert.ok(lines.every((p) => p.split('/').length === 4))
  const temps = t.search({ unit: 'degC', q: 'austin' })
  assert.ok(temps.length > 0)
  assert.ok(temps.every((h) => h.unit === 'degC' && h.path.includes('austin')))
  const orders = t.search({ class: 'order', q: 'berlin/packaging/line-2' })
  assert.deepEqual(
    orders.map((h) => [h.path.split('/').at(-1), h.writable]),
    [
      ['orderId', true],
      ['product', true],
      ['targetQuantity', true],
    ],
  )
  assert.deepEqual(
    t.search({ q: 'BERLIN PLANT' }).map((h) => h.path),
    ['acme/berlin'],
  )
  assert.equal(t.search({ q: 'a', limit: 5 }).length, 5)
})

test('a unit learned from data shows on undeclared nodes and survives later messages without a unit', () => {
  const t = tree()
  const path = 'acme/berlin/packaging/line-1/filler/glueTemp'
  t.apply(ev(path, 40, { unit: 'degC', datatype: 'Float' }))
  t.apply(ev(path, 41))
  const n = t.node(path)
  assert.equal(n.declared, false)
  assert.deepEqual(n.definition, { unit: 'degC' })
  assert.equal(n.value?.value, 41)
  assert.deepEqual(
    t.search({ unit: 'degC', q: 'glueTemp' }).map((h) => [h.path, h.unit, h.declared]),
    [[path, 'degC', false]],
  )
  // A new BIRTH may rename the unit: the latest one wins.
  t.apply(ev(path, 313, { unit: 'K' }))
  assert.equal(t.node(path).definition.unit, 'K')
  assert.deepEqual(t.search({ unit: 'degC', q: 'glueTemp' }), [])
})

test('a declared unit wins over a learned one; a declared field without unit shows the learned one', () => {
  const t = tree()
  t.apply(ev(`${FILLER}/temperature`, 21, { unit: 'degF' }))
  assert.equal(t.node(`${FILLER}/temperature`).definition.unit, 'degC')
  t.apply(ev(`${FILLER}/bottleCount`, 7, { unit: 'bottles' }))
  const count = t.node(`${FILLER}/bottleCount`)
  assert.equal(count.definition.unit, 'bottles')
  assert.equal(count.definition.class, 'counter')
})

test('subscribe() delivers only changes matching its filter until unsubscribed', () => {
  const t = tree()
  const got: ValueChange[] = []
  const stop = t.subscribe('acme/berlin/+/line-1/filler/#', (c) => got.push(c))
  t.apply(ev(`${FILLER}/temperature`, 21))
  t.apply(ev('acme/austin/assembly/line-1/press-1/force', 800))
  t.apply(ev(`${FILLER}/motor/speed`, 1450, { datatype: 'Float' }))
  t.apply(ev(`${FILLER}/temperature`, null, { tombstone: true }))
  assert.deepEqual(
    got.map((c) => [c.path, c.value, c.tombstone]),
    [
      [`${FILLER}/temperature`, 21, false],
      [`${FILLER}/motor/speed`, 1450, false],
      [`${FILLER}/temperature`, null, true],
    ],
  )
  assert.equal(got[1]?.datatype, 'Float')
  stop()
  t.apply(ev(`${FILLER}/temperature`, 23))
  assert.equal(got.length, 3)
  assert.equal(
    code(() => t.subscribe('a/#/b', () => {})),
    'UNS_ERR_NAMESPACE_FILTER_INVALID',
  )
})

test('a throwing subscriber does not break the update', () => {
  const errors: unknown[] = []
  const t = createNamespaceTree(def, { mode: 'lenient', onSubscriberError: (e) => errors.push(e) })
  t.subscribe('#', () => {
    throw new Error('boom')
  })
  assert.ok(t.apply(ev(`${FILLER}/temperature`, 21)).ok)
  assert.equal(t.node(`${FILLER}/temperature`).value?.value, 21)
  assert.equal(errors.length, 1)
})
