import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { createRouter, renderOutbound } from '../../src/bridge/rules.js'
import { compileTemplate } from '../../src/bridge/template.js'
import { toCommandPublish } from '../../src/bridge/kafka-to-mqtt.js'
import { UnsError } from '../../src/errors.js'

const topics = {
  telemetry: 'uns.telemetry',
  events: 'uns.events',
  alarms: 'uns.alarms',
  commands: 'uns.commands',
}
const levels = (p: string) => p.split('/')
const route = (name: string, filter: string, topic: string, extra: object = {}) => ({
  name,
  filter,
  topic,
  key: '{path}',
  headers: {},
  ...extra,
})

describe('bridge templates', () => {
  it('renders path, levels, client id, class, key, headers and JSON value fields', () => {
    const t = compileTemplate('{level:1}/{class}/{clientId}|{key}|{header:target}|{value:line}')
    const out = t({
      path: 'acme/berlin/x',
      levels: ['acme', 'berlin', 'x'],
      clientId: 'plc',
      class: 'alarm',
      key: 'k',
      headers: { target: 'h' },
      value: () => ({ line: 'line-1' }),
    })
    assert.equal(out, 'berlin/alarm/plc|k|h|line-1')
  })

  it('yields nothing when a placeholder has no value, so the record is not misrouted', () => {
    assert.equal(compileTemplate('site/{level:5}')({ levels: ['a'] }), undefined)
    assert.equal(compileTemplate('{header:x}')({ headers: {} }), undefined)
  })

  it('refuses unknown placeholders and missing arguments with a readable reason', () => {
    assert.throws(() => compileTemplate('{nope}'), /unknown placeholder \{nope\}/)
    assert.throws(() => compileTemplate('{level}'), /needs an argument/)
  })
})

describe('MQTT -> Kafka routes', () => {
  it('routes by namespace class to the default topics when no rule matches', () => {
    const r = createRouter({ routes: [], defaultRoutes: true, inbound: [], topics })
    assert.equal(r.route(levels('a/b/alarms/high'), 'alarm')?.topic, 'uns.alarms')
    assert.equal(r.route(levels('a/b/order/id'), 'order')?.topic, 'uns.events')
    assert.equal(r.route(levels('a/b/event'), 'event')?.topic, 'uns.events')
    assert.equal(r.route(levels('a/b/temp'), 'telemetry')?.topic, 'uns.telemetry')
    assert.equal(r.route(levels('undeclared/tag'), undefined)?.topic, 'uns.telemetry')
  })

  it('applies the first matching rule, with + and # wildcards and class conditions', () => {
    const r = createRouter({
      routes: [
        route('energy', 'acme/+/+/+/energy/#', 'energy.data'),
        route('alarms', '#', 'alarms', { classes: ['alarm'] }),
        route('berlin', 'acme/berlin/#', 'machine.telemetry'),
      ],
      defaultRoutes: false,
      inbound: [],
      topics,
    })
    assert.equal(r.route(levels('acme/berlin/packaging/line-1/energy/power'), 'telemetry')?.name, 'energy')
    assert.equal(
      r.route(levels('acme/berlin/packaging/line-1/energy'), 'telemetry')?.name,
      'energy',
      '# matches the parent',
    )
    assert.equal(r.route(levels('acme/austin/x/alarms/high'), 'alarm')?.name, 'alarms')
    assert.equal(r.route(levels('acme/berlin/line/temp'), 'telemetry')?.name, 'berlin')
    assert.equal(r.route(levels('acme/austin/line/temp'), 'telemetry'), undefined, 'no rule, defaults off')
    assert.deepEqual([...r.outboundTopics].sort(), ['alarms', 'energy.data', 'machine.telemetry'])
  })

  it('renders key templates and headers; an empty key spreads records over partitions', () => {
    const r = createRouter({
      routes: [
        route('site', '#', 't', {
          key: '{level:0}/{level:1}',
          headers: { site: '{level:1}', line: 'L-{level:3}' },
        }),
      ],
      defaultRoutes: false,
      inbound: [],
      topics,
    })
    const rt = r.route(levels('acme/berlin/packaging/line-1/temp'), undefined)!
    assert.deepEqual(
      renderOutbound(rt, {
        path: 'acme/berlin/packaging/line-1/temp',
        levels: levels('acme/berlin/packaging/line-1/temp'),
      }),
      {
        key: 'acme/berlin',
        headers: { site: 'berlin', line: 'L-line-1' },
      },
    )
    const spread = createRouter({
      routes: [route('s', '#', 't', { key: '' })],
      defaultRoutes: false,
      inbound: [],
      topics,
    })
    assert.equal(renderOutbound(spread.route(['a'], undefined)!, { path: 'a', levels: ['a'] })?.key, null)
  })

  it('reports a bad template with the rule path as a config error', () => {
    assert.throws(
      () =>
        createRouter({
          routes: [route('x', '#', 't', { key: '{bogus}' })],
          defaultRoutes: true,
          inbound: [],
          topics,
        }),
      (err: unknown) =>
        err instanceof UnsError &&
        /bridge\.routes\.0\.key = "\{bogus\}": unknown placeholder/.test(err.message),
    )
  })
})

describe('Kafka -> MQTT routes', () => {
  const record = (topic: string, over: object = {}) => ({
    topic,
    partition: 0,
    offset: '1',
    timestamp: 0,
    key: 'k1',
    value: Buffer.from('{"target":"acme/berlin/order","id":7}'),
    headers: {},
    ...over,
  })

  it('always consumes the commands topic to {key}, and adds rules by topic or pattern', () => {
    const r = createRouter({
      routes: [],
      defaultRoutes: true,
      inbound: [
        { name: 'orders', topic: 'production.orders', mqttTopic: '{value:target}', qos: 0, retain: true },
        { name: 'erp', pattern: '^erp\\..*', mqttTopic: 'erp/{header:site}/{key}', qos: 1, retain: false },
      ],
      topics,
    })
    assert.deepEqual(
      r.inbound.map((i) => i.name),
      ['commands', 'orders', 'erp'],
    )
    const orders = r.inbound.find((i) => i.matches('production.orders'))!
    const v = toCommandPublish(record('production.orders'), orders, 'me', () => undefined)
    assert.equal(v.kind === 'publish' && v.publish.topic, 'acme/berlin/order')
    assert.equal(v.kind === 'publish' && v.publish.retain, true)
    assert.equal(v.kind === 'publish' && v.publish.qos, 0)
    const erp = r.inbound.find((i) => i.matches('erp.sap'))!
    assert.equal(erp.name, 'erp')
    const e = toCommandPublish(record('erp.sap', { headers: { site: 'berlin' } }), erp, 'me', () => undefined)
    assert.equal(e.kind === 'publish' && e.publish.topic, 'erp/berlin/k1')
    const missing = toCommandPublish(record('erp.sap'), erp, 'me', () => undefined)
    assert.equal(missing.kind, 'invalid')
  })

  it('requires exactly one of topic or pattern', () => {
    assert.throws(
      () =>
        createRouter({
          routes: [],
          defaultRoutes: true,
          inbound: [{ name: 'x', mqttTopic: '{key}', qos: 1, retain: false }],
          topics,
        }),
      /bridge\.inbound\.0: give exactly one of topic or pattern/,
    )
  })
})

describe('route filters', () => {
  it('refuses a malformed MQTT filter in a rule with the rule path', () => {
    assert.throws(
      () =>
        createRouter({
          routes: [{ name: 'x', filter: 'a/#/b', topic: 't', key: '{path}', headers: {} }],
          defaultRoutes: true,
          inbound: [],
          topics,
        }),
      /bridge\.routes\.0\.filter = "a\/#\/b": .*# must be the last level/,
    )
  })
})
