import type { FieldDef, ModelVersion, NamespaceDefinition } from './definition.js'
import { findModelVersion } from './definition.js'
import { addChild, TreeNode, type FieldBinding } from './tree-node.js'

/** Returns one canonical copy of each level name, so 100,000 `temperature` nodes share one string. */
export type Interner = (s: string) => string

export function createInterner(): Interner {
  const table = new Map<string, string>()
  return (s) => {
    const known = table.get(s)
    if (known !== undefined) return known
    // Flatten: a substring from split() may keep its whole parent string alive.
    const flat = s.length > 12 ? (' ' + s).slice(1) : s
    table.set(flat, flat)
    return flat
  }
}

/** Finds or creates the node of `levels`; created nodes carry `declared`. */
export function ensurePath(
  root: TreeNode,
  levels: readonly string[],
  declared: boolean,
  intern: Interner,
  counts: { nodes: number },
): TreeNode {
  let node = root
  for (const level of levels) {
    let child = node.children?.get(level)
    if (child === undefined) {
      child = new TreeNode(intern(level), node, declared)
      addChild(node, child)
      counts.nodes += 1
    }
    node = child
  }
  return node
}

export function findNode(root: TreeNode, levels: readonly string[]): TreeNode | undefined {
  let node: TreeNode | undefined = root
  for (const level of levels) {
    node = node.children?.get(level)
    if (node === undefined) return undefined
  }
  return node
}

/** Creates every declared node and model field, so the tree is browsable before any data arrives. */
export function buildDeclared(
  root: TreeNode,
  def: NamespaceDefinition,
  intern: Interner,
  counts: { nodes: number },
): void {
  const bindings = new Map<FieldDef, FieldBinding>()
  const bind = (model: ModelVersion, field: FieldDef): FieldBinding => {
    let b = bindings.get(field)
    if (b === undefined) {
      b = { kind: 'field', model, field }
      bindings.set(field, b)
    }
    return b
  }
  const expand = (node: TreeNode, model: ModelVersion): void => {
    for (const field of model.fields) {
      const child = ensurePath(node, [field.name], true, intern, counts)
      child.declared = true
      child.def = bind(model, field)
      const sub = field.model === undefined ? undefined : findModelVersion(def, field.model)
      if (sub !== undefined) expand(child, sub)
    }
  }
  for (const nd of def.nodes) {
    const node = ensurePath(root, nd.path.split('/'), true, intern, counts)
    node.declared = true
    node.def = nd
    const model = nd.model === undefined ? undefined : findModelVersion(def, nd.model)
    if (model !== undefined) expand(node, model)
  }
}
