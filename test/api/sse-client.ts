// A minimal Server-Sent Events reader over fetch, for tests against a listening server.
export interface SseClient {
  readonly status: number
  readonly contentType: string | null
  /** Parsed `data:` payloads, in arrival order. */
  readonly events: Record<string, unknown>[]
  /** Comment lines (`: ...`) without the colon. */
  readonly comments: string[]
  /** Resolves once `predicate` holds, rejects after `timeoutMs`. */
  until(predicate: () => boolean, timeoutMs?: number): Promise<void>
  /** Resolves when the server ends the stream. */
  readonly ended: Promise<void>
  close(): void
}

export async function openSse(url: string): Promise<SseClient> {
  const abort = new AbortController()
  const res = await fetch(url, { signal: abort.signal, headers: { accept: 'text/event-stream' } })
  const events: Record<string, unknown>[] = []
  const comments: string[] = []
  const waiters = new Set<() => void>()
  const wake = () => {
    for (const w of waiters) w()
  }
  const ended = (async () => {
    if (res.body === null) return
    const decoder = new TextDecoder()
    let buffer = ''
    try {
      for await (const chunk of res.body) {
        buffer += decoder.decode(chunk as Uint8Array, { stream: true })
        let end: number
        while ((end = buffer.indexOf('\n\n')) !== -1) {
          for (const line of buffer.slice(0, end).split('\n')) {
            if (line.startsWith('data: ')) events.push(JSON.parse(line.slice(6)) as Record<string, unknown>)
            else if (line.startsWith(':')) comments.push(line.slice(1).trim())
          }
          buffer = buffer.slice(end + 2)
        }
        wake()
      }
    } catch (err) {
      if (!abort.signal.aborted) throw err
    }
    wake()
  })()
  return {
    status: res.status,
    contentType: res.headers.get('content-type'),
    events,
    comments,
    ended,
    until(predicate, timeoutMs = 2000) {
      if (predicate()) return Promise.resolve()
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(check)
          reject(new Error(`timed out; events so far: ${JSON.stringify(events)}`))
        }, timeoutMs)
        const check = () => {
          if (!predicate()) return
          clearTimeout(timer)
          waiters.delete(check)
          resolve()
        }
        waiters.add(check)
      })
    },
    close() {
      abort.abort()
    },
  }
}
