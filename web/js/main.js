// The uns-bridge explorer: the ISA-95 tree with live values on the left, the selected node, the chart,
// Sparkplug nodes, dead letters, the registry and search on the right. Routes live in the URL hash
// (#/node/<path>, #/chart, #/sparkplug, #/dlq, #/registry, #/search) so a view can be bookmarked.
import { render } from 'preact'
import { useEffect, useState } from 'preact/hooks'
import { html } from './html.js'
import { ApiError, download, getJson, onAuth, openStream, token, whoAmI } from './api.js'
import { allowed, coveringFilter, fileName, toCsv } from './format.js'
import { ChartView } from './chart.js'
import { NodeView } from './node-view.js'
import { DeadLettersPanel, RegistryPanel, SearchPanel, SparkplugPanel } from './panels.js'
import { applyLive, changed, loadChildren, refreshTree, reveal, store, useStore } from './store.js'
import { Tree } from './tree.js'

const TABS = [
  ['node', 'Node'],
  ['chart', 'Chart'],
  ['search', 'Search'],
  ['sparkplug', 'Sparkplug'],
  ['dlq', 'Dead letters'],
  ['registry', 'Registry'],
]

function parseHash() {
  const h = decodeURIComponent(location.hash.replace(/^#\/?/, ''))
  const [tab, ...rest] = h.split('/')
  return {
    tab: TABS.some(([t]) => t === tab) ? tab : 'node',
    path: tab === 'node' ? rest.join('/') : undefined,
  }
}

/** Every open level whose ancestors are open too: the rows on screen. */
function openLevels() {
  const open = (p) => {
    const levels = p === '' ? [] : p.split('/')
    for (let i = 1; i < levels.length; i++)
      if (!store.expanded.has(levels.slice(0, i).join('/'))) return false
    return store.expanded.has('')
  }
  return [...store.expanded].filter((p) => open(p))
}

/** One live stream for what is on screen: the children of each open level, and the selected node. */
function useLiveStream() {
  useStore()
  let filters = openLevels().map((p) => (p === '' ? '+' : `${p}/+`))
  if (store.selected) filters.push(store.selected)
  // The service takes up to 64 filters per stream; past that one covering filter does.
  if (filters.length > 64) filters = [coveringFilter([...openLevels(), store.selected])]
  const key = store.paused ? '' : [...new Set(filters)].sort().join('\n')
  useEffect(() => {
    if (!key) {
      store.streamState = store.paused ? 'paused' : 'idle'
      changed()
      return undefined
    }
    let close
    const t = setTimeout(() => {
      close = openStream(key.split('\n'), applyLive, (s) => {
        store.streamState = s
        changed()
      })
    }, 150)
    return () => {
      clearTimeout(t)
      close?.()
    }
  }, [key])
}

function TokenDialog({ onClose }) {
  const [value, setValue] = useState(token.get())
  return html`
    <div class="backdrop">
      <form class="dialog" role="dialog" aria-modal="true" aria-labelledby="token-title"
        onSubmit=${(e) => {
          e.preventDefault()
          token.set(value.trim())
          onClose()
        }}>
        <h2 id="token-title">Sign in with an API token</h2>
        <p class="muted">This uns-bridge requires a bearer token. It is kept for this browser tab only.</p>
        <label for="token-input">Token</label>
        <input id="token-input" type="password" class="mono" autocomplete="off" value=${value} onInput=${(e) => setValue(e.target.value)} autofocus />
        <div class="actions">
          <button type="button" onClick=${() => (token.set(''), onClose())}>Sign out</button>
          <button type="submit" class="primary">Use token</button>
        </div>
      </form>
    </div>
  `
}

async function exportSubtree(path, format) {
  const filter = path ? `${path}/#` : '#'
  const items = []
  let cursor
  do {
    const page = await getJson(
      `/api/v1/values?limit=1000&filter=${encodeURIComponent(filter)}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
    )
    items.push(...page.items)
    cursor = page.nextCursor
  } while (cursor)
  const name = `values-${fileName(path)}`
  if (format === 'json') return download(`${name}.json`, JSON.stringify(items, null, 2), 'application/json')
  const rows = items.map((v) => [
    v.path,
    v.value,
    v.quality,
    v.timestamp,
    new Date(v.timestamp).toISOString(),
    v.datatype,
    v.source,
    v.lastSeen,
  ])
  download(
    `${name}.csv`,
    toCsv(['path', 'value', 'quality', 'timestamp', 'time', 'datatype', 'source', 'lastSeen'], rows),
    'text/csv',
  )
}

function Header({ health, onToken }) {
  useStore()
  const root = store.nodes.get('')
  const live = store.paused ? 'paused' : store.streamState
  return html`
    <header class="top">
      <div class="brand"><span class="logo" aria-hidden="true">U</span> uns-bridge <span class="muted">explorer</span></div>
      <div class="chips" aria-label="Service status">
        <span class=${`chip ${health?.ready ? 'ok' : 'bad'}`}>${health ? (health.ready ? 'ready' : 'not ready') : '…'}</span>
        <span class="chip">MQTT clients <b class="mono">${health?.mqtt?.clients ?? '—'}</b></span>
        <span class=${`chip ${health?.kafka?.state === 'connected' ? 'ok' : health?.kafka?.state === 'disabled' ? '' : 'bad'}`}>Kafka ${health?.kafka?.state ?? '—'}</span>
        <span class="chip">tags <b class="mono">${root?.leafCount ?? '—'}</b></span>
      </div>
      <span class="spacer"></span>
      <span class=${`chip live ${live}`} role="status" aria-live="polite">${live === 'open' ? '● live' : live}</span>
      <button onClick=${() => {
        store.paused = !store.paused
        changed()
      }} aria-pressed=${store.paused ? 'true' : 'false'}>${store.paused ? 'Resume' : 'Pause'}</button>
      <button onClick=${onToken} title="API token">${store.me?.identity ? store.me.identity : token.get() ? 'Token set' : 'Token'}</button>
      <a class="button" href="/docs" target="_blank" rel="noopener">API docs</a>
    </header>
  `
}

function App() {
  useStore()
  const [route, setRoute] = useState(parseHash())
  const [series, setSeries] = useState([])
  const [query, setQuery] = useState({})
  const [health, setHealth] = useState()
  const [askToken, setAskToken] = useState(false)
  const [now, setNow] = useState(Date.now())
  const [fatal, setFatal] = useState()
  useLiveStream()

  useEffect(() => {
    const onHash = () => setRoute(parseHash())
    addEventListener('hashchange', onHash)
    const off = onAuth((e) => {
      if (e.type === 'unauthorized') setAskToken(true)
      if (e.type === 'token') start()
    })
    const start = async () => {
      try {
        store.me = await whoAmI()
        store.children.clear()
        await loadChildren('')
        const p = parseHash().path
        if (p) await reveal(p)
        setFatal(undefined)
      } catch (err) {
        setFatal(err)
      }
      changed()
    }
    start()
    const tick = setInterval(() => setNow(Date.now()), 1000)
    const poll = async () => setHealth(await getJson('/health/ready').catch((e) => e.problem ?? undefined))
    poll()
    const hp = setInterval(poll, 5000)
    // Counts and lastSeen of folders move on: refresh the loaded levels now and then.
    const rt = setInterval(() => !store.paused && refreshTree(), 15000)
    return () => {
      removeEventListener('hashchange', onHash)
      off()
      clearInterval(tick)
      clearInterval(hp)
      clearInterval(rt)
    }
  }, [])

  useEffect(() => {
    if (route.path && route.path !== store.selected) reveal(route.path)
  }, [route.path])

  const go = (tab) =>
    (location.hash = tab === 'node' && store.selected ? `#/node/${store.selected}` : `#/${tab}`)
  const addToChart = (path) => {
    if (!series.includes(path)) setSeries([...series, path])
    location.hash = '#/chart'
  }
  const subtree = store.selected ?? ''
  const canRead = (tab) =>
    !store.me || tab !== 'registry' || store.me.can?.admin || allowed(store.me.can?.read, '#')
  return html`
    <${Header} health=${health} onToken=${() => setAskToken(true)} />
    <main class="layout">
      <aside class="left" aria-label="Namespace">
        <div class="left-head">
          <h2>Namespace</h2>
          <span class="spacer"></span>
          <div class="export" role="group" aria-label=${`Export current values of ${subtree || 'the whole namespace'}`}>
            <span class="muted">Export values</span>
            <button onClick=${() => exportSubtree(subtree, 'csv')}>CSV</button>
            <button onClick=${() => exportSubtree(subtree, 'json')}>JSON</button>
          </div>
        </div>
        <div class="legend muted">
          <span><span class="q-dot q-good"></span>good</span><span><span class="q-dot q-uncertain"></span>uncertain</span>
          <span><span class="q-dot q-bad"></span>bad</span><span><span class="q-dot q-stale"></span>stale</span>
          <span class="spacer"></span><span>children/tags · last seen</span>
        </div>
        ${fatal ? html`<p class="msg error">${fatal instanceof ApiError && fatal.status === 401 ? 'A token is required.' : fatal.message}</p>` : null}
        <${Tree} now=${now} />
      </aside>
      <section class="right">
        <nav class="tabs" role="tablist" aria-label="Views">
          ${TABS.filter(([t]) => canRead(t)).map(
            ([t, label]) =>
              html`<button role="tab" aria-selected=${route.tab === t ? 'true' : 'false'} onClick=${() => go(t)}>${label}${t === 'chart' && series.length ? ` (${series.length})` : ''}</button>`,
          )}
        </nav>
        <div class="panel" role="tabpanel">
          ${
            route.tab === 'node'
              ? store.selected
                ? html`<${NodeView} path=${store.selected} onChart=${addToChart} />`
                : html`<div class="panel-body"><p class="muted empty-note">Select a node in the tree (arrow keys move, → opens, Enter selects).</p></div>`
              : null
          }
          ${route.tab === 'chart' ? html`<${ChartView} series=${series} setSeries=${setSeries} />` : null}
          ${route.tab === 'search' ? html`<${SearchPanel} query=${query} setQuery=${setQuery} />` : null}
          ${route.tab === 'sparkplug' ? html`<${SparkplugPanel} />` : null}
          ${route.tab === 'dlq' ? html`<${DeadLettersPanel} />` : null}
          ${route.tab === 'registry' ? html`<${RegistryPanel} />` : null}
        </div>
      </section>
    </main>
    ${askToken ? html`<${TokenDialog} onClose=${() => setAskToken(false)} />` : null}
  `
}

const root = document.getElementById('app')
root.textContent = ''
render(html`<${App} />`, root)
