// Builds the HTTP app the way the service does, with a live tree over the demo namespace and inert
// health/metrics dependencies.
import type { FastifyInstance } from 'fastify'
import { Registry } from 'prom-client'
import { buildApi, type StreamOptions } from '../../src/api/index.js'
import { createLogger } from '../../src/logger.js'
import { createNamespaceTree, loadNamespace, type NamespaceTree } from '../../src/namespace/index.js'
import type { UnsEvent } from '../../src/uns/index.js'

const definition = await loadNamespace('namespace')

export const FILLER = 'acme/berlin/packaging/line-1/filler'

export function ev(path: string, value: UnsEvent['value'], extra: Partial<UnsEvent> = {}): UnsEvent {
  return { path, value, timestamp: 1764072000000, quality: 'good', source: 'plc-1', origin: 'test', ...extra }
}

export function demoTree(mode: 'lenient' | 'strict' = 'lenient', now = () => 1764072000500): NamespaceTree {
  return createNamespaceTree(definition, { mode, now })
}

export async function buildTestApi(
  tree: NamespaceTree,
  stream: StreamOptions = { throttleMs: 0 },
): Promise<FastifyInstance> {
  return buildApi({
    logger: createLogger('silent'),
    health: () => ({ ready: true, mqtt: { listening: true, clients: 0 }, kafka: { state: 'disabled' } }),
    metricsRegistry: new Registry(),
    handleMqttStream: () => {},
    tree,
    stream,
  })
}

export function apply(tree: NamespaceTree, event: UnsEvent): void {
  const r = tree.apply(event)
  if (!r.ok) throw r.error
}
