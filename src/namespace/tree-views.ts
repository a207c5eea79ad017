import { NamespaceLimitInvalid } from '../errors.js'
import type { Quality, UnsValue } from '../uns/index.js'
import { formatModelRef, type FieldClass, type FieldType } from './definition.js'
import type { FieldBinding, TreeNode } from './tree-node.js'

/** One entry of `GET /tree`. */
export interface TreeEntry {
  readonly path: string
  readonly name: string
  readonly declared: boolean
  readonly level?: string
  readonly displayName?: string
  readonly childCount: number
  readonly leafCount: number
  /** Epoch ms of the last message at or below this node; absent when none arrived. */
  readonly lastSeen?: number
  readonly hasValue: boolean
  /** Present while the requested depth is not reached and the node has children. */
  readonly children?: readonly TreeEntry[]
}

/** A current value, as `GET /values` and the live stream return it. */
export interface ValueView {
  readonly path: string
  readonly value: UnsValue
  readonly timestamp: number
  readonly quality: Quality
  /** Since when the value is stale (epoch ms); `timestamp` stays the last sample's. */
  readonly staleSince?: number
  readonly datatype?: string
  readonly source: string
  readonly lastSeen: number
}

/** The definition of a node: from its namespace file (structure) or its model field (tag). */
export interface NodeDefinitionView {
  readonly level?: string
  readonly displayName?: string
  /** `Name@version` of the node's model, or for a tag the model that declares its field. */
  readonly model?: string
  readonly attributes?: Readonly<Record<string, string | number | boolean>>
  readonly field?: string
  readonly type?: FieldType
  readonly unit?: string
  readonly range?: { readonly min?: number; readonly max?: number }
  readonly class?: FieldClass
  readonly writable?: boolean
  readonly description?: string
  readonly enum?: readonly (string | number | boolean)[]
  /** File and line that declared the node. */
  readonly declaredIn?: string
}

/** `GET /nodes/{path}`. */
export interface NodeView {
  readonly path: string
  readonly name: string
  readonly declared: boolean
  readonly definition: NodeDefinitionView
  readonly childCount: number
  readonly leafCount: number
  readonly messageCount: number
  readonly value?: ValueView
}

export const MAX_LIMIT = 1000

export function checkLimit(limit: number | undefined, fallback: number): number {
  const n = limit ?? fallback
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT)
    throw new NamespaceLimitInvalid([limit, MAX_LIMIT], { limit })
  return n
}

export function isBinding(def: TreeNode['def']): def is FieldBinding {
  return def !== undefined && 'kind' in def
}

export function toValueView(node: TreeNode, path: string): ValueView {
  return {
    path,
    value: node.value as UnsValue,
    timestamp: node.timestamp,
    quality: node.quality ?? 'good',
    ...(node.staleSince === undefined ? {} : { staleSince: node.staleSince }),
    ...(node.datatype === undefined ? {} : { datatype: node.datatype }),
    source: node.source ?? '',
    lastSeen: node.lastSeen,
  }
}

/** The unit to show: the declared field's unit wins; else the one learned from data (Sparkplug engUnit). */
export function effectiveUnit(node: TreeNode): string | undefined {
  const def = node.def
  return (isBinding(def) ? def.field.unit : undefined) ?? node.unit
}

export function toDefinitionView(node: TreeNode): NodeDefinitionView {
  const def = node.def
  const unit = effectiveUnit(node)
  if (def === undefined) return unit === undefined ? {} : { unit }
  if (isBinding(def)) {
    const f = def.field
    return {
      model: formatModelRef(def.model),
      field: f.name,
      ...(f.type === undefined ? {} : { type: f.type }),
      ...(unit === undefined ? {} : { unit }),
      ...(f.range === undefined ? {} : { range: f.range }),
      class: f.class,
      writable: f.writable,
      ...(f.description === undefined ? {} : { description: f.description }),
      ...(f.enum === undefined ? {} : { enum: f.enum }),
      declaredIn: `${def.model.source.file}${def.model.source.line === undefined ? '' : `:${def.model.source.line}`}`,
    }
  }
  return {
    ...(def.level === undefined ? {} : { level: def.level }),
    ...(def.displayName === undefined ? {} : { displayName: def.displayName }),
    ...(def.model === undefined ? {} : { model: formatModelRef(def.model) }),
    attributes: def.attributes,
    ...(unit === undefined ? {} : { unit }),
    declaredIn: `${def.source.file}${def.source.line === undefined ? '' : `:${def.source.line}`}`,
  }
}

export function toTreeEntry(node: TreeNode, path: string, depth: number): TreeEntry {
  const def = node.def
  const structural = def !== undefined && !isBinding(def) ? def : undefined
  // Built in place (no spread copies): a depth-2 answer from a site has hundreds of entries.
  const entry: { -readonly [K in keyof TreeEntry]: TreeEntry[K] } = {
    path,
    name: node.name,
    declared: node.declared,
    childCount: node.childCount,
    leafCount: node.leafCount,
    hasValue: node.value !== undefined,
  }
  if (structural?.level !== undefined) entry.level = structural.level
  if (structural?.displayName !== undefined) entry.displayName = structural.displayName
  if (node.lastSeen !== 0) entry.lastSeen = node.lastSeen
  if (depth > 1 && node.children !== undefined) {
    const prefix = path === '' ? '' : `${path}/`
    const names = node.sortedChildren()
    const children: TreeEntry[] = new Array<TreeEntry>(names.length)
    for (let i = 0; i < names.length; i++) {
      const n = names[i] as string
      children[i] = toTreeEntry(node.children.get(n) as TreeNode, prefix + n, depth - 1)
    }
    entry.children = children
  }
  return entry as TreeEntry
}
