import { NamespaceLimitInvalid } from '../errors.js'
import type { Quality, UnsValue } from '../uns-event.js'
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
  const entry: TreeEntry = {
    path,
    name: node.name,
    declared: node.declared,
    ...(structural?.level === undefined ? {} : { level: structural.level }),
    ...(structural?.displayName === undefined ? {} : { displayName: structural.displayName }),
    childCount: node.childCount,
    leafCount: node.leafCount,
    ...(node.lastSeen === 0 ? {} : { lastSeen: node.lastSeen }),
    hasValue: node.value !== undefined,
  }
  if (depth <= 1 || node.children === undefined) return entry
  const children = node.sortedChildren().map((n) => {
    const child = node.children?.get(n) as TreeNode
    return toTreeEntry(child, path === '' ? n : `${path}/${n}`, depth - 1)
  })
  return { ...entry, children }
}
