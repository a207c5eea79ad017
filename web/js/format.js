// Formatting shared by the panels: values, times, qualities, and MQTT filter matching for permissions.

export function formatValue(value) {
  if (value === undefined) return ''
  if (value === null) return 'null'
  if (typeof value === 'number') {
    if (Number.isInteger(value)) return String(value)
    const abs = Math.abs(value)
    return abs !== 0 && (abs < 0.001 || abs >= 1e9)
      ? value.toExponential(4)
      : String(Number(value.toFixed(4)))
  }
  if (typeof value === 'object') return JSON.stringify(value)
  return String(value)
}

export const pad = (n, w = 2) => String(n).padStart(w, '0')

/** 2026-11-30 08:15:02.123 in local time: what a plant log shows. */
export function formatTime(ms) {
  if (ms === undefined || ms === null) return '—'
  const d = new Date(ms)
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`
}

export function ago(ms, now = Date.now()) {
  if (!ms) return '—'
  const s = Math.max(0, Math.round((now - ms) / 1000))
  if (s < 60) return `${s}s ago`
  if (s < 3600) return `${Math.floor(s / 60)}m ago`
  if (s < 86400) return `${Math.floor(s / 3600)}h ago`
  return `${Math.floor(s / 86400)}d ago`
}

export const QUALITY_LABEL = { good: 'Good', uncertain: 'Uncertain', bad: 'Bad', stale: 'Stale' }

/** MQTT filter match (+ one level, # the rest), as the service applies permissions. */
export function matchesFilter(filter, path) {
  const f = filter.split('/')
  const p = path.split('/')
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true
    if (i >= p.length) return false
    if (f[i] !== '+' && f[i] !== p[i]) return false
  }
  return f.length === p.length
}

export const allowed = (filters, path) => (filters ?? []).some((f) => matchesFilter(f, path))

/** The narrowest MQTT filter that covers every path (for one live stream). */
export function coveringFilter(paths) {
  const list = [...paths].filter((p) => p !== undefined)
  if (list.length === 0) return undefined
  const split = list.map((p) => (p === '' ? [] : p.split('/')))
  const common = []
  for (let i = 0; ; i++) {
    const level = split[0][i]
    if (level === undefined || !split.every((s) => s[i] === level)) break
    common.push(level)
  }
  return common.length === 0 ? '#' : `${common.join('/')}/#`
}

const csvCell = (v) => {
  if (v === undefined || v === null) return ''
  const s = typeof v === 'object' ? JSON.stringify(v) : String(v)
  return /[",\r\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s
}
export const toCsv = (header, rows) =>
  [header, ...rows].map((r) => r.map(csvCell).join(',')).join('\r\n') + '\r\n'

/** A file name part from a path: acme/berlin -> acme_berlin. */
export const fileName = (path) => (path || 'namespace').replace(/[^A-Za-z0-9._-]+/g, '_')
