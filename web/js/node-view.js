// One node: definition (model@version, unit, range, writable, attributes), current value with time,
// quality and source, the Sparkplug origin, the schema that validates it, a sparkline of the last
// minutes (from the service's memory), and the write form of a writable tag.
import { html } from './html.js'
import { useEffect, useState } from 'preact/hooks'
import { ApiError, getJson, pathUrl, postJson } from './api.js'
import { allowed, ago, formatTime, formatValue, matchesFilter, QUALITY_LABEL } from './format.js'
import { store, useStore, valueOf } from './store.js'

function Sparkline({ points }) {
  const nums = points.filter((p) => typeof p.value === 'number')
  if (nums.length < 2)
    return html`<div class="spark empty">Not enough points in memory for a trend yet.</div>`
  const w = 320
  const h = 48
  const t0 = nums[0].timestamp
  const t1 = nums[nums.length - 1].timestamp
  let lo = Math.min(...nums.map((p) => p.value))
  let hi = Math.max(...nums.map((p) => p.value))
  if (lo === hi) [lo, hi] = [lo - 1, hi + 1]
  const xy = nums.map(
    (p) =>
      `${(((p.timestamp - t0) / Math.max(1, t1 - t0)) * (w - 4) + 2).toFixed(1)},${(h - 2 - ((p.value - lo) / (hi - lo)) * (h - 4)).toFixed(1)}`,
  )
  return html`<svg class="spark" viewBox=${`0 0 ${w} ${h}`} width=${w} height=${h} role="img"
    aria-label=${`Trend of ${nums.length} points from ${formatValue(lo)} to ${formatValue(hi)}`}>
    <polyline points=${xy.join(' ')} fill="none" stroke="currentColor" stroke-width="1.5" />
  </svg>`
}

/** The schema that validates a path: a binding (filter, prefix or model), else the model field subject. */
function schemaOf(node, bindings) {
  const model = node.definition.model
  for (const b of bindings ?? []) {
    if (b.filter && matchesFilter(b.filter, node.path)) return { ...b, via: `binding ${b.id}` }
    if (b.prefix && (node.path === b.prefix || node.path.startsWith(`${b.prefix}/`)))
      return { ...b, via: `binding ${b.id}` }
    if (b.model && model && (model === b.model || model.split('@')[0] === b.model))
      return { ...b, via: `binding ${b.id}` }
  }
  return undefined
}

function WriteForm({ node }) {
  const d = node.definition
  const [text, setText] = useState('')
  const [state, setState] = useState({})
  const type = d.type
  const parse = () => {
    if (d.enum) return JSON.parse(text)
    if (type === 'boolean') return text === 'true'
    if (type === 'integer' || type === 'number') {
      const n = Number(text)
      if (text.trim() === '' || !Number.isFinite(n))
        throw new Error(`${JSON.stringify(text)} is not a number`)
      if (type === 'integer' && !Number.isInteger(n)) throw new Error('an integer is required')
      if (d.range?.min !== undefined && n < d.range.min) throw new Error(`below the minimum ${d.range.min}`)
      if (d.range?.max !== undefined && n > d.range.max) throw new Error(`above the maximum ${d.range.max}`)
      return n
    }
    if (type === 'string') return text
    return JSON.parse(text)
  }
  const submit = async (e) => {
    e.preventDefault()
    let value
    try {
      value = parse()
    } catch (err) {
      setState({ error: err.message })
      return
    }
    setState({ sending: true })
    try {
      const r = await postJson(`/api/v1/nodes/${pathUrl(node.path)}/write`, { value })
      setState({
        ok: `Sent ${formatValue(value)} via ${r.via} (${r.topic}); the new value shows when the device reports it.`,
      })
    } catch (err) {
      setState({ error: err instanceof ApiError ? err.message : String(err) })
    }
  }
  const input = d.enum
    ? html`<select id="write-value" value=${text} onChange=${(e) => setText(e.target.value)}>
          <option value="">choose…</option>
          ${d.enum.map((v) => html`<option value=${JSON.stringify(v)}>${String(v)}</option>`)}
        </select>`
    : type === 'boolean'
      ? html`<select id="write-value" value=${text} onChange=${(e) => setText(e.target.value)}>
            <option value="">choose…</option><option value="true">true</option><option value="false">false</option>
          </select>`
      : html`<input id="write-value" class="mono" value=${text} onInput=${(e) => setText(e.target.value)}
            inputmode=${type === 'integer' || type === 'number' ? 'decimal' : 'text'}
            placeholder=${type === 'integer' || type === 'number' ? 'number' : 'value'} />`
  return html`
    <section class="card write" aria-labelledby="write-title">
      <h3 id="write-title">Write</h3>
      <dl class="facts compact">
        <dt>Type</dt><dd class="mono">${type ?? 'any'}</dd>
        ${d.unit ? html`<dt>Unit</dt><dd>${d.unit}</dd>` : null}
        ${d.range ? html`<dt>Range</dt><dd class="mono">${d.range.min ?? '−∞'} … ${d.range.max ?? '+∞'}</dd>` : null}
        ${d.enum ? html`<dt>Allowed</dt><dd class="mono">${d.enum.map(String).join(', ')}</dd>` : null}
      </dl>
      <form onSubmit=${submit} class="write-form">
        <label for="write-value">New value${d.unit ? ` (${d.unit})` : ''}</label>
        ${input}
        <button type="submit" class="primary" disabled=${state.sending}>Send</button>
      </form>
      ${state.error ? html`<p class="msg error" role="alert">${state.error}</p>` : null}
      ${state.ok ? html`<p class="msg ok" role="status">${state.ok}</p>` : null}
    </section>
  `
}

export function NodeView({ path, onChart }) {
  useStore()
  const [node, setNode] = useState()
  const [error, setError] = useState()
  const [spark, setSpark] = useState([])
  const [bindings, setBindings] = useState()
  useEffect(() => {
    let stop = false
    setNode(undefined)
    setError(undefined)
    const load = async () => {
      try {
        const n = await getJson(`/api/v1/nodes/${pathUrl(path)}`)
        if (stop) return
        setNode(n)
        if (n.childCount === 0) {
          const h = await getJson(`/api/v1/history/${pathUrl(path)}?source=memory&from=-10m&limit=2000`)
          if (!stop) setSpark(h.points)
        }
      } catch (err) {
        if (!stop) setError(err)
      }
    }
    load()
    getJson('/api/v1/schemas/bindings').then(
      (b) => !stop && setBindings(b),
      () => {},
    )
    const timer = setInterval(load, 5000)
    return () => {
      stop = true
      clearInterval(timer)
    }
  }, [path])

  if (error)
    return html`<div class="panel-body"><p class="msg error">${error.status === 403 ? 'You may not read this node.' : error.message}</p></div>`
  if (!node) return html`<div class="panel-body"><p class="muted">Loading ${path}…</p></div>`
  const d = node.definition
  const live = valueOf(path)
  const v = node.value ? { ...node.value, ...(live ?? {}) } : live
  const isTag = node.childCount === 0
  const source = node.value?.source ?? ''
  const sparkplug = node.value?.datatype !== undefined && source.includes('/')
  const [group, edge, device] = source.split('/')
  const schema = schemaOf(node, bindings)
  const canWrite = d.writable && store.me && allowed(store.me.can?.write, path)
  return html`
    <div class="panel-body node-view">
      <header class="node-head">
        <div>
          <h2>${d.displayName ?? node.name} ${d.level ? html`<span class="level">${d.level}</span>` : null}
            ${node.declared ? null : html`<span class="badge warn">undeclared</span>`}
            ${d.writable ? html`<span class="badge">writable</span>` : null}</h2>
          <div class="path mono" title="UNS path">${path}
            <button class="link copy" title="Copy the path" onClick=${() => navigator.clipboard?.writeText(path)}>copy</button>
          </div>
          ${d.description ? html`<p class="muted">${d.description}</p>` : null}
        </div>
        ${isTag ? html`<button onClick=${() => onChart(path)}>Add to chart</button>` : null}
      </header>

      ${
        isTag
          ? html`<section class="card value-card" aria-label="Current value">
            <div class="big-value">
              <span class=${`mono q-text-${v?.quality ?? 'none'}`} data-testid="node-value">${v ? formatValue(v.value) : '—'}</span>
              ${d.unit ? html`<span class="unit">${d.unit}</span>` : null}
              ${v ? html`<span class=${`quality-chip q-${v.quality}`}>${QUALITY_LABEL[v.quality] ?? v.quality}</span>` : null}
            </div>
            <dl class="facts compact">
              <dt>Timestamp</dt><dd class="mono">${v ? formatTime(v.timestamp) : '—'}</dd>
              <dt>Last seen</dt><dd>${node.value ? `${formatTime(node.value.lastSeen)} (${ago(node.value.lastSeen)})` : '—'}</dd>
              <dt>Source</dt><dd class="mono">${source || '—'}</dd>
              <dt>Messages</dt><dd class="mono">${node.messageCount}</dd>
            </dl>
            <${Sparkline} points=${spark} />
          </section>`
          : html`<section class="card"><dl class="facts compact">
            <dt>Children</dt><dd class="mono">${node.childCount}</dd>
            <dt>Tags below</dt><dd class="mono">${node.leafCount}</dd>
          </dl></section>`
      }

      <section class="card" aria-labelledby="def-title">
        <h3 id="def-title">Definition</h3>
        <dl class="facts">
          ${d.model ? html`<dt>Model</dt><dd class="mono">${d.model}</dd>` : null}
          ${d.field ? html`<dt>Field</dt><dd class="mono">${d.field}</dd>` : null}
          ${d.type ? html`<dt>Type</dt><dd class="mono">${d.type}</dd>` : null}
          ${d.unit ? html`<dt>Unit</dt><dd>${d.unit}</dd>` : null}
          ${d.range ? html`<dt>Range</dt><dd class="mono">${d.range.min ?? '−∞'} … ${d.range.max ?? '+∞'}</dd>` : null}
          ${d.enum ? html`<dt>Enum</dt><dd class="mono">${d.enum.map(String).join(', ')}</dd>` : null}
          ${d.class ? html`<dt>Class</dt><dd>${d.class}</dd>` : null}
          <dt>Writable</dt><dd>${d.writable ? 'yes' : 'no'}</dd>
          ${d.declaredIn ? html`<dt>Declared in</dt><dd class="mono">${d.declaredIn}</dd>` : null}
          <dt>Schema</dt><dd class="mono">${schema ? `${schema.subject}@${schema.version} (${schema.via}, ${schema.policy})` : d.model && isTag ? `model.${d.model.split('@')[0]} (model field)` : '—'}</dd>
        </dl>
        ${
          d.attributes && Object.keys(d.attributes).length > 0
            ? html`<h4>Attributes</h4><dl class="facts">${Object.entries(d.attributes).map(
                ([k, val]) => html`<dt>${k}</dt><dd class="mono">${String(val)}</dd>`,
              )}</dl>`
            : null
        }
      </section>

      ${
        sparkplug
          ? html`<section class="card" aria-labelledby="spb-title">
            <h3 id="spb-title">Sparkplug origin</h3>
            <dl class="facts compact">
              <dt>Group</dt><dd class="mono">${group}</dd>
              <dt>Edge node</dt><dd class="mono">${edge}</dd>
              ${device ? html`<dt>Device</dt><dd class="mono">${device}</dd>` : null}
              <dt>Datatype</dt><dd class="mono">${node.value.datatype}</dd>
            </dl>
          </section>`
          : null
      }

      ${isTag && canWrite ? html`<${WriteForm} node=${node} />` : null}
    </div>
  `
}
