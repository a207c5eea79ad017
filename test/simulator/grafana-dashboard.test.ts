// docs/grafana-dashboard.json against the service's GET /metrics registry: every series a panel
// queries exists, and the datasource is a variable (imports into any Grafana with Prometheus).
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { describe, it } from 'node:test'
import { createMetrics } from '../../src/metrics.js'

interface Panel {
  readonly type: string
  readonly title: string
  readonly datasource?: { type: string; uid: string }
  readonly targets?: { expr: string }[]
}
const dashboard = JSON.parse(readFileSync('docs/grafana-dashboard.json', 'utf8')) as {
  panels: Panel[]
  templating: { list: { name: string; type: string; query: unknown }[] }
}
const HISTOGRAM_SUFFIX = /_(bucket|sum|count)$/

describe('Grafana dashboard', () => {
  it('queries only series that the service registers', async () => {
    const metrics = createMetrics()
    const registered = new Set((await metrics.registry.getMetricsAsJSON()).map((m) => m.name))
    const used = new Set<string>()
    for (const p of dashboard.panels)
      for (const t of p.targets ?? [])
        for (const name of t.expr.match(/\b(uns|process|nodejs)_[a-z0-9_]+/g) ?? []) used.add(name)
    assert.ok(used.size >= 20, `the dashboard uses ${used.size} series`)
    const missing = [...used].filter(
      (n) => !registered.has(n) && !registered.has(n.replace(HISTOGRAM_SUFFIX, '')),
    )
    assert.deepEqual(missing, [])
  })

  it('covers MQTT, stages, validation, Kafka latency and errors, buffer, tree size and SSE clients', () => {
    const exprs = dashboard.panels.flatMap((p) => (p.targets ?? []).map((t) => t.expr)).join('\n')
    for (const series of [
      'uns_mqtt_clients',
      'uns_mqtt_publishes_total',
      'uns_stage_events_total',
      'uns_registry_validation_failures_total',
      'uns_kafka_produce_seconds_bucket',
      'uns_kafka_request_seconds_bucket',
      'uns_kafka_produce_errors_total',
      'uns_bridge_buffer_records',
      'uns_tree_nodes',
      'uns_sse_clients',
    ])
      assert.ok(exprs.includes(series), `a panel shows ${series}`)
  })

  it('takes its Prometheus datasource from a dashboard variable', () => {
    const ds = dashboard.templating.list.find((v) => v.type === 'datasource')
    assert.equal(ds?.query, 'prometheus')
    for (const p of dashboard.panels.filter((x) => x.type === 'timeseries'))
      assert.equal(p.datasource?.uid, `\${${ds?.name}}`, p.title)
  })

  it('reads tree size and Sparkplug nodes online from the bound sources at scrape time', async () => {
    const metrics = createMetrics()
    let values = 3
    metrics.bindSources({
      tree: () => ({ nodes: 10, values }),
      sparkplugNodes: () => [
        { online: true, devices: [{ online: true }, { online: false }] },
        { online: false, devices: [] },
      ],
    })
    values = 7
    const text = await metrics.registry.metrics()
    assert.match(text, /uns_tree_nodes\{kind="nodes"\} 10/)
    assert.match(text, /uns_tree_nodes\{kind="values"\} 7/)
    assert.match(text, /uns_sparkplug_online\{kind="edge"\} 1/)
    assert.match(text, /uns_sparkplug_online\{kind="device"\} 1/)
  })
})
