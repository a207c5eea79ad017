// Reads a series back from the service's Prometheus registry, the way a scrape would see it.
import type { Metrics } from '../../src/metrics.js'

/**
 * The value of the series of `name` whose labels include `labels` (0 when there is none yet); for a
 * histogram pass `name_count` or `name_sum` to read those series.
 */
export async function metricValue(
  metrics: Metrics,
  name: string,
  labels: Readonly<Record<string, string | number>> = {},
): Promise<number> {
  const base = name.replace(/_(count|sum)$/, '')
  const metric = metrics.registry.getSingleMetric(name) ?? metrics.registry.getSingleMetric(base)
  // Histograms name each series (`_bucket`, `_sum`, `_count`); counters and gauges do not.
  const values: { value: number; labels: Record<string, unknown>; metricName?: string }[] =
    (await metric?.get())?.values ?? []
  const found = values.find(
    (v) =>
      (v.metricName ?? name) === name &&
      Object.entries(labels).every(([k, x]) => String(v.labels[k]) === String(x)),
  )
  return found?.value ?? 0
}
