// Summary of a V8 .cpuprofile (node --cpu-prof): self time per function and per package/stage, so the
// bench can say where the service's time goes under load.
import { readFileSync } from 'node:fs'

interface ProfileNode {
  readonly id: number
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number }
  readonly hitCount?: number
  readonly children?: number[]
}
interface Profile {
  readonly nodes: ProfileNode[]
  readonly startTime: number
  readonly endTime: number
  readonly samples: number[]
}

export interface ProfileSummary {
  readonly totalMs: number
  readonly idleMs: number
  readonly frames: { name: string; where: string; ms: number; share: number }[]
  readonly groups: { group: string; ms: number; share: number }[]
  /** Self time of node internals and V8 builtins charged to the nearest package or stage that called them. */
  readonly attributed: { group: string; ms: number; share: number }[]
}

/** Where a frame belongs: an npm package, a src/ stage, node internals, or V8 pseudo-frames. */
export function groupOf(url: string, fn: string): string {
  if (url === '') return fn || '(anonymous)'
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(url)
  if (pkg?.[1]) return pkg[1]
  const src = /\/src\/([^/]+)(\/|\.ts)/.exec(url)
  if (src?.[1]) return `src/${src[1]}`
  if (url.startsWith('node:')) return 'node internals'
  return url.split('/').slice(-2).join('/')
}

export function summariseProfile(file: string, top = 15): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as Profile
  const totalMs = (p.endTime - p.startTime) / 1000
  const samples = p.samples.length
  const msPerSample = samples > 0 ? totalMs / samples : 0
  const byFrame = new Map<string, { name: string; where: string; ms: number }>()
  const byGroup = new Map<string, number>()
  const byOwner = new Map<string, number>()
  const parent = new Map<number, ProfileNode>()
  for (const n of p.nodes) {
    for (const c of n.children ?? []) parent.set(c, n)
  }
  // The nearest package or stage on the stack owns the time of the builtins it called; kafkajs is split
  // into its producer and its consumer (the service follows its own state topic).
  const owner = (n: ProfileNode): string => {
    for (let cur: ProfileNode | undefined = n; cur; cur = parent.get(cur.id)) {
      const g = groupOf(cur.callFrame.url, cur.callFrame.functionName)
      if (g === 'node internals' || cur.callFrame.url === '') continue
      if (g !== 'kafkajs') return g
      const stack: string[] = []
      for (let k: ProfileNode | undefined = cur; k; k = parent.get(k.id)) stack.push(k.callFrame.url)
      const text = stack.join(' ')
      if (/kafkajs\/src\/consumer|requests\/fetch|record\/v0\/decoder/.test(text)) return 'kafkajs consumer'
      if (/kafkajs\/src\/producer|requests\/produce|recordBatch/.test(text)) return 'kafkajs producer'
      return 'kafkajs (network, other)'
    }
    return groupOf(n.callFrame.url, n.callFrame.functionName)
  }
  let idleMs = 0
  for (const n of p.nodes) {
    const ms = (n.hitCount ?? 0) * msPerSample
    if (ms === 0) continue
    const { functionName, url, lineNumber } = n.callFrame
    if (functionName === '(idle)') {
      idleMs += ms
      continue
    }
    const where = url ? `${url.replace(/^.*?(node_modules|src)\//, '$1/')}:${lineNumber + 1}` : ''
    const key = `${functionName}@${where}`
    const f = byFrame.get(key) ?? { name: functionName || '(anonymous)', where, ms: 0 }
    f.ms += ms
    byFrame.set(key, f)
    const plain = groupOf(url, functionName)
    const g = plain === 'kafkajs' ? owner(n) : plain
    byGroup.set(g, (byGroup.get(g) ?? 0) + ms)
    const o = owner(n)
    byOwner.set(o, (byOwner.get(o) ?? 0) + ms)
  }
  const busy = totalMs - idleMs
  return {
    totalMs,
    idleMs,
    frames: [...byFrame.values()]
      .sort((a, b) => b.ms - a.ms)
      .slice(0, top)
      .map((f) => ({ ...f, share: f.ms / busy })),
    groups: [...byGroup]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([group, ms]) => ({ group, ms, share: ms / busy })),
    attributed: [...byOwner]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([group, ms]) => ({ group, ms, share: ms / busy })),
  }
}
