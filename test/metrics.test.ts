// Hot-path counters (issue 13): counted in plain numbers, yet a scrape sees every increment.
import assert from 'node:assert/strict'
import { it } from 'node:test'
import { createMetrics, hotCount } from '../src/metrics.js'
import { metricValue } from './helpers/metrics.js'

it('a hotCount series shows every increment on the next scrape, beside the other series of its counter', async () => {
  const metrics = createMetrics()
  const checked = hotCount(metrics.stageEvents, { stage: 'registry_checked' })
  const applied = hotCount(metrics.stageEvents, { stage: 'tree_applied' })
  for (let i = 0; i < 1000; i++) checked.inc()
  applied.inc(7)
  metrics.stageEvents.inc({ stage: 'mqtt_in' })
  const scrape = await metrics.registry.metrics()
  assert.match(scrape, /uns_stage_events_total\{stage="registry_checked"\} 1000\n/)
  assert.match(scrape, /uns_stage_events_total\{stage="tree_applied"\} 7\n/)
  assert.match(scrape, /uns_stage_events_total\{stage="mqtt_in"\} 1\n/)
  // Counted once: the next read adds only what came since.
  checked.inc(2)
  assert.equal(await metricValue(metrics, 'uns_stage_events_total', { stage: 'registry_checked' }), 1002)
  assert.equal(await metricValue(metrics, 'uns_stage_events_total', { stage: 'registry_checked' }), 1002)
})
