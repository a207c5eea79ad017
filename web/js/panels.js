// Sparkplug nodes, dead letters, schema registry and search results.
import { html } from './html.js'
import { useEffect, useState } from 'preact/hooks'
import { ApiError, getJson, postJson, request } from './api.js'
import { ago, allowed, formatTime } from './format.js'
import { reveal, select, store } from './store.js'

/** Loads `url` now and every `everyMs`; returns {data, error, reload}. */
function usePoll(url, everyMs) {
  const [state, setState] = useState({})
  const load = async () => {
    try {
      setState({ data: await getJson(url) })
    } catch (err) {
      setState((s) => ({ ...s, error: err }))
    }
  }
  useEffect(() => {
    load()
    if (!everyMs) return undefined
    const t = setInterval(load, everyMs)
    return () => clearInterval(t)
  }, [url])
  return { ...state, reload: load }
}

const Problem = ({ error }) =>
  error
    ? html`<p class="msg error" role="alert">${error instanceof ApiError && error.status === 403 ? 'Your role may not see this.' : error.message}</p>`
    : null

const Online = ({ online }) =>
  html`<span class=${`status ${online ? 'on' : 'off'}`}>${online ? 'online' : 'offline'}</span>`

export function SparkplugPanel() {
  const { data, error, reload } = usePoll('/api/v1/sparkplug/nodes', 3000)
  const [sent, setSent] = useState()
  const rebirth = async (group, edge) => {
    try {
      const r = await request(
        `/api/v1/sparkplug/nodes/${encodeURIComponent(group)}/${encodeURIComponent(edge)}/rebirth`,
        { method: 'POST' },
      )
      setSent(`Rebirth requested: ${(await r.json()).topic}`)
      reload()
    } catch (err) {
      setSent(`Rebirth refused: ${err.message}`)
    }
  }
  const groups = data?.groups ?? []
  const nodes = groups.flatMap((g) => g.nodes)
  // A Rebirth is an NCMD: only for who may write to that edge node's command topic.
  const mayRebirth = (group, edge) =>
    !store.me || store.me.can?.admin || allowed(store.me.can?.write, `spBv1.0/${group}/NCMD/${edge}`)
  return html`
    <div class="panel-body">
      <div class="summary-row">
        <div class="stat"><b>${groups.length}</b> groups</div>
        <div class="stat"><b>${nodes.filter((n) => n.online).length}</b>/${nodes.length} edge nodes online</div>
        <div class="stat"><b>${nodes.flatMap((n) => n.devices).filter((d) => d.online).length}</b>/${nodes.flatMap((n) => n.devices).length} devices online</div>
      </div>
      <${Problem} error=${error} />
      ${sent ? html`<p class="msg ok" role="status">${sent}</p>` : null}
      ${groups.length === 0 && data ? html`<p class="muted empty-note">No Sparkplug B edge node has been seen yet.</p>` : null}
      ${groups.map(
        (g) => html`<section class="card">
          <h3>Group <span class="mono">${g.group}</span></h3>
          <table class="grid">
            <thead><tr><th>Edge node / device</th><th>Status</th><th>bdSeq</th><th>seq</th><th>Metrics</th><th>Last birth</th><th>Last death</th><th></th></tr></thead>
            <tbody>
              ${g.nodes.map(
                (n) => html`
                  <tr class="edge">
                    <td class="mono">${n.edge}</td><td><${Online} online=${n.online} /></td>
                    <td class="mono">${n.bdSeq ?? '—'}</td><td class="mono">${n.lastSeq ?? '—'}</td>
                    <td class="mono">${n.metricCount}</td>
                    <td title=${formatTime(n.birthTime)}>${n.birthTime ? ago(n.birthTime) : '—'}</td>
                    <td title=${formatTime(n.deathTime)}>${n.deathTime ? ago(n.deathTime) : '—'}</td>
                    <td>${mayRebirth(g.group, n.edge) ? html`<button onClick=${() => rebirth(g.group, n.edge)} aria-label=${`Request rebirth of ${g.group}/${n.edge}`}>Rebirth</button>` : null}</td>
                  </tr>
                  ${n.devices.map(
                    (d) => html`<tr class="device">
                      <td class="mono">└ ${d.device}</td><td><${Online} online=${d.online} /></td><td></td><td></td>
                      <td class="mono">${d.metricCount}</td>
                      <td title=${formatTime(d.birthTime)}>${d.birthTime ? ago(d.birthTime) : '—'}</td>
                      <td title=${formatTime(d.deathTime)}>${d.deathTime ? ago(d.deathTime) : '—'}</td><td></td>
                    </tr>`,
                  )}`,
              )}
            </tbody>
          </table>
        </section>`,
      )}
    </div>
  `
}

export function DeadLettersPanel() {
  const { data, error, reload } = usePoll('/api/v1/dlq?limit=200', 10000)
  const [open, setOpen] = useState()
  const items = data?.items ?? []
  return html`
    <div class="panel-body">
      <div class="toolbar">
        <span class="muted">The latest refused messages, newest first${data?.kafkaError ? ' (memory only: the dead-letter topic is not readable)' : ''}.</span>
        <span class="spacer"></span><button onClick=${reload}>Refresh</button>
      </div>
      <${Problem} error=${error} />
      ${items.length === 0 && data ? html`<p class="muted empty-note">No refused messages. Everything published so far was accepted.</p>` : null}
      ${
        items.length > 0
          ? html`<table class="grid dlq">
            <thead><tr><th>Received</th><th>Topic</th><th>Client</th><th>Code</th><th>Reason</th></tr></thead>
            <tbody>
              ${items.map((d, i) => {
                const expanded = open === i
                return html`
                  <tr class="clickable" tabindex="0" aria-expanded=${expanded ? 'true' : 'false'}
                    onClick=${() => setOpen(expanded ? undefined : i)}
                    onKeyDown=${(e) => (e.key === 'Enter' || e.key === ' ') && (e.preventDefault(), setOpen(expanded ? undefined : i))}>
                    <td class="mono nowrap">${formatTime(d.receivedAt)}</td>
                    <td class="mono">${d.topic}</td><td class="mono">${d.clientId}</td>
                    <td class="mono code">${d.code}</td><td>${d.reason}</td>
                  </tr>
                  ${
                    expanded
                      ? html`<tr class="detail"><td colspan="5">
                        ${d.subject ? html`<div>Schema <span class="mono">${d.subject}${d.version ? `@${d.version}` : ''}</span></div>` : null}
                        ${d.errors?.length ? html`<ul class="errors">${d.errors.map((e) => html`<li><span class="mono">${e.instancePath || '(value)'}</span> ${e.message}</li>`)}</ul>` : null}
                        <div class="muted">Payload (${d.payloadBytes} bytes, ${d.payloadEncoding}${d.origin ? `, refused by ${d.origin}` : ''}, from ${d.from})</div>
                        <pre class="mono payload">${d.payload}</pre>
                      </td></tr>`
                      : null
                  }`
              })}
            </tbody>
          </table>`
          : null
      }
    </div>
  `
}

export function RegistryPanel() {
  const { data, error } = usePoll('/api/v1/schemas', 0)
  const [subject, setSubject] = useState()
  const [version, setVersion] = useState()
  const [doc, setDoc] = useState()
  const [payload, setPayload] = useState('{"value": 21.5}')
  const [verdict, setVerdict] = useState()
  useEffect(() => {
    if (!subject || !version) return
    setDoc(undefined)
    setVerdict(undefined)
    getJson(`/api/v1/schemas/${encodeURIComponent(subject)}/versions/${version}`).then(setDoc, (e) =>
      setDoc({ error: e.message }),
    )
  }, [subject, version])
  const validate = async (e) => {
    e.preventDefault()
    let value
    try {
      value = JSON.parse(payload)
    } catch (err) {
      return setVerdict({ ok: false, errors: [{ instancePath: '', message: `not JSON: ${err.message}` }] })
    }
    try {
      setVerdict(
        await postJson(`/api/v1/schemas/${encodeURIComponent(subject)}/versions/${version}/validate`, {
          value,
        }),
      )
    } catch (err) {
      setVerdict({ ok: false, errors: [{ instancePath: '', message: err.message }] })
    }
  }
  const subjects = data ?? []
  return html`
    <div class="panel-body registry">
      <${Problem} error=${error} />
      <div class="split">
        <table class="grid subjects" aria-label="Subjects">
          <thead><tr><th>Subject</th><th>Versions</th><th>Compatibility</th></tr></thead>
          <tbody>
            ${subjects.map(
              (s) => html`<tr class=${subject === s.subject ? 'selected' : ''}>
                <td class="mono">${s.subject}</td>
                <td>${s.versions.map(
                  (
                    v,
                  ) => html`<button class=${`link ${subject === s.subject && version === v ? 'active' : ''}`}
                  onClick=${() => (setSubject(s.subject), setVersion(v))}>v${v}</button> `,
                )}</td>
                <td>${s.compatibility}</td>
              </tr>`,
            )}
          </tbody>
        </table>
        <div class="schema-side">
          ${!subject ? html`<p class="muted empty-note">Pick a version to see its JSON Schema and test a payload against it.</p>` : null}
          ${doc?.error ? html`<p class="msg error">${doc.error}</p>` : null}
          ${
            doc && !doc.error
              ? html`<h3><span class="mono">${doc.subject}</span> v${doc.version} <span class="muted">id ${doc.id}, ${formatTime(doc.registeredAt)}</span></h3>
                <pre class="mono schema">${JSON.stringify(doc.schema, null, 2)}</pre>
                <form onSubmit=${validate} class="validate">
                  <label for="validate-box">Validate a payload</label>
                  <textarea id="validate-box" class="mono" rows="4" value=${payload} onInput=${(e) => setPayload(e.target.value)}></textarea>
                  <button type="submit" class="primary">Validate</button>
                </form>
                ${
                  verdict
                    ? verdict.ok
                      ? html`<p class="msg ok" role="status">Valid against ${doc.subject} v${doc.version}.</p>`
                      : html`<div class="msg error" role="alert">Invalid:<ul class="errors">${(verdict.errors ?? []).map((e) => html`<li><span class="mono">${e.instancePath || '(value)'}</span> ${e.message}</li>`)}</ul></div>`
                    : null
                }`
              : null
          }
        </div>
      </div>
    </div>
  `
}

const CLASSES = ['', 'telemetry', 'state', 'event', 'alarm', 'counter', 'order', 'command', 'config']

export function SearchPanel({ query, setQuery }) {
  const [results, setResults] = useState()
  const [error, setError] = useState()
  useEffect(() => {
    const { q, unit, cls, level, filter } = query
    if (!q && !unit && !cls && !level && !filter) return setResults(undefined)
    let stop = false
    const run = async () => {
      try {
        if (filter) {
          const page = await getJson(`/api/v1/values?limit=500&filter=${encodeURIComponent(filter)}`)
          if (!stop)
            setResults(
              page.items.map((v) => ({
                path: v.path,
                value: v.value,
                quality: v.quality,
                declared: true,
                hasValue: true,
              })),
            )
        } else {
          const params = new URLSearchParams({ limit: '500' })
          if (q) params.set('q', q)
          if (unit) params.set('unit', unit)
          if (cls) params.set('class', cls)
          if (level) params.set('level', level)
          const r = await getJson(`/api/v1/search?${params}`)
          if (!stop) setResults(r.items)
        }
        setError(undefined)
      } catch (err) {
        if (!stop) setError(err)
      }
    }
    const t = setTimeout(run, 200)
    return () => {
      stop = true
      clearTimeout(t)
    }
  }, [JSON.stringify(query)])
  const set = (k) => (e) => setQuery({ ...query, [k]: e.target.value })
  return html`
    <div class="panel-body">
      <form class="search-form" onSubmit=${(e) => e.preventDefault()} role="search">
        <label>Text <input value=${query.q ?? ''} onInput=${set('q')} placeholder="temperature" /></label>
        <label>Unit <input value=${query.unit ?? ''} onInput=${set('unit')} placeholder="degC" size="8" /></label>
        <label>Class <select value=${query.cls ?? ''} onChange=${set('cls')}>${CLASSES.map((c) => html`<option value=${c}>${c || 'any'}</option>`)}</select></label>
        <label>Level <input value=${query.level ?? ''} onInput=${set('level')} placeholder="line" size="8" /></label>
        <label>MQTT filter <input class="mono" value=${query.filter ?? ''} onInput=${set('filter')} placeholder="acme/+/packaging/#" /></label>
      </form>
      <${Problem} error=${error} />
      ${results === undefined ? html`<p class="muted empty-note">Search by text, unit, class, ISA-95 level, or an MQTT filter with + and #.</p>` : null}
      ${results?.length === 0 ? html`<p class="muted empty-note">Nothing matches.</p>` : null}
      ${
        results?.length
          ? html`<p class="muted">${results.length}${results.length === 500 ? '+' : ''} results</p>
          <table class="grid results" aria-label="Search results">
            <thead><tr><th>Path</th><th>Name</th><th>Level</th><th>Class</th><th>Unit</th><th>Model</th></tr></thead>
            <tbody>${results.map(
              (r) => html`<tr>
                <td><a class="mono" href=${`#/node/${r.path}`} onClick=${async (e) => {
                  e.preventDefault()
                  await reveal(r.path)
                  select(r.path)
                }}>${r.path}</a>${r.declared === false ? html` <span class="badge warn">undeclared</span>` : null}</td>
                <td>${r.displayName ?? ''}</td><td>${r.level ?? ''}</td><td>${r.class ?? ''}</td><td>${r.unit ?? ''}</td>
                <td class="mono">${r.model ?? ''}${r.writable ? html` <span class="badge">writable</span>` : null}</td>
              </tr>`,
            )}</tbody>
          </table>`
          : null
      }
    </div>
  `
}

export { store }
