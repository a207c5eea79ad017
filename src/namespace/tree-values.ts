import { NamespaceCursorInvalid } from '../errors.js'
import type { TopicFilter } from '../uns/index.js'
import type { TreeNode } from './tree-node.js'
import { toValueView, type ValueView } from './tree-views.js'

export interface ValuesPage {
  readonly items: readonly ValueView[]
  /** Pass to the next call for the following page; absent on the last page. */
  readonly nextCursor?: string
}

// The cursor is the last path returned (plus the filter it belongs to). Paging resumes strictly after
// that path in name order, so pages stay stable while values change or nodes are added.
export function encodeCursor(filter: string, lastPath: string): string {
  return Buffer.from(JSON.stringify([filter, lastPath]), 'utf8').toString('base64url')
}

export function decodeCursor(cursor: string, filter: string): string[] {
  let parsed: unknown
  try {
    parsed = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'))
  } catch {
    throw new NamespaceCursorInvalid(['it is not a cursor returned by this API'], { cursor })
  }
  if (!Array.isArray(parsed) || parsed.length !== 2 || typeof parsed[1] !== 'string' || parsed[1] === '') {
    throw new NamespaceCursorInvalid(['it is not a cursor returned by this API'], { cursor })
  }
  if (parsed[0] !== filter) {
    throw new NamespaceCursorInvalid([`it belongs to the filter ${JSON.stringify(parsed[0])}`], { cursor })
  }
  return parsed[1].split('/')
}

/**
 * Current values matching `filter`, in path order, after the cursor path. Walks only the branches the
 * filter allows (a literal level is one Map lookup), so a narrow filter costs O(result), not O(tree).
 */
export function collectValues(
  root: TreeNode,
  filterText: string,
  filter: TopicFilter,
  limit: number,
  cursor: string[] | undefined,
): ValuesPage {
  const items: ValueView[] = []
  const stack: string[] = []
  let more = false

  // Returns false once the page is full and one more match proved there is a next page.
  const emit = (node: TreeNode): boolean => {
    if (items.length === limit) {
      more = true
      return false
    }
    items.push(toValueView(node, stack.join('/')))
    return true
  }
  // Whether `node` at depth d itself matches: exact length, or the parent level of a trailing `#`.
  const selfMatches = (d: number): boolean =>
    d > 0 && (d === filter.length || (d === filter.length - 1 && filter[d] === '#'))

  // `onCursor`: this node's path equals the first d levels of the cursor path.
  const walk = (node: TreeNode, d: number, onCursor: boolean, all: boolean): boolean => {
    const isCursorNode = onCursor && cursor !== undefined && d === cursor.length
    if (!isCursorNode && node.value !== undefined && (all ? d > 0 : selfMatches(d)) && !emit(node))
      return false
    if (node.children === undefined) return true
    const seg = all ? '#' : filter[d]
    if (seg === undefined) return true
    const after = onCursor && cursor !== undefined && d < cursor.length ? (cursor[d] as string) : undefined
    if (seg !== '+' && seg !== '#') {
      const child = node.children.get(seg)
      if (child === undefined || (after !== undefined && seg < after)) return true
      stack.push(seg)
      const go = walk(child, d + 1, after !== undefined && seg === after, false)
      stack.pop()
      return go
    }
    for (const name of node.sortedChildren()) {
      if (after !== undefined && name < after) continue
      stack.push(name)
      const go = walk(
        node.children.get(name) as TreeNode,
        d + 1,
        after !== undefined && name === after,
        seg === '#',
      )
      stack.pop()
      if (!go) return false
    }
    return true
  }
  walk(root, 0, cursor !== undefined, false)
  const last = items[items.length - 1]
  return more && last !== undefined ? { items, nextCursor: encodeCursor(filterText, last.path) } : { items }
}
