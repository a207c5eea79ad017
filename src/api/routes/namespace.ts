// Browse the live namespace under /api/v1 (PRODUCT.md §6): tree, nodes/{path}, values, search.
// Query errors are coded UnsErrors from the tree (400/404) or from request validation (400); the
// API's one error handler turns them into application/problem+json.
import { Type, type Static } from '@sinclair/typebox'
import type { FastifyPluginAsync } from 'fastify'
// Brings the OpenAPI fields (summary, description, tags) into FastifySchema.
import type {} from '@fastify/swagger'
import { FIELD_CLASSES } from '../../namespace/index.js'
import type { NamespaceTree, TreeEntry, ValueView } from '../../namespace/index.js'
import { toJsonValue } from '../../uns/index.js'
import { visibleTree } from '../read-scope.js'
import { toRequestError } from '../request-error.js'
import {
  Filter,
  Limit,
  MAX_DEPTH,
  NodeOut,
  responses,
  SearchHitOut,
  StringEnum,
  TreeEntryOut,
  ValueOut,
} from './namespace-schemas.js'

export interface NamespaceRoutesOptions {
  readonly tree: NamespaceTree
}

const TreeQuery = Type.Object({
  path: Type.Optional(Type.String({ default: '', description: "Node path; '' (default) is the root" })),
  depth: Type.Optional(
    Type.Integer({ minimum: 1, maximum: MAX_DEPTH, default: 1, description: 'Levels below path' }),
  ),
})
const NodeParams = Type.Object({
  '*': Type.String({ minLength: 1, description: 'Node path, slashes included (acme/berlin/...)' }),
})
const ValuesQuery = Type.Object({
  filter: Filter,
  limit: Limit,
  cursor: Type.Optional(Type.String({ minLength: 1, description: 'nextCursor of the previous page' })),
})
const SearchQuery = Type.Object({
  q: Type.Optional(Type.String({ description: 'Text in the path, display name or description' })),
  unit: Type.Optional(Type.String()),
  class: Type.Optional(StringEnum(FIELD_CLASSES)),
  level: Type.Optional(Type.String({ description: 'ISA-95 level, e.g. line' })),
  limit: Limit,
})

const toValueOut = (v: ValueView) => ({ ...v, value: toJsonValue(v.value, v.datatype) })

export const namespaceRoutes: FastifyPluginAsync<NamespaceRoutesOptions> = async (app, { tree }) => {
  const tags = ['namespace']
  // A shared schema, so the recursive $ref resolves in both the serializer and /openapi.json.
  app.addSchema(TreeEntryOut)
  // Leaves in the answer carry their value, so a browser shows a level in one request. Entries
  // without such a leaf below them are returned as they are (no copy).
  const withValues = (e: TreeEntry): TreeEntry => {
    let children = e.children
    if (children !== undefined) {
      const mapped = children.map(withValues)
      if (mapped.some((c, i) => c !== children?.[i])) children = mapped
    }
    const v = e.hasValue && e.childCount === 0 ? tree.node(e.path).value : undefined
    if (v === undefined && children === e.children) return e
    return {
      ...e,
      ...(children === undefined ? {} : { children }),
      ...(v === undefined
        ? {}
        : {
            value: {
              value: toJsonValue(v.value, v.datatype),
              timestamp: v.timestamp,
              quality: v.quality,
              ...(v.staleSince === undefined ? {} : { staleSince: v.staleSince }),
            },
          }),
    } as TreeEntry
  }

  app.get<{ Querystring: Static<typeof TreeQuery> }>(
    '/tree',
    {
      schemaErrorFormatter: toRequestError,
      schema: {
        summary: 'A node and its children down to depth, with childCount, leafCount and lastSeen',
        tags,
        querystring: TreeQuery,
        response: responses(Type.Ref(TreeEntryOut), 400, 404),
      },
    },
    async (req) => {
      // With security on, levels the caller may not read are left out (access-hook.ts, decision 0041).
      const entry = tree.children(req.query.path ?? '', req.query.depth)
      const scope = req.readScope
      return withValues(scope ? visibleTree(entry, scope) : entry)
    },
  )

  app.get<{ Params: Static<typeof NodeParams> }>(
    '/nodes/*',
    {
      schemaErrorFormatter: toRequestError,
      schema: {
        summary: 'One node: definition (model, unit, range, writable, attributes) and current value',
        tags,
        params: NodeParams,
        response: responses(NodeOut, 400, 404),
      },
    },
    async (req) => {
      const node = tree.node(req.params['*'])
      // A level shown only because it leads to something readable keeps its value to itself.
      const hidden = req.readScope ? !req.readScope.canRead(node.path) : false
      if (node.value === undefined || hidden) return { ...node, value: undefined }
      return { ...node, value: toValueOut(node.value) }
    },
  )

  app.get<{ Querystring: Static<typeof ValuesQuery> }>(
    '/values',
    {
      schemaErrorFormatter: toRequestError,
      schema: {
        summary: 'Current values matching an MQTT filter, in path order, with cursor paging',
        tags,
        querystring: ValuesQuery,
        response: responses(
          Type.Object({
            items: Type.Array(ValueOut),
            nextCursor: Type.Optional(Type.String({ description: 'absent on the last page' })),
          }),
          400,
        ),
      },
    },
    async (req) => {
      const page = tree.values(req.query)
      const items = page.items.map(toValueOut)
      return page.nextCursor === undefined ? { items } : { items, nextCursor: page.nextCursor }
    },
  )

  app.get<{ Querystring: Static<typeof SearchQuery> }>(
    '/search',
    {
      schemaErrorFormatter: toRequestError,
      schema: {
        summary: 'Nodes by text, unit, class or ISA-95 level, in path order',
        tags,
        querystring: SearchQuery,
        response: responses(Type.Object({ items: Type.Array(SearchHitOut) }), 400),
      },
    },
    async (req) => {
      const scope = req.readScope
      return { items: tree.search(scope ? { ...req.query, visible: scope.canRead } : req.query) }
    },
  )
}
