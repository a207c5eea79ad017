// Abstract test suite for RegistryStore (STYLE.md "Extension points": each interface has a suite that
// runs against every implementation). The lead's Kafka store runs it too, from test/integration.
import assert from 'node:assert/strict'
import { describe, test } from 'node:test'
import type { RegistryRecord, RegistryStore } from '../../src/registry/store.js'

/** One shared log (a Kafka topic, a memory log) that can be opened several times, like several instances. */
export interface StoreBackend {
  open(): Promise<RegistryStore>
  /** Removes the backing log; called once per test. */
  dispose(): Promise<void>
}

const schema = (subject: string, version: number, id: number): RegistryRecord => ({
  type: 'schema',
  subject,
  version,
  id,
  schemaType: 'JSON',
  schema: `{"title":"${subject} v${version}"}`,
  registeredAt: 1_764_072_000_000 + version,
})

// Waits until `cond` holds: stores backed by a broker deliver to subscribers asynchronously.
async function eventually(cond: () => boolean, timeoutMs = 10_000): Promise<void> {
  const start = Date.now()
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time')
    await new Promise((r) => setTimeout(r, 10))
  }
}

export function runRegistryStoreSuite(name: string, makeBackend: () => Promise<StoreBackend>): void {
  describe(`RegistryStore contract: ${name}`, () => {
    const withBackend = (fn: (b: StoreBackend) => Promise<void>) => async () => {
      const backend = await makeBackend()
      try {
        await fn(backend)
      } finally {
        await backend.dispose()
      }
    }

    test(
      'a new log loads no records',
      withBackend(async (b) => {
        const store = await b.open()
        assert.deepEqual(await store.load(), [])
        await store.close()
      }),
    )

    test(
      'appended records of every type load back in append order',
      withBackend(async (b) => {
        const store = await b.open()
        const records: RegistryRecord[] = [
          schema('a', 1, 1),
          { type: 'config', subject: null, compatibility: 'FULL' },
          { type: 'config', subject: 'a', compatibility: 'NONE' },
          { type: 'binding', id: 'topic:x/#', binding: { subject: 'a', policy: 'warn', topicFilter: 'x/#' } },
          schema('a', 2, 2),
          { type: 'binding', id: 'topic:x/#', binding: null },
        ]
        for (const r of records) await store.append(r)
        assert.deepEqual(await store.load(), records)
        await store.close()
      }),
    )

    test(
      'records survive closing the store and are seen by a store opened later on the same log',
      withBackend(async (b) => {
        const first = await b.open()
        await first.append(schema('line', 1, 7))
        await first.close()
        const second = await b.open()
        assert.deepEqual(await second.load(), [schema('line', 1, 7)])
        await second.close()
      }),
    )

    test(
      'a subscriber receives records appended by another handle, and nothing after unsubscribing',
      withBackend(async (b) => {
        const reader = await b.open()
        const writer = await b.open()
        const seen: RegistryRecord[] = []
        const unsubscribe = reader.subscribe((r) => seen.push(r))
        await writer.append(schema('s', 1, 1))
        await eventually(() => seen.length === 1)
        assert.deepEqual(seen, [schema('s', 1, 1)])
        unsubscribe()
        await writer.append(schema('s', 2, 2))
        await new Promise((r) => setTimeout(r, 50))
        assert.equal(seen.length, 1)
        await reader.close()
        await writer.close()
      }),
    )

    test(
      'a record mutated by the caller after append is stored unchanged',
      withBackend(async (b) => {
        const store = await b.open()
        const record: Record<string, unknown> = { ...schema('s', 1, 1) }
        await store.append(record as unknown as RegistryRecord)
        record['subject'] = 'changed'
        const [loaded] = await store.load()
        assert.equal(loaded?.type === 'schema' && loaded.subject, 's')
        await store.close()
      }),
    )

    test(
      'close is idempotent and append after close is refused with a coded error',
      withBackend(async (b) => {
        const store = await b.open()
        await store.close()
        await store.close()
        await assert.rejects(store.append(schema('s', 1, 1)), { code: 'UNS_ERR_REGISTRY_CLOSED' })
      }),
    )
  })
}
