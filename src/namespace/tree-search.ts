import type { FieldClass } from './definition.js'
import { formatModelRef } from './definition.js'
import type { TreeNode } from './tree-node.js'
import { effectiveUnit, isBinding } from './tree-views.js'

export interface SearchQuery {
  /** Case-insensitive text in the path, display name or field description. */
  readonly q?: string | undefined
  /** Exact unit of a tag, e.g. `degC`: declared, or learned from Sparkplug engUnit. */
  readonly unit?: string | undefined
  readonly class?: FieldClass | undefined
  /** ISA-95 level of a declared node, e.g. `line`. */
  readonly level?: string | undefined
  /** 1 to 1000; default 100. */
  readonly limit?: number | undefined
  /** Only paths for which this is true count as hits (what the caller may read); default: all. */
  readonly visible?: ((path: string) => boolean) | undefined
}

export interface SearchHit {
  readonly path: string
  readonly declared: boolean
  readonly level?: string | undefined
  readonly displayName?: string
  readonly model?: string
  readonly unit?: string | undefined
  readonly class?: FieldClass | undefined
  readonly writable?: boolean
  readonly hasValue: boolean
}

/** Depth-first in path order; cheap criteria first, the path is joined only for candidates. */
export function searchTree(root: TreeNode, query: SearchQuery, limit: number): SearchHit[] {
  const hits: SearchHit[] = []
  const q = query.q?.toLowerCase()
  const stack: string[] = []
  const visit = (node: TreeNode): boolean => {
    const def = node.def
    const field = isBinding(def) ? def.field : undefined
    const structural = def !== undefined && !isBinding(def) ? def : undefined
    const unit = effectiveUnit(node)
    const candidate =
      (query.unit === undefined || unit === query.unit) &&
      (query.class === undefined || field?.class === query.class) &&
      (query.level === undefined || structural?.level === query.level)
    if (candidate && stack.length > 0) {
      const path = stack.join('/')
      const text =
        q === undefined ||
        path.toLowerCase().includes(q) ||
        (structural?.displayName?.toLowerCase().includes(q) ?? false) ||
        (field?.description?.toLowerCase().includes(q) ?? false)
      if (text && (query.visible === undefined || query.visible(path))) {
        if (hits.length === limit) return false
        const model = isBinding(def) ? def.model : structural?.model
        hits.push({
          path,
          declared: node.declared,
          ...(structural?.level === undefined ? {} : { level: structural.level }),
          ...(structural?.displayName === undefined ? {} : { displayName: structural.displayName }),
          ...(model === undefined ? {} : { model: formatModelRef(model) }),
          ...(unit === undefined ? {} : { unit }),
          ...(field === undefined ? {} : { class: field.class, writable: field.writable }),
          hasValue: node.value !== undefined,
        })
      }
    }
    if (node.children === undefined) return true
    for (const name of node.sortedChildren()) {
      stack.push(name)
      const go = visit(node.children.get(name) as TreeNode)
      stack.pop()
      if (!go) return false
    }
    return true
  }
  visit(root)
  return hits
}
