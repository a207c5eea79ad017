import { readFile } from 'node:fs/promises'
import { isMap, isPair, isScalar, isSeq, LineCounter, parseDocument, type Document, type Node } from 'yaml'
import { NamespaceFileUnreadable, NamespaceYamlSyntax, type UnsError, type UnsErrorClass } from '../errors.js'

export type DocKey = string | number

/** One problem found in a namespace file: file, line, path inside the document, reason. */
export interface Problem {
  readonly kind: UnsErrorClass
  readonly file: string
  readonly line?: number
  readonly path: readonly DocKey[]
  readonly reason: string
}

/** A parsed YAML file that can still answer "which line is this path on". */
export interface YamlSource {
  readonly file: string
  readonly data: unknown
  lineOf(path: readonly DocKey[]): number | undefined
}

/** `models.Filler.versions[1].fields.temp`: readable, and stable for tests and docs. */
export function formatDocPath(path: readonly DocKey[]): string {
  if (path.length === 0) return 'document'
  return path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('')
}

export function toError(p: Problem): UnsError {
  const where = p.line === undefined ? p.file : `${p.file}:${p.line}`
  const docPath = formatDocPath(p.path)
  const args = p.kind === NamespaceFileUnreadable ? [p.file, p.reason] : [where, docPath, p.reason]
  return new p.kind(args, {
    file: p.file,
    ...(p.line === undefined ? {} : { line: p.line }),
    path: docPath,
    reason: p.reason,
  })
}

function locate(doc: Document, path: readonly DocKey[]): number | undefined {
  let node: unknown = doc.contents
  let offset: number | undefined = (node as Node | null)?.range?.[0]
  for (const key of path) {
    if (isMap(node)) {
      const pair = node.items.find((p) => isPair(p) && isScalar(p.key) && String(p.key.value) === String(key))
      if (pair === undefined) break
      // The key's line reads best ("line 12: temperature:"), also for values on the next lines.
      offset = (pair.key as Node).range?.[0] ?? offset
      node = pair.value
    } else if (isSeq(node) && typeof key === 'number' && node.items[key] !== undefined) {
      node = node.items[key]
      offset = (node as Node).range?.[0] ?? offset
    } else break
  }
  return offset
}

/** Reads and parses one YAML file; syntax errors come back as problems with the parser's line. */
export async function readYamlSource(file: string): Promise<YamlSource | Problem[]> {
  let text: string
  try {
    text = await readFile(file, 'utf8')
  } catch (err) {
    return [{ kind: NamespaceFileUnreadable, file, path: [], reason: (err as Error).message }]
  }
  const lineCounter = new LineCounter()
  // uniqueKeys (default) makes a repeated key an error instead of a silent overwrite.
  const doc = parseDocument(text, { lineCounter, prettyErrors: true })
  if (doc.errors.length > 0) {
    return doc.errors.map((e) => ({
      kind: NamespaceYamlSyntax,
      file,
      ...(e.linePos === undefined ? {} : { line: e.linePos[0].line }),
      path: [],
      // The parser appends " at line L, column C:" plus a source excerpt; the line is reported separately.
      reason: e.message.split(' at line ')[0] ?? e.message,
    }))
  }
  return {
    file,
    data: doc.toJS({ maxAliasCount: 100 }) ?? {},
    lineOf(path) {
      const offset = locate(doc, path)
      return offset === undefined ? undefined : lineCounter.linePos(offset).line
    },
  }
}
