import {
  NamespaceDepthInvalid,
  NamespaceNodeNotFound,
  NamespacePathUndeclared,
  type UnsError,
} from '../errors.js'
import type { UnsEvent } from '../uns/index.js'
import type { FieldClass, NamespaceDefinition } from './definition.js'
import { matchesFilter, parseTopicFilter, type TopicFilter } from '../uns/index.js'
import { fail, ok, type Result } from '../uns/index.js'
import { buildDeclared, createInterner, ensurePath, findNode } from './tree-build.js'
import { removeChild, TreeNode } from './tree-node.js'
import { searchTree, type SearchHit, type SearchQuery } from './tree-search.js'
import { collectValues, decodeCursor, type ValuesPage } from './tree-values.js'
import {
  checkLimit,
  isBinding,
  toDefinitionView,
  toTreeEntry,
  toValueView,
  type NodeView,
  type TreeEntry,
  type ValueView,
} from './tree-views.js'
import { parseUnsPath, type UnsPath } from '../uns/index.js'

export interface NamespaceTreeOptions {
  /** `strict`: undeclared paths are rejected; `lenient`: they are added with `declared: false`. */
  readonly mode: 'lenient' | 'strict'
  /** Clock for `lastSeen` (epoch ms). Default `Date.now`. */
  readonly now?: () => number
  /** Called when a subscriber callback throws; the update itself still succeeds. */
  readonly onSubscriberError?: (err: unknown) => void
}

export interface ApplyOutcome {
  /** The path was new (lenient mode). */
  readonly created: boolean
  /** The current value changed (false for historical events and tombstones of absent values). */
  readonly changed: boolean
  /** The declared class of the tag (telemetry, alarm, ...), for routing; undefined when undeclared. */
  readonly class: FieldClass | undefined
}

/** What `subscribe` callbacks receive: one change of a current value. */
export interface ValueChange extends Omit<ValueView, 'lastSeen'> {
  readonly tombstone: boolean
}

export interface TreeStats {
  readonly nodes: number
  readonly values: number
  readonly rejected: number
}

export interface ValuesQuery {
  /** MQTT filter with `+` and `#`. */
  readonly filter: string
  /** 1 to 1000; default 100. */
  readonly limit?: number | undefined
  /** Opaque, from the previous page's `nextCursor`. */
  readonly cursor?: string | undefined
}

export interface NamespaceTree {
  readonly mode: 'lenient' | 'strict'
  /**
   * Hot path: never throws; a rejection carries the coded reason. `path` is `event.path` already parsed
   * (the pipeline parses it once); parsed here when absent.
   */
  apply(event: UnsEvent, path?: UnsPath): Result<ApplyOutcome>
  /** `GET /tree`: the node at `path` ('' = root) with children down to `depth` (1-16, default 1). */
  children(path: string, depth?: number): TreeEntry
  /** `GET /nodes/{path}`; throws UNS_ERR_NAMESPACE_NODE_NOT_FOUND (404). */
  node(path: string): NodeView
  /** `GET /values`; throws coded 400 errors for a bad filter, limit or cursor. */
  values(query: ValuesQuery): ValuesPage
  /** `GET /search`, in path order. */
  search(query: SearchQuery): SearchHit[]
  /** Live changes whose path matches `filter` (for SSE); returns the unsubscribe function. */
  subscribe(filter: string, cb: (change: ValueChange) => void): () => void
  stats(): TreeStats
}

const MAX_DEPTH = 16

/** Builds the live ISA-95 tree; every declared node and model field exists before any data arrives. */
export function createNamespaceTree(
  definition: NamespaceDefinition,
  options: NamespaceTreeOptions,
): NamespaceTree {
  const now = options.now ?? Date.now
  const intern = createInterner()
  const root = new TreeNode('', undefined, true)
  const counts = { nodes: 0, values: 0, rejected: 0 }
  buildDeclared(root, definition, intern, counts)
  const subs = new Set<{ filter: TopicFilter; cb: (c: ValueChange) => void }>()

  const notify = (levels: readonly string[], change: ValueChange): void => {
    for (const s of subs) {
      if (!matchesFilter(s.filter, levels)) continue
      try {
        s.cb(change)
      } catch (err) {
        options.onSubscriberError?.(err)
      }
    }
  }
  const reject = (error: UnsError): Result<ApplyOutcome> => {
    counts.rejected += 1
    return fail(error)
  }
  const lookup = (path: string): TreeNode => {
    const node = path === '' ? root : findNode(root, path.split('/'))
    if (node === undefined) throw new NamespaceNodeNotFound([path], { path })
    return node
  }
  // Undeclared nodes left without value and children disappear, so deleted junk does not pile up.
  const prune = (start: TreeNode): void => {
    let node: TreeNode | undefined = start
    while (
      node?.parent !== undefined &&
      !node.declared &&
      node.value === undefined &&
      node.children === undefined
    ) {
      const parent: TreeNode = node.parent
      removeChild(parent, node)
      counts.nodes -= 1
      node = parent
    }
  }

  return {
    mode: options.mode,
    apply(event, path) {
      let levels: readonly string[]
      if (path === undefined) {
        const parsed = parseUnsPath(event.path)
        if (!parsed.ok) return reject(parsed.error)
        levels = parsed.value.levels
      } else levels = path.levels
      let node = findNode(root, levels)
      if (node === undefined || !node.declared) {
        if (options.mode === 'strict')
          return reject(new NamespacePathUndeclared([event.path], { path: event.path }))
      }
      const tagClass = isBinding(node?.def) ? node.def.field.class : undefined
      // Historical values (Sparkplug is_historical) belong to Kafka, never to the current state.
      if (event.historical === true) return ok({ created: false, changed: false, class: tagClass })
      if (event.tombstone === true) {
        if (node === undefined || node.value === undefined)
          return ok({ created: false, changed: false, class: tagClass })
        node.value = undefined
        node.quality = undefined
        node.staleSince = undefined
        node.datatype = undefined
        counts.values -= 1
        prune(node)
        const { path, timestamp, quality, source } = event
        notify(levels, { path, value: null, timestamp, quality, source, tombstone: true })
        return ok({ created: false, changed: true, class: tagClass })
      }
      const created = node === undefined
      node ??= ensurePath(root, levels, false, intern, counts)
      if (node.value === undefined) counts.values += 1
      const t = now()
      node.value = event.value
      node.timestamp = event.timestamp
      node.quality = event.quality
      node.staleSince = event.staleSince
      node.datatype = event.datatype === undefined ? undefined : intern(event.datatype)
      node.source = intern(event.source)
      // DATA messages carry no properties: a unit once learned stays until another one arrives.
      if (event.unit !== undefined) node.unit = intern(event.unit)
      node.messageCount += 1
      node.lastSeen = t
      // Ancestors' lastSeen is at least their children's: stop at the first one already as recent.
      for (let a = node.parent; a !== undefined && a.lastSeen < t; a = a.parent) a.lastSeen = t
      if (subs.size > 0) {
        const { path, value, timestamp, quality, source, datatype, staleSince } = event
        notify(levels, {
          path,
          value,
          timestamp,
          quality,
          source,
          ...(staleSince === undefined ? {} : { staleSince }),
          ...(datatype === undefined ? {} : { datatype }),
          tombstone: false,
        })
      }
      return ok({ created, changed: true, class: tagClass })
    },
    children(path, depth = 1) {
      if (!Number.isInteger(depth) || depth < 1 || depth > MAX_DEPTH) {
        throw new NamespaceDepthInvalid([depth, MAX_DEPTH], { depth })
      }
      // depth counts levels below `path`; toTreeEntry counts the entry itself as one.
      return toTreeEntry(lookup(path), path, depth + 1)
    },
    node(path) {
      const node = lookup(path)
      return {
        path,
        name: node.name,
        declared: node.declared,
        definition: toDefinitionView(node),
        childCount: node.childCount,
        leafCount: node.leafCount,
        messageCount: node.messageCount,
        ...(node.value === undefined ? {} : { value: toValueView(node, path) }),
      }
    },
    values(query) {
      const filter = parseTopicFilter(query.filter)
      if (!filter.ok) throw filter.error
      const limit = checkLimit(query.limit, 100)
      const cursor = query.cursor === undefined ? undefined : decodeCursor(query.cursor, query.filter)
      return collectValues(root, query.filter, filter.value, limit, cursor)
    },
    search(query) {
      return searchTree(root, query, checkLimit(query.limit, 100))
    },
    subscribe(filter, cb) {
      const parsed = parseTopicFilter(filter)
      if (!parsed.ok) throw parsed.error
      const sub = { filter: parsed.value, cb }
      subs.add(sub)
      return () => {
        subs.delete(sub)
      }
    },
    stats() {
      return { nodes: counts.nodes, values: counts.values, rejected: counts.rejected }
    },
  }
}
