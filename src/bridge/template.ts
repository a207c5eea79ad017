// Key and topic templates of the bridge rules, compiled once per rule: `{path}`, `{level:N}` (0-based
// UNS level), `{clientId}`, `{class}`, `{key}`, `{header:NAME}`, `{value:FIELD}` (a field of a JSON
// record value); anything else is literal text.

export interface TemplateContext {
  readonly path?: string
  readonly levels?: readonly string[]
  readonly clientId?: string
  readonly class?: string
  readonly key?: string | null
  readonly headers?: Readonly<Record<string, string>>
  /** Parsed JSON value of a Kafka record (only read when the template uses `{value:...}`). */
  readonly value?: () => unknown
}

/** Renders a template; undefined when a placeholder has no value (the record is not routable). */
export type Template = (ctx: TemplateContext) => string | undefined

const PLACEHOLDER = /\{([a-zA-Z]+)(?::([^}]+))?\}/g
const NAMES = new Set(['path', 'level', 'clientId', 'class', 'key', 'header', 'value'])

/** Compiles `text`; throws with the offending placeholder when it names nothing we know. */
export function compileTemplate(text: string): Template {
  const parts: (string | ((ctx: TemplateContext) => string | undefined))[] = []
  let last = 0
  for (const m of text.matchAll(PLACEHOLDER)) {
    const [whole, name = '', arg] = m
    if (!NAMES.has(name)) throw new Error(`unknown placeholder ${whole} (known: ${[...NAMES].join(', ')})`)
    if ((name === 'level' || name === 'header' || name === 'value') && arg === undefined)
      throw new Error(
        `placeholder {${name}} needs an argument, e.g. {${name}:${name === 'level' ? '1' : 'name'}}`,
      )
    parts.push(text.slice(last, m.index), resolver(name, arg))
    last = (m.index ?? 0) + whole.length
  }
  parts.push(text.slice(last))
  const pieces = parts.filter((p) => p !== '')
  return (ctx) => {
    let out = ''
    for (const p of pieces) {
      const v = typeof p === 'string' ? p : p(ctx)
      if (v === undefined) return undefined
      out += v
    }
    return out
  }
}

function resolver(name: string, arg: string | undefined): (ctx: TemplateContext) => string | undefined {
  switch (name) {
    case 'path':
      return (ctx) => ctx.path
    case 'level': {
      const n = Number(arg)
      if (!Number.isInteger(n) || n < 0) throw new Error(`{level:${arg}} needs a level number from 0`)
      return (ctx) => ctx.levels?.[n]
    }
    case 'clientId':
      return (ctx) => ctx.clientId
    case 'class':
      return (ctx) => ctx.class
    case 'key':
      return (ctx) => ctx.key ?? undefined
    case 'header':
      return (ctx) => ctx.headers?.[arg as string]
    default:
      return (ctx) => {
        const v = ctx.value?.()
        const field =
          v !== null && typeof v === 'object' ? (v as Record<string, unknown>)[arg as string] : undefined
        return typeof field === 'string' || typeof field === 'number' ? String(field) : undefined
      }
  }
}
