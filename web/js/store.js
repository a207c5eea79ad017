// The explorer's state: the part of the tree loaded so far, what is expanded and selected, the live
// values of what is on screen. Components read it through useStore(); changes are batched into at most
// one render per animation frame, so a busy live stream does not re-render per event.
import { useEffect, useState } from 'preact/hooks'
import { getJson, pathUrl } from './api.js'

const subscribers = new Set()
let scheduled = false

export const store = {
  /** path -> TreeEntry without children ('' is the root). */
  nodes: new Map(),
  /** path -> child paths, once loaded. */
  children: new Map(),
  loading: new Set(),
  expanded: new Set(['']),
  /** How many children of a node are shown (long lists grow on demand). */
  shown: new Map(),
  selected: undefined,
  focused: undefined,
  /** path -> {value, quality, timestamp, at} from the stream (newer than the tree answer). */
  live: new Map(),
  /** Paths whose value changed in the last second (a short highlight). */
  flash: new Map(),
  paused: false,
  streamState: 'idle',
  me: undefined,
  version: 0,
}

export function changed() {
  store.version += 1
  if (scheduled) return
  scheduled = true
  requestAnimationFrame(() => {
    scheduled = false
    for (const s of subscribers) s(store.version)
  })
}

export function useStore() {
  const [, setVersion] = useState(0)
  useEffect(() => {
    subscribers.add(setVersion)
    return () => subscribers.delete(setVersion)
  }, [])
  return store
}

// eslint-disable-next-line @typescript-eslint/no-unused-vars -- dropped on purpose
const strip = ({ children, ...entry }) => entry

/** Loads the children of `path` (one level: lazy, so a tree of 100,000 tags stays fast). */
export async function loadChildren(path) {
  if (store.children.has(path) || store.loading.has(path)) return
  store.loading.add(path)
  changed()
  try {
    const entry = await getJson(`/api/v1/tree?depth=1&path=${encodeURIComponent(path)}`)
    store.nodes.set(path, strip(entry))
    const kids = entry.children ?? []
    for (const c of kids) {
      const known = store.nodes.get(c.path)
      store.nodes.set(c.path, { ...known, ...strip(c) })
    }
    store.children.set(
      path,
      kids.map((c) => c.path),
    )
  } finally {
    store.loading.delete(path)
    changed()
  }
}

/** Reloads every loaded level (counts and lastSeen move on), keeping what is expanded. */
export async function refreshTree() {
  const loaded = [...store.children.keys()].filter((p) => p === '' || store.expanded.has(p))
  for (const p of loaded) store.children.delete(p)
  await Promise.all(loaded.map((p) => loadChildren(p).catch(() => {})))
}

export async function toggle(path, open = !store.expanded.has(path)) {
  if (open) {
    store.expanded.add(path)
    changed()
    await loadChildren(path)
  } else {
    store.expanded.delete(path)
    changed()
  }
}

/** Expands every ancestor of `path` (loading each level) so that it can be shown and focused. */
export async function reveal(path) {
  const levels = path.split('/')
  await loadChildren('')
  for (let i = 1; i < levels.length; i++) {
    const p = levels.slice(0, i).join('/')
    store.expanded.add(p)
    await loadChildren(p)
  }
  store.selected = path
  store.focused = path
  changed()
}

export function select(path) {
  store.selected = path
  store.focused = path
  location.hash = `#/node/${pathUrl(path)}`
  changed()
}

/** Paths of the rows on screen, in order (the ARIA tree's visible items). */
export function visibleRows() {
  const rows = []
  const walk = (path, depth) => {
    const kids = store.children.get(path) ?? []
    const shown = store.shown.get(path) ?? 200
    for (const c of kids.slice(0, shown)) {
      rows.push({ path: c, depth })
      if (store.expanded.has(c)) walk(c, depth + 1)
    }
  }
  walk('', 1)
  return rows
}

/** Applies one stream event. */
export function applyLive(change) {
  if (store.paused) return
  const now = Date.now()
  if (change.tombstone) store.live.set(change.path, { deleted: true, at: now })
  else
    store.live.set(change.path, {
      value: change.value,
      quality: change.quality,
      timestamp: change.timestamp,
      at: now,
    })
  store.flash.set(change.path, now)
  // lastSeen of the row and its ancestors moves with the stream (the service counts it the same way).
  const levels = change.path.split('/')
  for (let i = levels.length; i >= 1; i--) {
    const p = levels.slice(0, i).join('/')
    const node = store.nodes.get(p)
    if (node) store.nodes.set(p, { ...node, lastSeen: now })
  }
  changed()
}

/** The current value of a path as the screen should show it: the stream's, else the tree's. */
export function valueOf(path) {
  const live = store.live.get(path)
  if (live) return live.deleted ? undefined : live
  return store.nodes.get(path)?.value
}
