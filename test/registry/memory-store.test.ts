import { createMemoryStore } from '../../src/registry/index.js'
import { createMemoryLog } from '../../src/registry/memory-store.js'
import { runRegistryStoreSuite } from './abstract-registry-store.js'

runRegistryStoreSuite('memory store', async () => {
  const log = createMemoryLog()
  return {
    open: async () => createMemoryStore({ log }),
    dispose: async () => {
      log.records.length = 0
      log.listeners.clear()
    },
  }
})
