// The explorer's only door to the service. Every request carries `Authorization: Bearer <token>` once
// the user entered one (kept in sessionStorage: gone with the tab). A 401 asks for a token; a 403
// becomes a Forbidden error the panels show as "not permitted" instead of data.

const TOKEN_KEY = 'uns-bridge.token'
const listeners = new Set()

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail ?? `HTTP ${status}`)
    this.status = status
    this.code = problem?.code
    this.problem = problem
  }
}

export const token = {
  get: () => sessionStorage.getItem(TOKEN_KEY) ?? '',
  set(value) {
    if (value) sessionStorage.setItem(TOKEN_KEY, value)
    else sessionStorage.removeItem(TOKEN_KEY)
    for (const l of listeners) l({ type: 'token' })
  },
}

/** Hears 'unauthorized' (a 401: ask for a token) and 'token' (a new one was set). */
export function onAuth(listener) {
  listeners.add(listener)
  return () => listeners.delete(listener)
}

function headers(extra = {}) {
  const t = token.get()
  return t ? { ...extra, authorization: `Bearer ${t}` } : extra
}

export async function request(path, { method = 'GET', body, accept = 'application/json', signal } = {}) {
  const res = await fetch(path, {
    method,
    signal,
    headers: headers({
      accept,
      ...(body === undefined ? {} : { 'content-type': 'application/json' }),
    }),
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  })
  if (res.status === 401) for (const l of listeners) l({ type: 'unauthorized' })
  if (!res.ok) {
    let problem
    try {
      problem = await res.json()
    } catch {
      problem = undefined
    }
    throw new ApiError(res.status, problem)
  }
  return res
}

export const getJson = async (path, opts) => (await request(path, opts)).json()
export const postJson = async (path, body) => (await request(path, { method: 'POST', body })).json()

/** Encodes each level of a UNS path for a URL, keeping the slashes. */
export const pathUrl = (path) => path.split('/').map(encodeURIComponent).join('/')

/**
 * What this identity may do, from `GET /api/v1/me` ({identity, roles, can: {read, write, admin}}).
 * A service without that route (no security configured) allows everything.
 */
export async function whoAmI() {
  try {
    return await getJson('/api/v1/me')
  } catch (err) {
    if (err instanceof ApiError && err.status === 404)
      return { identity: null, roles: [], can: { read: ['#'], write: ['#'], admin: true }, open: true }
    throw err
  }
}

/**
 * Server-Sent Events of changes under `filters` (MQTT filters), read with fetch (EventSource cannot send an
 * Authorization header). Calls
 * `onEvent(json)` per data line and `onState('open'|'closed'|'error')`; returns a close function.
 */
export function openStream(filters, onEvent, onState) {
  const controller = new AbortController()
  let closed = false
  ;(async () => {
    try {
      const query = filters.map((f) => `filter=${encodeURIComponent(f)}`).join('&')
      const res = await request(`/api/v1/stream?${query}`, {
        accept: 'text/event-stream',
        signal: controller.signal,
      })
      onState('open')
      const reader = res.body.pipeThrough(new TextDecoderStream()).getReader()
      let buffer = ''
      for (;;) {
        const { value, done } = await reader.read()
        if (done) break
        buffer += value
        let cut
        while ((cut = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, cut)
          buffer = buffer.slice(cut + 2)
          for (const line of block.split('\n'))
            if (line.startsWith('data: ')) onEvent(JSON.parse(line.slice(6)))
        }
      }
      if (!closed) onState('closed')
    } catch (err) {
      if (!closed) onState('error', err)
    }
  })()
  return () => {
    closed = true
    controller.abort()
  }
}

/** Saves text as a file download. */
export function download(name, text, type) {
  const url = URL.createObjectURL(new Blob([text], { type }))
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.append(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
}
