import assert from 'node:assert/strict'
import { describe, it } from 'node:test'
import { createRecordLocator } from '../../src/bridge/index.js'

const topics = {
  telemetry: 'uns.telemetry',
  events: 'uns.events',
  alarms: 'uns.alarms',
  commands: 'uns.commands',
}
const route = (r: { name: string; filter: string; topic: string; key: string }) => ({ ...r, headers: {} })

describe('where the bridge wrote the values of a path (history reads)', () => {
  it('follows the default routes by class, keyed by the path', () => {
    const locate = createRecordLocator({ routes: [], defaultRoutes: true, inbound: [], topics }, (p) =>
      p.endsWith('/alarm') ? 'alarm' : undefined,
    )
    assert.deepEqual(locate('acme/berlin/t'), { ok: true, topic: 'uns.telemetry', key: 'acme/berlin/t' })
    assert.deepEqual(locate('acme/berlin/alarm'), { ok: true, topic: 'uns.alarms', key: 'acme/berlin/alarm' })
  })

  it('honours a rule with its own topic and key template, and refuses keys it cannot know', () => {
    const locate = createRecordLocator(
      {
        routes: [
          route({ name: 'energy', filter: 'acme/+/energy/#', topic: 'energy.data', key: '{level:1}' }),
          route({ name: 'by-client', filter: 'acme/+/clients/#', topic: 'raw', key: '{clientId}' }),
        ],
        defaultRoutes: false,
        inbound: [],
        topics,
      },
      () => undefined,
    )
    assert.deepEqual(locate('acme/berlin/energy/kwh'), { ok: true, topic: 'energy.data', key: 'berlin' })
    const byClient = locate('acme/berlin/clients/x')
    assert.equal(byClient.ok, false)
    assert.match(
      byClient.ok ? '' : byClient.reason,
      /rule by-client keys records by something other than the path/,
    )
    const none = locate('elsewhere/x')
    assert.equal(none.ok, false)
    assert.match(none.ok ? '' : none.reason, /no bridge rule sends/)
  })
})
