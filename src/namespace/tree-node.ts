import type { Quality, UnsValue } from '../uns/index.js'
import type { FieldDef, ModelVersion, NodeDef } from './definition.js'

/** A declared tag: one field of one model version. One object per field, shared by every node using it. */
export interface FieldBinding {
  readonly kind: 'field'
  readonly model: ModelVersion
  readonly field: FieldDef
}

/**
 * One node of the live tree. Sized for 100,000+ tags (< 1 KB each): fixed shape (all fields set in the
 * constructor), no Map until a node gets children, definitions shared by reference, names interned,
 * and no full path stored (queries rebuild it from the levels they walk).
 */
export class TreeNode {
  readonly name: string
  parent: TreeNode | undefined
  children: Map<string, TreeNode> | undefined = undefined
  /** Children names sorted, rebuilt lazily after an insert or delete (queries page in this order). */
  sortedNames: string[] | undefined = undefined
  def: NodeDef | FieldBinding | undefined = undefined
  declared: boolean
  /** `undefined` = no current value (never received, or deleted by a tombstone). */
  value: UnsValue | undefined = undefined
  timestamp = 0
  quality: Quality | undefined = undefined
  /** Since when the value is stale (epoch ms), from the event; undefined while it is live. */
  staleSince: number | undefined = undefined
  datatype: string | undefined = undefined
  source: string | undefined = undefined
  /** Unit learned from the data (Sparkplug engUnit); kept when later messages carry none. Interned. */
  unit: string | undefined = undefined
  /** Receive time of the last message here, or for a parent anywhere below it (epoch ms, 0 = never). */
  lastSeen = 0
  messageCount = 0
  /** Nodes without children below this one; kept incrementally, O(depth) per insert or delete. */
  leafCount = 0

  constructor(name: string, parent: TreeNode | undefined, declared: boolean) {
    this.name = name
    this.parent = parent
    this.declared = declared
  }

  get childCount(): number {
    return this.children?.size ?? 0
  }

  /** Children in name order; the cache makes repeated paging O(page), not O(n log n). */
  sortedChildren(): string[] {
    if (this.children === undefined) return []
    this.sortedNames ??= [...this.children.keys()].sort()
    return this.sortedNames
  }
}

/** Adds a new leaf below `parent` and updates childCount/leafCount of every ancestor. */
export function addChild(parent: TreeNode, child: TreeNode): void {
  const wasLeaf = parent.children === undefined || parent.children.size === 0
  parent.children ??= new Map()
  parent.children.set(child.name, child)
  parent.sortedNames = undefined
  parent.leafCount += 1
  // When the parent was a leaf itself, the ancestors trade that leaf for the new one: no change.
  if (wasLeaf) return
  for (let a = parent.parent; a !== undefined; a = a.parent) a.leafCount += 1
}

/** Removes a leaf; the inverse of addChild. */
export function removeChild(parent: TreeNode, child: TreeNode): void {
  if (parent.children?.delete(child.name) !== true) return
  parent.sortedNames = undefined
  parent.leafCount -= 1
  if (parent.children.size === 0) {
    parent.children = undefined
    return
  }
  for (let a = parent.parent; a !== undefined; a = a.parent) a.leafCount -= 1
}
