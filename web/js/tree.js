// The ISA-95 tree, as a WAI-ARIA tree view (https://www.w3.org/WAI/ARIA/apg/patterns/treeview/):
// one tab stop (roving tabindex), arrows move and open/close, Home/End jump, Enter/Space select,
// `*` opens the siblings. Children load per expand; a level with thousands of children shows them
// 200 at a time.
import { html } from './html.js'
import { useEffect, useRef } from 'preact/hooks'
import { ago, formatValue } from './format.js'
import { changed, select, store, toggle, useStore, valueOf, visibleRows } from './store.js'

const PAGE = 200

function Row({ path, depth, posinset, setsize, now }) {
  const node = store.nodes.get(path)
  if (!node) return null
  const isLeaf = node.childCount === 0
  const open = store.expanded.has(path)
  const v = valueOf(path)
  const flash = (store.flash.get(path) ?? 0) > Date.now() - 600
  const quality = v?.quality
  const focused = store.focused === path || (store.focused === undefined && depth === 1 && posinset === 1)
  return html`
    <li
      role="treeitem"
      id=${`t-${path}`}
      data-path=${path}
      aria-level=${depth}
      aria-setsize=${setsize}
      aria-posinset=${posinset}
      aria-selected=${store.selected === path ? 'true' : 'false'}
      aria-expanded=${isLeaf ? undefined : open ? 'true' : 'false'}
      aria-label=${`${node.displayName ?? node.name}${node.level ? `, ${node.level}` : ''}${isLeaf ? '' : `, ${node.leafCount} tags`}${v ? `, value ${formatValue(v.value)}, ${quality}` : ''}${node.declared ? '' : ', undeclared'}`}
      tabindex=${focused ? 0 : -1}
      class=${`row ${store.selected === path ? 'selected' : ''} ${node.declared ? '' : 'undeclared'}`}
      onClick=${(e) => {
        e.stopPropagation()
        store.focused = path
        select(path)
        if (!isLeaf && !open) toggle(path, true)
      }}
    >
      <div class="row-line" style=${`padding-left:${(depth - 1) * 16 + 4}px`}>
        <span
          class=${`twisty ${isLeaf ? 'leaf' : open ? 'open' : ''}`}
          aria-hidden="true"
          onClick=${(e) => {
            e.stopPropagation()
            if (!isLeaf) toggle(path)
          }}
        ></span>
        <span class=${`q-dot q-${quality ?? (isLeaf ? 'none' : 'folder')}`} title=${quality ?? ''}></span>
        <span class="name mono">${node.name}</span>
        ${
          node.displayName && node.displayName !== node.name
            ? html`<span class="display">${node.displayName}</span>`
            : null
        }
        ${node.level ? html`<span class="level">${node.level}</span>` : null}
        ${node.declared ? null : html`<span class="badge warn" title="Created by data in lenient mode; not in the namespace files">undeclared</span>`}
        <span class="spacer"></span>
        ${
          isLeaf
            ? html`<span class=${`value mono ${flash ? 'flash' : ''} ${v ? `q-${quality}` : 'empty'}`}
              >${v ? formatValue(v.value) : '—'}</span
            >`
            : html`<span class="counts" title=${`${node.childCount} children, ${node.leafCount} tags below`}
              >${node.childCount}<span class="sep">/</span>${node.leafCount}</span
            >`
        }
        <span class="seen" title=${node.lastSeen ? new Date(node.lastSeen).toISOString() : 'no data yet'}
          >${ago(node.lastSeen, now)}</span
        >
      </div>
      ${open && !isLeaf ? html`<${Children} path=${path} depth=${depth + 1} now=${now} />` : null}
    </li>
  `
}

function Children({ path, depth, now }) {
  const kids = store.children.get(path)
  if (kids === undefined)
    return html`<ul role="group"><li class="loading" role="none" style=${`padding-left:${depth * 16}px`}>Loading…</li></ul>`
  const shown = store.shown.get(path) ?? PAGE
  return html`
    <ul role=${path === '' ? 'presentation' : 'group'}>
      ${kids
        .slice(0, shown)
        .map(
          (c, i) =>
            html`<${Row} key=${c} path=${c} depth=${depth} posinset=${i + 1} setsize=${kids.length} now=${now} />`,
        )}
      ${
        kids.length > shown
          ? html`<li role="none" class="more" style=${`padding-left:${depth * 16}px`}>
            <button
              class="link"
              onClick=${() => {
                store.shown.set(path, shown + PAGE)
                changed()
              }}
            >
              Show ${Math.min(PAGE, kids.length - shown)} more of ${kids.length - shown}
            </button>
          </li>`
          : null
      }
    </ul>
  `
}

function onKey(e) {
  const rows = visibleRows()
  if (rows.length === 0) return
  const i = Math.max(
    0,
    rows.findIndex((r) => r.path === store.focused),
  )
  const row = rows[i]
  const node = store.nodes.get(row.path)
  const isLeaf = !node || node.childCount === 0
  const focus = (p) => {
    store.focused = p
    changed()
  }
  const parentOf = (p) => p.split('/').slice(0, -1).join('/')
  switch (e.key) {
    case 'ArrowDown':
      if (i < rows.length - 1) focus(rows[i + 1].path)
      break
    case 'ArrowUp':
      if (i > 0) focus(rows[i - 1].path)
      break
    case 'ArrowRight':
      if (isLeaf) break
      if (!store.expanded.has(row.path)) toggle(row.path, true)
      else if (rows[i + 1]?.depth > row.depth) focus(rows[i + 1].path)
      break
    case 'ArrowLeft':
      if (!isLeaf && store.expanded.has(row.path)) toggle(row.path, false)
      else if (row.depth > 1) focus(parentOf(row.path))
      break
    case 'Home':
      focus(rows[0].path)
      break
    case 'End':
      focus(rows[rows.length - 1].path)
      break
    case 'Enter':
    case ' ':
      select(row.path)
      if (!isLeaf && e.key === 'Enter') toggle(row.path)
      break
    case '*': {
      const parent = parentOf(row.path)
      for (const sib of store.children.get(parent) ?? [])
        if (store.nodes.get(sib)?.childCount) toggle(sib, true)
      break
    }
    default:
      return
  }
  e.preventDefault()
}

export function Tree({ now }) {
  useStore()
  const ref = useRef()
  // Keeps DOM focus on the focused row while the user navigates with the keyboard.
  useEffect(() => {
    const el = ref.current
    if (!el || !el.contains(document.activeElement)) return
    const target = el.querySelector(`[data-path="${CSS.escape(store.focused ?? '')}"]`)
    if (target && target !== document.activeElement) {
      target.focus({ preventScroll: true })
      target.querySelector('.row-line')?.scrollIntoView({ block: 'nearest' })
    }
  })
  return html`
    <div class="tree-wrap">
      <ul role="tree" aria-label="ISA-95 namespace" class="tree" ref=${ref} onKeyDown=${onKey}>
        ${
          (store.children.get('') ?? []).length === 0 && !store.loading.has('')
            ? html`<li role="none" class="empty-note">The namespace is empty.</li>`
            : null
        }
        ${(() => {
          const kids = store.children.get('') ?? []
          return kids.map(
            (c, i) =>
              html`<${Row} key=${c} path=${c} depth=${1} posinset=${i + 1} setsize=${kids.length} now=${now} />`,
          )
        })()}
      </ul>
    </div>
  `
}
