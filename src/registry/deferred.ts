// A registry whose persistent store (the compacted uns.schemas topic) may not be reachable when the
// service starts: until it is, reads and checks are served by a registry with the built-in schemas
// only, and writes are refused with a retriable 503, because a schema registered there would be
// lost when the persistent registry takes over.
import { RegistryStoreUnavailable } from '../errors.js'
import type { Registry } from './registry-types.js'

const WRITES = new Set<keyof Registry>(['register', 'setCompatibility', 'bind', 'unbind'])

export interface DeferredRegistry {
  /** Stable reference: always forwards to the registry in charge. */
  readonly registry: Registry
  /** True once the persistent registry took over. */
  readonly persistent: boolean
  /** Hands over to the persistent registry and closes the interim one. */
  settle(persistent: Registry): Promise<void>
}

export function createDeferredRegistry(interim: Registry, topic: string): DeferredRegistry {
  let current = interim
  let persistent = false
  const registry = new Proxy(interim, {
    get(_target, prop: string | symbol) {
      if (!persistent && WRITES.has(prop as keyof Registry)) {
        return () =>
          Promise.reject(
            new RegistryStoreUnavailable([topic, 'the registry is still being restored from Kafka']),
          )
      }
      const member = (current as unknown as Record<string | symbol, unknown>)[prop]
      return typeof member === 'function' ? (member as (...a: unknown[]) => unknown).bind(current) : member
    },
  })
  return {
    registry,
    get persistent() {
      return persistent
    },
    async settle(next) {
      const previous = current
      current = next
      persistent = true
      await previous.close()
    },
  }
}
