// KafkaClient over @platformatic/kafka 1.34 (`kafka.client: platformatic`; 1.x is the last line for
// Node 20). Held to the same contract as the kafkajs one (test/kafka/client-contract.test.ts). Where
// the library differs from kafkajs, this file makes up for it: Java-compatible partitioning, offsets
// committed only after a record was handled, consumers that restart themselves after an outage, and
// one send at a time (decision record 0025). Reads of one partition without a group (history, dead
// letters) go through kafka-read.ts, which needs kafkajs internals: this client keeps a kafkajs
// instance for them alone, connected on the first such read.
import { EventEmitter } from 'node:events'
import { Kafka, logLevel } from 'kafkajs'
import {
  Admin,
  Consumer,
  instancesChannel,
  MessagesStreamFallbackModes,
  MessagesStreamModes,
  ProduceAcks,
  Producer,
  type BaseOptions,
  type ConsumeOptions,
  type Message,
  type MessagesStream,
  type MessageToProduce,
} from '@platformatic/kafka'
import type { Logger } from '../logger.js'
import type { ConsumedRecord, KafkaClient, KafkaClientConfig, TailHandle } from './kafka-client.js'
import { createSendQueue, splitBySize, toProduceError } from './kafka-client-shared.js'
import { createPartitionReader } from './kafka-read.js'
import { toKafkaSecurity } from './kafka-security.js'
import { createRecordEncoder } from './kafka-record-encoder.js'
import { toReplication } from './replication.js'

type Bytes = Buffer
type PltConsumer = Consumer<Bytes, Bytes, Bytes, Bytes>
type PltStream = MessagesStream<Bytes, Bytes, Bytes, Bytes>
type PltMessage = Message<Bytes, Bytes, Bytes, Bytes>

const SASL_MECHANISMS = {
  plain: 'PLAIN',
  'scram-sha-256': 'SCRAM-SHA-256',
  'scram-sha-512': 'SCRAM-SHA-512',
} as const

// Offsets of handled records are committed at most this often (and on stop): one commit request per
// burst instead of one per record; a crash re-delivers at most this much (at-least-once).
const COMMIT_INTERVAL_MS = 100
// A consumer that lost Kafka restarts itself with this backoff, as kafkajs does (restartOnFailure).
const RESTART_INITIAL_MS = 200
const RESTART_MAX_MS = 5000

// Committing and leaving the group on stop wait at most this long: with Kafka gone they would wait
// for the request timeouts and their retries, and the offsets are only an optimisation then.
const STOP_WAIT_MS = 3000

/** `promise`, or undefined after `ms`; the timer does not outlive it. */
async function within<T>(ms: number, promise: Promise<T>): Promise<T | undefined> {
  let timer: NodeJS.Timeout | undefined
  const timeout = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)))
  try {
    return await Promise.race([promise, timeout])
  } finally {
    clearTimeout(timer)
  }
}

const sleep = (ms: number, wake: { fn?: () => void }): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(resolve, ms)
    wake.fn = () => {
      clearTimeout(timer)
      resolve()
    }
  })

function toConsumed(m: PltMessage): ConsumedRecord {
  const headers: Record<string, string> = {}
  for (const [k, v] of m.headers) headers[k.toString('utf8')] = v ? v.toString('utf8') : ''
  return {
    topic: m.topic,
    partition: m.partition,
    offset: m.offset.toString(),
    timestamp: Number(m.timestamp),
    key: m.key ? m.key.toString('utf8') : null,
    value: m.value ?? null,
    headers,
  }
}

/** Errors a restart cannot fix (credentials, ACLs): reported through onCrash instead of retried. */
function isFatal(err: unknown): boolean {
  const seen = new Set<unknown>()
  const walk = (e: unknown): boolean => {
    if (typeof e !== 'object' || e === null || seen.has(e)) return false
    seen.add(e)
    const x = e as { code?: unknown; apiId?: unknown; errors?: unknown; cause?: unknown }
    if (x.code === 'PLT_KFK_AUTHENTICATION') return true
    if (typeof x.apiId === 'string' && x.apiId.endsWith('AUTHORIZATION_FAILED')) return true
    if (Array.isArray(x.errors) && (x.errors as unknown[]).some(walk)) return true
    return walk(x.cause)
  }
  return walk(err)
}

/** Closes a producer or consumer, streams included, whatever state it is in; never rejects. */
const closeForced = (client: {
  close(force: boolean, callback: (err?: Error | null) => void): void
}): Promise<Error | undefined> =>
  new Promise((resolve) => client.close(true, (err) => resolve(err ?? undefined)))

const hasKafkaError = (err: unknown, id: string): boolean =>
  JSON.stringify(err, (_k, v: unknown) => (typeof v === 'bigint' ? String(v) : v))?.includes(`"${id}"`) ??
  false

/**
 * The library's error with the messages of the errors under it: "metadata failed 3 times." alone does
 * not say why, the socket error under it does (ECONNREFUSED, a TLS or SASL refusal). Readiness and
 * the logs show this message (test/integration/kafka-outage.test.ts).
 */
export function explain(err: unknown): Error {
  if (!(err instanceof Error)) return new Error(String(err))
  const leaves = new Set<string>()
  const seen = new Set<unknown>()
  const walk = (e: unknown, depth: number): void => {
    if (depth > 6 || !(e instanceof Error) || seen.has(e)) return
    seen.add(e)
    const children = [...(e instanceof AggregateError ? (e.errors as unknown[]) : []), e.cause].filter(
      (c) => c instanceof Error,
    )
    if (children.length === 0 && e !== err) leaves.add(e.message)
    for (const c of children) walk(c, depth + 1)
  }
  walk(err, 0)
  if (leaves.size === 0) return err
  return new Error(`${err.message} (${[...leaves].slice(0, 3).join('; ')})`, { cause: err })
}

const explained =
  <A extends unknown[], R>(fn: (...args: A) => Promise<R>) =>
  (...args: A): Promise<R> =>
    fn(...args).catch((err: unknown) => {
      throw explain(err)
    })

export function createPlatformaticClient(config: KafkaClientConfig, logger: Logger): KafkaClient {
  const security = toKafkaSecurity(config)
  const base: BaseOptions = {
    clientId: config.clientId,
    bootstrapBrokers: [...config.brokers],
    connectTimeout: config.connectTimeoutMs,
    requestTimeout: config.requestTimeoutMs,
    // The broker-side ack timeout of a produce request; the client gives up at requestTimeout too.
    timeout: config.requestTimeoutMs,
    // Few quick retries, as the kafkajs adapter: the buffered producer retries whole batches itself
    // with backoff and reports the outage, and a consumer restarts itself (below).
    retries: 2,
    retryDelay: (_client, _op, attempt) => Math.min(100 * 2 ** attempt, 1000),
    ...(security.ssl === false
      ? {}
      : { tls: security.ssl === true ? {} : security.ssl, tlsServerName: true }),
    ...(config.sasl
      ? {
          sasl: {
            mechanism: SASL_MECHANISMS[config.sasl.mechanism as keyof typeof SASL_MECHANISMS],
            username: config.sasl.username,
            password: config.sasl.password,
          },
        }
      : {}),
  }
  const batchMaxBytes = config.batchMaxBytes ?? 1_000_000
  const queue = createSendQueue()
  const encode = createRecordEncoder()
  let producer: Producer<Bytes, Bytes, Bytes, Bytes> | undefined
  let admin: Admin | undefined
  const readers = new Set<{ stop(): Promise<void> }>()
  let closed = false
  const getAdmin = (): Admin => (admin ??= new Admin(base))
  // Every client and messages stream the library creates gets an error listener the moment it exists
  // (the library announces each on its diagnostics channel). Ours come a moment later, after `await
  // consume()`; an error emitted in between, by a consumer closed while it started, had no listener and
  // ended the process ("Client is closed.", seen in CI after a service closed). The errors still reach
  // the for-await and the consumer's own listener below.
  const onInstance = (message: unknown): void => {
    const instance = (message as { instance?: unknown }).instance
    if (instance instanceof EventEmitter) {
      instance.on('error', (err: Error) => logger.debug({ err }, 'Kafka client error'))
    }
  }
  instancesChannel.subscribe(onInstance)
  const reader = createPartitionReader(
    new Kafka({
      clientId: config.clientId,
      brokers: [...config.brokers],
      connectionTimeout: config.connectTimeoutMs,
      requestTimeout: config.requestTimeoutMs,
      ...security,
      retry: { retries: 2, initialRetryTime: 100, maxRetryTime: 1000 },
      logLevel: logLevel.INFO,
      logCreator: () => (entry) => {
        const { message, ...extra } = entry.log
        logger.debug({ ns: entry.namespace, kafkaLevel: entry.label, ...extra }, message)
      },
    }),
  )

  async function newProducer(): Promise<Producer<Bytes, Bytes, Bytes, Bytes>> {
    const next = new Producer<Bytes, Bytes, Bytes, Bytes>({
      ...base,
      // Idempotence makes the library force one request in flight and acks=all; without it, one
      // request in flight per connection keeps its own retries in order.
      idempotent: config.idempotent ?? false,
      acks: ProduceAcks.ALL,
      compression: config.compression ?? 'none',
      autocreateTopics: true,
      maxInflights: 1,
    })
    try {
      // The constructor does no I/O: reach a broker now, so that an unreachable Kafka is reported here.
      await next.metadata({ topics: [] })
      if (config.idempotent) await next.initIdempotentProducer({})
      return next
    } catch (err) {
      await closeForced(next)
      throw err
    }
  }

  async function waitForLeaders(topics: string[]): Promise<void> {
    const deadline = Date.now() + config.requestTimeoutMs
    for (;;) {
      try {
        const md = await getAdmin().metadata({ topics, forceUpdate: true })
        const ready = topics.every((t) => {
          const topic = md.topics.get(t)
          return topic !== undefined && topic.partitions.every((p) => p.leader >= 0)
        })
        if (ready) return
      } catch (err) {
        if (Date.now() > deadline) throw err
      }
      if (Date.now() > deadline) throw new Error(`no leader for ${topics.join(', ')} yet`)
      await new Promise((r) => setTimeout(r, 100))
    }
  }

  async function listTopics(): Promise<Set<string>> {
    return new Set(await getAdmin().listTopics())
  }

  /** Keeps a started reader for close(); one that fails to start is stopped and not kept. */
  async function track(reader: { started: Promise<void>; stop(): Promise<void> }): Promise<void> {
    readers.add(reader)
    try {
      await reader.started
    } catch (err) {
      await untrack(reader)
      throw err
    }
  }
  async function untrack(reader: { stop(): Promise<void> }): Promise<void> {
    readers.delete(reader)
    await reader.stop()
  }

  /**
   * One consumer group member that reads until stopped and restarts itself (new Consumer, after a
   * backoff) when it loses Kafka or when `onMessage` throws, as kafkajs does; errors a restart cannot
   * fix go to `onCrash`. `started` settles with the first start, so the caller hears of a Kafka that
   * is not there.
   */
  function startReader(spec: {
    groupId: string
    topics: string[]
    autocreateTopics: boolean
    streamOptions: () => Partial<ConsumeOptions<Bytes, Bytes, Bytes, Bytes>>
    onMessage: (m: PltMessage, commit: (m: PltMessage) => void) => Promise<void> | void
    onCrash: (err: Error) => void
    onStream?: (stream: PltStream, consumer: PltConsumer) => void
  }): { started: Promise<void>; stop(): Promise<void>; current(): PltConsumer | undefined } {
    let stopped = false
    let consumer: PltConsumer | undefined
    let stream: PltStream | undefined
    const wake: { fn?: () => void } = {}
    const pending = new Map<string, { topic: string; partition: number; offset: bigint }>()
    let commitTimer: NodeJS.Timeout | undefined
    let committing: Promise<void> = Promise.resolve()

    const commitNow = (c: PltConsumer): Promise<void> => {
      clearTimeout(commitTimer)
      commitTimer = undefined
      committing = committing.then(async () => {
        if (pending.size === 0) return
        const offsets = [...pending.values()].map((p) => ({ ...p, leaderEpoch: -1 }))
        pending.clear()
        // A failed commit (rebalance, outage) means re-delivery after a restart: at-least-once.
        await c.commit({ offsets }).catch((err: unknown) => logger.debug({ err }, 'offset commit failed'))
      })
      return committing
    }
    // Only records whose handler resolved are marked, so offsets never run ahead of delivery.
    const markHandled = (m: PltMessage): void => {
      pending.set(`${m.topic}:${m.partition}`, {
        topic: m.topic,
        partition: m.partition,
        offset: m.offset + 1n,
      })
      const c = consumer
      if (c && !commitTimer) commitTimer = setTimeout(() => void commitNow(c), COMMIT_INTERVAL_MS)
    }

    let resolveStarted!: () => void
    let rejectStarted!: (err: Error) => void
    const started = new Promise<void>((res, rej) => {
      resolveStarted = res
      rejectStarted = rej
    })
    let first = true
    const loop = (async () => {
      let backoff = RESTART_INITIAL_MS
      let failing = false
      while (!stopped) {
        const c: PltConsumer = new Consumer<Bytes, Bytes, Bytes, Bytes>({
          ...base,
          groupId: spec.groupId,
          autocommit: false,
          autocreateTopics: spec.autocreateTopics,
          // kafkajs's defaults, so that a member that died is replaced as soon as with kafkajs.
          sessionTimeout: 30_000,
          rebalanceTimeout: 60_000,
          heartbeatInterval: 3000,
          // A short fetch wait: stop() returns within half a second (kafkajs's default is 5 s).
          maxWaitTime: 500,
          // kafkajs's protocol name and version, so that members of both clients can share one group
          // (a rolling switch of kafka.client); the library's round robin assigns when it leads.
          protocols: [{ name: 'RoundRobinAssigner', version: 0, metadata: Buffer.alloc(0) }],
        })
        consumer = c
        // Emitted when a rejoin gave up; without a listener it would throw.
        c.on('error', (err: Error) => stream?.destroy(err))
        try {
          stream = await c.consume({ topics: spec.topics, autocommit: false, ...spec.streamOptions() })
          spec.onStream?.(stream, c)
          if (first) resolveStarted()
          first = false
          for await (const m of stream as AsyncIterable<PltMessage>) {
            if (stopped) break
            await spec.onMessage(m, markHandled)
            if (failing) logger.info({ group: spec.groupId }, 'Kafka consumer running again')
            failing = false
            backoff = RESTART_INITIAL_MS
          }
        } catch (err) {
          if (first) {
            first = false
            rejectStarted(err as Error)
            stopped = true
          } else if (!stopped && isFatal(err)) {
            stopped = true
            spec.onCrash(err as Error)
          } else if (!stopped) {
            if (!failing) logger.warn({ err, group: spec.groupId }, 'Kafka consumer stopped; restarting')
            else logger.debug({ err, group: spec.groupId }, 'Kafka consumer restart failed')
            failing = true
          }
        } finally {
          await within(STOP_WAIT_MS, commitNow(c))
          stream = undefined
          const err = await within(STOP_WAIT_MS, closeForced(c))
          if (err) logger.debug({ err }, 'Kafka consumer close failed')
          if (consumer === c) consumer = undefined
        }
        if (!stopped) {
          await sleep(backoff, wake)
          backoff = Math.min(backoff * 2, RESTART_MAX_MS)
        }
      }
    })()

    return {
      started,
      current: () => consumer,
      async stop() {
        stopped = true
        wake.fn?.()
        // Ends the for-await at the next record; a handler already running is awaited (as kafkajs).
        if (stream) void stream.close().catch(() => {})
        else if (consumer) void closeForced(consumer)
        await loop
      },
    }
  }

  return {
    partitionOf: (topic, key) => reader.partitionOf(topic, key),
    partitions: (topic) => reader.partitions(topic),
    readPartition: (opts) => reader.readPartition(opts),

    connectProducer: explained(async () => {
      const old = producer
      producer = undefined
      if (old) await closeForced(old)
      const next = await newProducer()
      if (closed) {
        await closeForced(next)
        throw new Error('the Kafka client is closed')
      }
      producer = next
    }),

    send: (records) =>
      queue(records.length, async () => {
        for (const run of splitBySize(records, batchMaxBytes)) {
          const current = producer
          if (!current) throw toProduceError(new Error('producer is not connected'), run.length)
          const messages: MessageToProduce<Bytes, Bytes, Bytes, Bytes>[] = run.map(encode)
          try {
            await current.send({ messages, acks: ProduceAcks.ALL })
          } catch (err) {
            throw toProduceError(err, run.length)
          }
        }
      }),

    ensureTopics: explained(async (topics) => {
      const existing = await listTopics()
      const missing = topics.filter((t) => !existing.has(t.topic))
      if (missing.length === 0) return undefined
      const brokerCount = (await getAdmin().metadata({ topics: [] })).brokers.size
      const replication = toReplication(config, brokerCount)
      // One request per topic: partitions, replicas and configs are per request in this library.
      for (const t of missing) {
        const { replicationFactor, minInsyncReplicas } =
          t.replicationFactor === undefined
            ? replication
            : toReplication({ ...config, replicationFactor: t.replicationFactor }, brokerCount)
        try {
          await getAdmin().createTopics({
            topics: [t.topic],
            partitions: t.partitions ?? -1,
            replicas: replicationFactor,
            configs: [
              ...(t.compacted ? [{ name: 'cleanup.policy', value: 'compact' }] : []),
              { name: 'min.insync.replicas', value: String(minInsyncReplicas) },
            ],
          })
        } catch (err) {
          if (!hasKafkaError(err, 'TOPIC_ALREADY_EXISTS')) throw err
        }
      }
      // kafkajs's waitForLeaders: a topic is usable once every partition has a leader.
      await waitForLeaders(missing.map((t) => t.topic))
      return replication
    }),

    missingTopics: explained(async (topics) => {
      const existing = await listTopics()
      return topics.filter((t) => !existing.has(t))
    }),

    consume: explained(async ({ groupId, topics, fromBeginning, eachRecord, onCrash }) => {
      // Patterns are resolved once, at subscribe time, as kafkajs does.
      let names = topics.filter((t): t is string => typeof t === 'string')
      const patterns = topics.filter((t): t is RegExp => t instanceof RegExp)
      if (patterns.length > 0) {
        const existing = await listTopics()
        names = [...new Set([...names, ...[...existing].filter((t) => patterns.some((p) => p.test(t)))])]
      }
      if (names.length === 0) return { stop: async () => {} }
      const reader = startReader({
        groupId,
        topics: names,
        autocreateTopics: true,
        // From the group's committed offsets; where it has none, from the start or the end.
        streamOptions: () => ({
          mode: MessagesStreamModes.COMMITTED,
          fallbackMode: fromBeginning
            ? MessagesStreamFallbackModes.EARLIEST
            : MessagesStreamFallbackModes.LATEST,
        }),
        onMessage: async (m, handled) => {
          await eachRecord(toConsumed(m))
          handled(m)
        },
        onCrash,
      })
      await track(reader)
      return {
        stop: () => untrack(reader),
      }
    }),

    tail: explained(async ({ groupId, topic, eachRecord, onCrash }) => {
      // Next offset to read per partition: a restart resumes there instead of from the beginning.
      const next = new Map<number, bigint>()
      const waiters = new Set<() => void>()
      let stream: PltStream | undefined
      const advance = (partition: number, offset: bigint): void => {
        if ((next.get(partition) ?? -1n) >= offset) return
        next.set(partition, offset)
        for (const wake of waiters) wake()
      }
      const reader = startReader({
        groupId,
        topics: [topic],
        autocreateTopics: false,
        streamOptions: () =>
          next.size === 0
            ? { mode: MessagesStreamModes.EARLIEST }
            : {
                mode: MessagesStreamModes.MANUAL,
                fallbackMode: MessagesStreamFallbackModes.EARLIEST,
                offsets: [...next].map(([partition, offset]) => ({ topic, partition, offset })),
              },
        onMessage: (m) => {
          eachRecord(toConsumed(m))
          advance(m.partition, m.offset + 1n)
        },
        onCrash,
        // A fetch that ends in control records only (transaction markers) returns no record but
        // moves the fetch position: caughtUp looks at it once every fetched record was handed over.
        onStream: (s) => {
          stream = s
          s.on('fetch', () => {
            for (const wake of waiters) wake()
          })
        },
      })
      await track(reader)
      const position = (partition: number): bigint => {
        const read = next.get(partition) ?? -1n
        const s = stream
        if (!s || s.readableLength > 0) return read
        const fetched = s.offsetsToFetch.get(`${topic}:${partition}`) ?? -1n
        return fetched > read ? fetched : read
      }
      const handle: TailHandle = {
        async caughtUp(timeoutMs) {
          const c = reader.current()
          if (!c) throw new Error(`${topic} reader is restarting; try again`)
          const [ends, starts] = await Promise.all([
            c.listOffsets({ topics: [topic] }),
            c.listOffsets({ topics: [topic], timestamp: -2n }),
          ])
          const high = ends.get(topic) ?? []
          const low = starts.get(topic) ?? []
          const done = (): boolean => high.every((h, p) => h <= (low[p] ?? 0n) || position(p) >= h)
          if (done()) return
          await new Promise<void>((resolve, reject) => {
            const wake = (): void => {
              if (!done()) return
              clearTimeout(timer)
              waiters.delete(wake)
              resolve()
            }
            const timer = setTimeout(() => {
              waiters.delete(wake)
              reject(new Error(`${topic} not read to its end within ${timeoutMs} ms`))
            }, timeoutMs)
            waiters.add(wake)
          })
        },
        stop: () => untrack(reader),
      }
      return handle
    }),

    async close() {
      closed = true
      const p = producer
      const a = admin
      producer = undefined
      admin = undefined
      await Promise.allSettled([
        p && closeForced(p),
        a?.close(),
        reader.close(),
        ...[...readers].map((r) => r.stop()),
      ])
      readers.clear()
      instancesChannel.unsubscribe(onInstance)
    },
  }
}
