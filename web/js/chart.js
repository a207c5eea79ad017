// History of one or several tags on one chart (uPlot), over a chosen time range, read through
// GET /api/v1/history; export of what is charted as CSV or JSON.
import { html } from './html.js'
import { useEffect, useRef, useState } from 'preact/hooks'
import uPlot from 'uplot'
import { getJson, download, pathUrl } from './api.js'
import { fileName, formatTime, pad, toCsv } from './format.js'

const COLORS = ['#0b5cad', '#c2410c', '#15803d', '#7c3aed', '#b91c1c', '#0e7490', '#a16207', '#be185d']
const RANGES = [
  ['5m', 5 * 60_000],
  ['15m', 15 * 60_000],
  ['1h', 3_600_000],
  ['6h', 6 * 3_600_000],
  ['24h', 24 * 3_600_000],
  ['7d', 7 * 24 * 3_600_000],
]

const toLocalInput = (ms) => {
  const d = new Date(ms)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())}T${pad(d.getHours())}:${pad(d.getMinutes())}`
}

function Plot({ results }) {
  const ref = useRef()
  useEffect(() => {
    const el = ref.current
    if (!el) return
    const numeric = results.filter((r) => r.points.some((p) => typeof p.value === 'number'))
    if (numeric.length === 0) return
    // uPlot wants one x axis: the union of every series' timestamps (seconds), gaps as null.
    const xs = [...new Set(numeric.flatMap((r) => r.points.map((p) => p.timestamp)))].sort((a, b) => a - b)
    const index = new Map(xs.map((x, i) => [x, i]))
    const data = [xs.map((x) => x / 1000)]
    for (const r of numeric) {
      const ys = new Array(xs.length).fill(null)
      for (const p of r.points) if (typeof p.value === 'number') ys[index.get(p.timestamp)] = p.value
      data.push(ys)
    }
    const plot = new uPlot(
      {
        width: el.clientWidth || 800,
        height: 320,
        series: [
          { label: 'time', value: (_u, v) => (v == null ? '' : formatTime(v * 1000)) },
          ...numeric.map((r) => ({
            label: r.path.split('/').slice(-2).join('/'),
            stroke: COLORS[results.indexOf(r) % COLORS.length],
            width: 1.5,
            spanGaps: true,
            points: { show: r.points.length < 120 },
          })),
        ],
        axes: [{}, { size: 60 }],
        legend: { live: true },
      },
      data,
      el,
    )
    const resize = new ResizeObserver(() => plot.setSize({ width: el.clientWidth, height: 320 }))
    resize.observe(el)
    return () => {
      resize.disconnect()
      plot.destroy()
    }
  }, [results])
  return html`<div class="plot" ref=${ref} data-testid="chart"></div>`
}

export function ChartView({ series, setSeries }) {
  const [range, setRange] = useState({ preset: '15m', from: undefined, to: undefined })
  const [results, setResults] = useState([])
  const [loading, setLoading] = useState(false)
  const [error, setError] = useState()

  const bounds = () => {
    if (range.preset !== 'custom') {
      const span = RANGES.find(([n]) => n === range.preset)?.[1] ?? 3_600_000
      const to = Date.now()
      return { from: to - span, to }
    }
    return { from: range.from, to: range.to }
  }

  const load = async () => {
    if (series.length === 0) return setResults([])
    setLoading(true)
    setError(undefined)
    const { from, to } = bounds()
    try {
      const all = await Promise.all(
        series.map((path) =>
          getJson(
            `/api/v1/history/${pathUrl(path)}?from=${Math.floor(from)}&to=${Math.ceil(to)}&limit=20000`,
          ),
        ),
      )
      setResults(all)
    } catch (err) {
      setError(err.message)
    } finally {
      setLoading(false)
    }
  }
  useEffect(() => {
    load()
  }, [series.join('\n'), range])

  const exportCsv = () => {
    const rows = results.flatMap((r) =>
      r.points.map((p) => [
        r.path,
        p.timestamp,
        new Date(p.timestamp).toISOString(),
        p.value,
        p.quality,
        p.datatype,
        p.receivedAt,
      ]),
    )
    download(
      `history-${fileName(series.length === 1 ? series[0] : 'tags')}.csv`,
      toCsv(['path', 'timestamp', 'time', 'value', 'quality', 'datatype', 'receivedAt'], rows),
      'text/csv',
    )
  }
  const exportJson = () =>
    download(
      `history-${fileName(series.length === 1 ? series[0] : 'tags')}.json`,
      JSON.stringify(results, null, 2),
      'application/json',
    )

  return html`
    <div class="panel-body chart-view">
      <div class="toolbar" role="toolbar" aria-label="Time range">
        <span class="label">Range</span>
        <div class="seg">
          ${RANGES.map(
            ([name]) => html`<button aria-pressed=${range.preset === name ? 'true' : 'false'}
              onClick=${() => setRange({ preset: name })}>${name}</button>`,
          )}
          <button aria-pressed=${range.preset === 'custom' ? 'true' : 'false'}
            onClick=${() => {
              const b = bounds()
              setRange({ preset: 'custom', from: b.from, to: b.to })
            }}>custom</button>
        </div>
        ${
          range.preset === 'custom'
            ? html`<label>From <input type="datetime-local" value=${toLocalInput(range.from)}
                onChange=${(e) => setRange({ ...range, from: new Date(e.target.value).getTime() })} /></label>
              <label>To <input type="datetime-local" value=${toLocalInput(range.to)}
                onChange=${(e) => setRange({ ...range, to: new Date(e.target.value).getTime() })} /></label>`
            : null
        }
        <button onClick=${load} disabled=${loading}>${loading ? 'Loading…' : 'Refresh'}</button>
        <span class="spacer"></span>
        <button onClick=${exportCsv} disabled=${results.length === 0}>Export CSV</button>
        <button onClick=${exportJson} disabled=${results.length === 0}>Export JSON</button>
      </div>
      ${
        series.length === 0
          ? html`<p class="muted empty-note">Choose a tag in the tree and press “Add to chart”; several tags share one chart.</p>`
          : null
      }
      <ul class="series" aria-label="Charted tags">
        ${series.map((path, i) => {
          const r = results.find((x) => x.path === path)
          return html`<li>
            <span class="swatch" style=${`background:${COLORS[i % COLORS.length]}`}></span>
            <span class="mono">${path}</span>
            ${
              r
                ? html`<span class="muted" data-testid="series-count">${r.count} points from ${r.source}${r.source === 'kafka' ? ` (${r.topic}/${r.partition}, ${r.scanned} scanned)` : ''}</span>
                  ${r.truncated ? html`<span class="badge warn" title=${r.detail ?? ''}>truncated: ${r.reason}</span>` : null}`
                : null
            }
            <button class="icon" aria-label=${`Remove ${path} from the chart`} onClick=${() => setSeries(series.filter((s) => s !== path))}>×</button>
          </li>`
        })}
      </ul>
      ${error ? html`<p class="msg error">${error}</p>` : null}
      ${results.length > 0 ? html`<${Plot} results=${results} />` : null}
    </div>
  `
}
