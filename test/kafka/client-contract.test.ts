// The KafkaClient contract, run against every client behind the adapter with the same cases and a
// real Kafka (STYLE.md: an abstract suite per interface). A client that fails here cannot be chosen
// with kafka.client. Records are read back with a plain kafkajs consumer where the test is about what
// lands in Kafka, and through the client under test where it is about consuming.
import assert from 'node:assert/strict'
import { spawn } from 'node:child_process'
import { mkdtempSync, rmSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { after, describe, it } from 'node:test'
import { Kafka, logLevel, Partitioners } from 'kafkajs'
import {
  createKafkaClient,
  type ConsumedRecord,
  type KafkaClient,
  type KafkaClientConfig,
  type KafkaRecord,
} from '../../src/kafka/kafka-client.js'
import { UnsError } from '../../src/errors.js'
import { createLogger } from '../../src/logger.js'
import { freePort, startKafka, type LocalKafka } from '../../scripts/local-kafka.js'
import { readTopic, testBrokers, uniqueName } from '../helpers/kafka.js'
import { eventually } from '../helpers/service.js'

const logger = createLogger('silent')
const CLIENTS = ['kafkajs', 'platformatic'] as const
const fixture = fileURLToPath(new URL('./fixtures/close-exits.ts', import.meta.url))

const kafkaAdmin = () =>
  new Kafka({ brokers: [testBrokers()], clientId: 'contract-admin', logLevel: logLevel.NOTHING }).admin()

for (const kind of CLIENTS) {
  describe(`KafkaClient contract: ${kind}`, () => {
    const open: KafkaClient[] = []
    const newClient = (extra: Partial<KafkaClientConfig> = {}): KafkaClient => {
      const client = createKafkaClient(
        {
          client: kind,
          brokers: [testBrokers()],
          clientId: uniqueName(`contract-${kind}`),
          connectTimeoutMs: 3000,
          requestTimeoutMs: 10000,
          ssl: false,
          ...extra,
        },
        logger,
      )
      open.push(client)
      return client
    }
    after(() => Promise.all(open.map((c) => c.close())))

    it('round-trips a record with its key and headers, and a tombstone with a null value', async () => {
      const client = newClient()
      const topic = uniqueName('contract.roundtrip')
      await client.ensureTopics([{ topic, partitions: 1 }])
      await client.connectProducer()
      await client.send([
        {
          topic,
          key: 'plant/line-1/temp',
          value: Buffer.from('{"value":21.5}'),
          headers: { 'content-type': 'application/json', source: 'édge-1' },
        },
        { topic, key: 'plant/line-1/temp', value: null, headers: {} },
      ])
      const got: ConsumedRecord[] = []
      const consumer = await client.consume({
        groupId: uniqueName('contract-rt'),
        topics: [topic],
        fromBeginning: true,
        eachRecord: async (r) => void got.push(r),
        onCrash: () => {},
      })
      await eventually(() => (got.length >= 2 ? true : undefined), 30000)
      await consumer.stop()
      const [first, second] = got
      assert.equal(first?.key, 'plant/line-1/temp')
      assert.equal(first?.value?.toString(), '{"value":21.5}')
      assert.deepEqual(first?.headers, { 'content-type': 'application/json', source: 'édge-1' })
      assert.equal(first?.partition, 0)
      assert.equal(first?.offset, '0')
      assert.ok(Math.abs((first?.timestamp ?? 0) - Date.now()) < 60_000, 'timestamp is the produce time')
      assert.equal(second?.key, 'plant/line-1/temp')
      assert.equal(second?.value, null, 'a tombstone keeps its null value')
      assert.deepEqual(second?.headers, {})
    })

    it('keeps per-key order over 10,000 records with several idempotent sends in flight, each key on the Java partition', async () => {
      const client = newClient({ idempotent: true })
      const topic = uniqueName('contract.order')
      await client.ensureTopics([{ topic, partitions: 3 }])
      await client.connectProducer()
      const KEYS = 50
      const BATCH = 500
      const TOTAL = 10_000
      const batches: KafkaRecord[][] = []
      for (let start = 0; start < TOTAL; start += BATCH) {
        batches.push(
          Array.from({ length: BATCH }, (_, j) => {
            const i = start + j
            return {
              topic,
              key: `site/area/line/k${i % KEYS}`,
              value: Buffer.from(JSON.stringify({ seq: Math.floor(i / KEYS) })),
              headers: { 'mqtt-qos': '1' },
            }
          }),
        )
      }
      // Four senders call send() without waiting for each other: the calls overlap.
      let next = 0
      const sender = async (): Promise<void> => {
        while (next < batches.length) await client.send(batches[next++] as KafkaRecord[])
      }
      await Promise.all([sender(), sender(), sender(), sender()])

      const records = await readTopic(topic, TOTAL, 60000)
      assert.equal(records.length, TOTAL, 'every record once')
      const partitioner = Partitioners.DefaultPartitioner()
      const partitionMetadata = [0, 1, 2].map((partitionId) => ({
        partitionId,
        leader: 0,
        partitionErrorCode: 0,
        replicas: [0],
        isr: [0],
      }))
      const seqs = new Map<string, number[]>()
      for (const r of records) {
        const key = r.key ?? ''
        seqs.set(key, [
          ...(seqs.get(key) ?? []),
          (JSON.parse(r.value?.toString() ?? '{}') as { seq: number }).seq,
        ])
        assert.equal(
          r.partition,
          partitioner({ topic, partitionMetadata, message: { key, value: null } }),
          `${key} is on the partition the Java client (kafkajs DefaultPartitioner) picks`,
        )
      }
      assert.equal(seqs.size, KEYS)
      for (const [key, list] of seqs) {
        assert.deepEqual(
          list,
          Array.from({ length: TOTAL / KEYS }, (_, i) => i),
          `${key} in order`,
        )
      }
    })

    it('commits an offset only after eachRecord resolved: a failed record comes again, and a restarted member resumes after the last handled record', async () => {
      const client = newClient()
      const topic = uniqueName('contract.commit')
      const groupId = uniqueName('contract-commit')
      await client.ensureTopics([{ topic, partitions: 1 }])
      await client.connectProducer()
      const record = (i: number): KafkaRecord => ({
        topic,
        key: `r${i}`,
        value: Buffer.from(String(i)),
        headers: {},
      })
      await client.send(Array.from({ length: 10 }, (_, i) => record(i)))

      const seen: string[] = []
      let failed = false
      const first = await client.consume({
        groupId,
        topics: [topic],
        fromBeginning: true,
        eachRecord: async (r) => {
          seen.push(r.offset)
          if (r.offset === '5' && !failed) {
            failed = true
            throw new Error('handler failed once')
          }
        },
        onCrash: () => {},
      })
      await eventually(() => (seen.includes('9') ? true : undefined), 60000)
      await first.stop()
      assert.equal(seen.filter((o) => o === '5').length, 2, 'the record whose handler failed came again')
      assert.deepEqual([...new Set(seen)], ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'], 'in order')

      await client.send([record(10)])
      const again: string[] = []
      const second = await client.consume({
        groupId,
        topics: [topic],
        fromBeginning: true,
        eachRecord: async (r) => void again.push(r.offset),
        onCrash: () => {},
      })
      await eventually(() => (again.length > 0 ? true : undefined), 60000)
      await second.stop()
      assert.deepEqual(again, ['10'], 'the group resumes after the last handled record')
    })

    it('tails a compacted topic to its end, then follows it', async () => {
      const client = newClient()
      const topic = uniqueName('contract.tail')
      const empty = uniqueName('contract.tail-empty')
      await client.ensureTopics([
        { topic, partitions: 2, compacted: true },
        { topic: empty, partitions: 2, compacted: true },
      ])
      await client.connectProducer()
      const records = Array.from({ length: 100 }, (_, i) => ({
        topic,
        key: `state/k${i % 50}`,
        value: Buffer.from(String(i)),
        headers: {},
      }))
      await client.send(records)

      const emptyTail = await client.tail({
        groupId: uniqueName('contract-tail-empty'),
        topic: empty,
        eachRecord: () => {},
        onCrash: () => {},
      })
      await emptyTail.caughtUp(15000)
      await emptyTail.stop()

      const seen: ConsumedRecord[] = []
      const tail = await client.tail({
        groupId: uniqueName('contract-tail'),
        topic,
        eachRecord: (r) => void seen.push(r),
        onCrash: () => {},
      })
      await tail.caughtUp(30000)
      assert.equal(
        seen.length,
        100,
        'everything written before caughtUp was called is there when it resolves',
      )
      await client.send([{ topic, key: 'state/k1', value: Buffer.from('later'), headers: {} }])
      await eventually(() => (seen.length === 101 ? true : undefined), 30000)
      assert.equal(seen.at(-1)?.value?.toString(), 'later', 'then it follows the topic')
      await tail.stop()
    })

    it('creates missing topics with their partitions, compacted where asked, and says which are missing', async () => {
      const client = newClient()
      const compacted = uniqueName('contract.compacted')
      const plain = uniqueName('contract.plain')
      assert.deepEqual(await client.missingTopics([compacted, plain]), [compacted, plain])
      await client.ensureTopics([{ topic: compacted, partitions: 2, compacted: true }, { topic: plain }])
      assert.deepEqual(await client.missingTopics([compacted, plain]), [])
      await client.ensureTopics([{ topic: compacted, compacted: true }]) // existing: nothing to do

      const admin = kafkaAdmin()
      await admin.connect()
      try {
        const md = await admin.fetchTopicMetadata({ topics: [compacted, plain] })
        const partitions = (t: string) => md.topics.find((x) => x.name === t)?.partitions.length
        assert.equal(partitions(compacted), 2)
        assert.equal(partitions(plain), 1, 'the broker default (num.partitions) when none is given')
        const configs = await admin.describeConfigs({
          includeSynonyms: false,
          resources: [compacted, plain].map((name) => ({ type: 2, name, configNames: ['cleanup.policy'] })),
        })
        const policy = (t: string) =>
          configs.resources.find((r) => r.resourceName === t)?.configEntries[0]?.configValue
        assert.equal(policy(compacted), 'compact')
        assert.equal(policy(plain), 'delete')
      } finally {
        await admin.disconnect()
      }
    })

    it('refuses a record larger than max.message.bytes for good (retriable false) without blocking later records, and splits a large send', async () => {
      const client = newClient()
      const topic = uniqueName('contract.large')
      await client.ensureTopics([{ topic, partitions: 1 }])
      await client.connectProducer()
      const big: KafkaRecord = { topic, key: 'big', value: Buffer.alloc(1_200_000, 120), headers: {} }
      const err = await client.send([big]).then(
        () => assert.fail('a record over the broker limit was accepted'),
        (e: unknown) => e,
      )
      assert.ok(err instanceof UnsError, 'an UnsError')
      assert.equal(err.code, 'UNS_ERR_KAFKA_RECORD_REFUSED')
      assert.equal(err.retriable, false)
      assert.match(err.message, /MESSAGE_TOO_LARGE|RECORD_LIST_TOO_LARGE/)
      assert.ok(err.cause, 'the client error is kept as the cause')

      // 3,000 records of 1 KB: 3 MB, more than one request may carry, all accepted in order.
      const many = Array.from({ length: 3000 }, (_, i) => ({
        topic,
        key: `k${i % 7}`,
        value: Buffer.from(String(i).padEnd(1000, '.')),
        headers: {},
      }))
      await client.send([{ topic, key: 'small', value: Buffer.from('after'), headers: {} }])
      await client.send(many)
      const records = await readTopic(topic, 3001, 60000)
      assert.equal(records[0]?.value?.toString(), 'after', 'the refused record did not block the next one')
      assert.deepEqual(
        records.slice(1).map((r) => Number.parseInt(r.value?.toString() ?? '', 10)),
        many.map((_, i) => i),
      )
    })

    it('fails a send with a retriable error when no producer is connected', async () => {
      const client = newClient()
      const err = await client
        .send([{ topic: uniqueName('contract.none'), key: 'k', value: null, headers: {} }])
        .then(
          () => assert.fail('sent without a producer'),
          (e: unknown) => e,
        )
      assert.ok(err instanceof UnsError)
      assert.equal(err.code, 'UNS_ERR_KAFKA_PRODUCE_FAILED')
      assert.equal(err.retriable, true)
    })

    it('keeps a running consumer and a tail delivering across a Kafka restart', async () => {
      const port = await freePort()
      const dataDir = mkdtempSync(join(tmpdir(), 'contract-restart-'))
      let kafka: LocalKafka = await startKafka({ port, dataDir })
      const client = newClient({ brokers: [kafka.bootstrap], connectTimeoutMs: 1000, requestTimeoutMs: 3000 })
      after(async () => {
        await client.close()
        await kafka.stop()
        rmSync(dataDir, { recursive: true, force: true })
      })
      const topic = uniqueName('contract.restart')
      await client.ensureTopics([{ topic, partitions: 1 }])
      await client.connectProducer()
      await client.send([{ topic, key: 'before', value: Buffer.from('1'), headers: {} }])
      const consumed: string[] = []
      const tailed: string[] = []
      await client.consume({
        groupId: uniqueName('contract-restart'),
        topics: [topic],
        fromBeginning: true,
        eachRecord: async (r) => void consumed.push(r.key ?? ''),
        onCrash: () => {},
      })
      await client.tail({
        groupId: uniqueName('contract-restart-tail'),
        topic,
        eachRecord: (r) => void tailed.push(r.key ?? ''),
        onCrash: () => {},
      })
      await eventually(
        () => (consumed.includes('before') && tailed.includes('before') ? true : undefined),
        30000,
      )

      await kafka.stop()
      kafka = await startKafka({ port, dataDir })
      // As the buffered producer does: reconnect the producer and send again until Kafka takes it.
      await eventually(async () => {
        try {
          await client.send([{ topic, key: 'after', value: Buffer.from('2'), headers: {} }])
          return true
        } catch {
          await client.connectProducer().catch(() => {})
          return undefined
        }
      }, 60000)
      await eventually(
        () => (consumed.includes('after') && tailed.includes('after') ? true : undefined),
        90000,
      )
    })

    it('closes idempotently and leaves no handles: a process that used every method exits by itself', async () => {
      const child = spawn(process.execPath, ['--import', 'tsx', fixture], {
        env: { ...process.env, UNS_TEST_KAFKA_BROKERS: testBrokers(), UNS_KAFKA_CLIENT: kind },
        stdio: ['ignore', 'pipe', 'pipe'],
      })
      let out = ''
      child.stdout.on('data', (c: Buffer) => (out += c.toString()))
      child.stderr.on('data', (c: Buffer) => (out += c.toString()))
      const code = await new Promise<number | null>((resolve) => {
        const timer = setTimeout(() => {
          child.kill('SIGKILL')
          resolve(null)
        }, 60000)
        child.on('exit', (c) => {
          clearTimeout(timer)
          resolve(c)
        })
      })
      assert.match(out, /closed twice/, out)
      assert.equal(code, 0, `the process exits by itself after close(): ${out}`)
    })
  })
}

describe('KafkaClient contract: across clients', () => {
  it('lets a kafkajs member and a platformatic member share one consumer group (a rolling switch of kafka.client)', async () => {
    const clients = CLIENTS.map((client) =>
      createKafkaClient(
        {
          client,
          brokers: [testBrokers()],
          clientId: uniqueName(`contract-mixed-${client}`),
          connectTimeoutMs: 3000,
          requestTimeoutMs: 10000,
          ssl: false,
        },
        logger,
      ),
    )
    after(() => Promise.all(clients.map((c) => c.close())))
    const [producer] = clients as [KafkaClient, KafkaClient]
    const topic = uniqueName('contract.mixed')
    const groupId = uniqueName('contract-mixed')
    await producer.ensureTopics([{ topic, partitions: 4 }])
    await producer.connectProducer()
    const got = new Map<string, string[]>() // key -> clients that handled it
    const handles = await Promise.all(
      clients.map((c, i) =>
        c.consume({
          groupId,
          topics: [topic],
          fromBeginning: true,
          eachRecord: async (r) =>
            void got.set(r.key ?? '', [...(got.get(r.key ?? '') ?? []), CLIENTS[i] as string]),
          onCrash: () => {},
        }),
      ),
    )
    // Both members own partitions once each has handled a record.
    let round = 0
    await eventually(async () => {
      await producer.send(
        Array.from({ length: 8 }, (_, i) => ({ topic, key: `warm-${round}-${i}`, value: null, headers: {} })),
      )
      round++
      const by = new Set([...got.values()].flat())
      return by.size === 2 ? true : undefined
    }, 60000)
    const keys = Array.from({ length: 40 }, (_, i) => `after-${i}`)
    await producer.send(keys.map((key) => ({ topic, key, value: Buffer.from('1'), headers: {} })))
    await eventually(() => (keys.every((k) => got.has(k)) ? true : undefined), 30000)
    await Promise.all(handles.map((h) => h.stop()))
    const handlers = new Set(keys.flatMap((k) => got.get(k) ?? []))
    assert.deepEqual([...handlers].sort(), ['kafkajs', 'platformatic'], 'both members took a share')
  })
})
