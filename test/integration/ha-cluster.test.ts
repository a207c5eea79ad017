// [issue 15] High availability, all on one 3-broker KRaft Kafka cluster started once (it costs minutes on a
// busy 2-core machine): three uns-bridge processes share the MQTT fabric through Redis (decision 0050) and
// one consumer group. Topics are replicated 3 times with min.insync.replicas 2; the REST tree and the
// Sparkplug node view are the same on every instance; a uns.commands record reaches its device once; the
// SIGKILL of a Kafka broker under load loses no PUBACKed message (PRODUCT.md §5: PUBACK only after
// acks=all); the SIGKILL of an instance under load loses none either, its clients resume on the others
// (mqtt.js `servers`), a clean=false subscriber misses nothing, and its Sparkplug STATE goes offline.
import { after, before, describe, it, type TestContext } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel, type Admin } from 'kafkajs'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { startKafkaCluster, type LocalKafkaCluster } from '../../scripts/local-kafka-cluster.js'
import { nbirth } from '../fixtures/sparkplug/index.js'
import { startInstance, type ChildInstance } from '../helpers/instance.js'
import { readTopic, uniqueName } from '../helpers/kafka.js'
import { startRedis, type TestRedis } from '../helpers/redis.js'
import { eventually, kafkaEnv, uniqueTopics } from '../helpers/service.js'
import { connectEdge, send } from './sparkplug-helpers.js'

/** Publishes QoS 1 with up to `window` in flight until stopped; records the PUBACKed ids. */
function publishLoad(
  client: MqttClient,
  name: string,
  acked: string[],
  window = 20,
  /** Called with each PUBACKed id and the port of the broker that sent the PUBACK. */
  onAck?: (id: string, port: number | undefined) => void,
) {
  let stopped = false
  let sent = 0
  let lastAckAt = 0
  const loop = async (): Promise<void> => {
    const pending = new Set<Promise<void>>()
    while (!stopped) {
      const id = `${name}-${sent++}`
      const p: Promise<void> = client
        .publishAsync(`acme/berlin/${name}/m${sent % 5}`, JSON.stringify(id), { qos: 1 })
        .then(
          () => {
            acked.push(id)
            lastAckAt = Date.now()
            onAck?.(id, client.options.port)
          },
          () => {},
        )
      pending.add(p)
      void p.finally(() => pending.delete(p))
      if (pending.size >= window) await Promise.race(pending)
    }
    // The PUBACKs still owed arrive once Kafka has the records (or never, if the bridge failed).
    await Promise.race([Promise.allSettled(pending), new Promise((r) => setTimeout(r, 60_000))])
  }
  const done = loop()
  return {
    sent: () => sent,
    lastAckAt: () => lastAckAt,
    stop: async () => {
      stopped = true
      await done
    },
  }
}

/** Every id in `acked` read back from `topic`; reports how many records and duplicates there were. */
async function checkInKafka(
  t: TestContext,
  brokers: string,
  topic: string,
  acked: readonly string[],
): Promise<void> {
  const owed = new Set(acked.map((id) => JSON.stringify(id)))
  const wanted = new Set(owed)
  let read = 0
  const records = await readTopic(topic, Number.MAX_SAFE_INTEGER, 90_000, brokers, (rs) => {
    for (; read < rs.length; read++) owed.delete(rs[read]?.value?.toString() ?? '')
    return owed.size === 0
  })
  const counts = new Map<string, number>()
  for (const r of records) {
    const value = r.value?.toString() ?? ''
    if (wanted.has(value)) counts.set(value, (counts.get(value) ?? 0) + 1)
  }
  const duplicates = [...counts.values()].filter((n) => n > 1).length
  t.diagnostic(
    `${acked.length} PUBACKed; in Kafka: ${counts.size} of them, ${duplicates} written twice or more`,
  )
  const missing = acked.filter((id) => !counts.has(JSON.stringify(id)))
  assert.deepEqual(missing, [], `${missing.length} of ${acked.length} PUBACKed messages are not in Kafka`)
}

const getJson = async (url: string): Promise<unknown> => {
  const res = await fetch(url)
  assert.equal(res.status, 200, `${url} answers 200`)
  return res.json()
}

describe('3 uns-bridge instances over Redis on a 3-broker Kafka cluster', () => {
  let cluster: LocalKafkaCluster
  let redis: TestRedis
  let admin: Admin
  let instances: ChildInstance[] = []
  const clients: MqttClient[] = []
  const topics = uniqueTopics()
  const group = uniqueName('ha-group')
  const inst = (i: number): ChildInstance => instances[i] as ChildInstance
  const server = (i: number) => ({ host: '127.0.0.1', port: inst(i).mqttPort, protocol: 'mqtt' as const })
  const connect = async (i: number, opts: IClientOptions = {}): Promise<MqttClient> => {
    const c = await mqtt.connectAsync(inst(i).mqttUrl, { reconnectPeriod: 0, ...opts })
    clients.push(c)
    return c
  }

  before(async () => {
    const startedAt = Date.now()
    ;[cluster, redis] = await Promise.all([startKafkaCluster(), startRedis()])
    console.log(
      `# 3-broker cluster and Redis up in ${Date.now() - startedAt} ms; RSS per JVM: ${cluster.nodes.map((n) => `${n.rssMb()} MB`).join(', ')}`,
    )
    admin = new Kafka({ brokers: [...cluster.brokers], logLevel: logLevel.NOTHING }).admin()
    await admin.connect()
    // Three partitions, so that each instance of the group can own one.
    await admin.createTopics({
      topics: [{ topic: topics.commands, numPartitions: 3, replicationFactor: 3 }],
      waitForLeaders: true,
    })
    const env = (id: string) =>
      kafkaEnv(
        {
          UNS_KAFKA_BROKERS: cluster.bootstrap,
          UNS_KAFKA_RECONNECT_MAX_MS: '2000',
          UNS_KAFKA_CONSUMER_GROUP: group,
          UNS_CLUSTER_REDIS: redis.url,
          UNS_INSTANCE_ID: `uns-${id}`,
          UNS_SPARKPLUG_HOST_ID: `host-${id}`,
        },
        topics,
      )
    instances = await Promise.all(['a', 'b', 'c'].map((id) => startInstance(`uns-${id}`, env(id))))
    await Promise.all(instances.map((s) => s.ready(180_000)))
    console.log(`# 3 instances ready ${Date.now() - startedAt} ms after the start`)
  })
  // Clients first, then the instances, then what they talk to.
  after(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)))
    await Promise.all(instances.map((s) => s.stop()))
    await admin?.disconnect()
    await cluster?.stop()
    await redis?.stop()
  })

  /** The leader of partition 0 of the telemetry topic now. */
  const leaderOfPartition0 = async (): Promise<number> => {
    const meta = await admin.fetchTopicMetadata({ topics: [topics.telemetry] })
    const leader = meta.topics[0]?.partitions.find((p) => p.partitionId === 0)?.leader
    assert.ok(leader !== undefined && leader >= 0)
    return leader
  }

  it('creates its topics with 3 replicas and min.insync.replicas 2', async () => {
    const { telemetry, state, schemas } = topics
    await eventually(async () => ((await admin.listTopics()).includes(schemas) ? true : undefined), 60_000)
    const meta = await admin.fetchTopicMetadata({ topics: [telemetry, state, schemas] })
    for (const topic of meta.topics)
      for (const p of topic.partitions)
        assert.equal(p.replicas.length, 3, `${topic.name}/${p.partitionId} has 3 replicas`)
    const configs = await admin.describeConfigs({
      includeSynonyms: false,
      resources: [telemetry, state, schemas].map((name) => ({
        type: 2, // ConfigResourceTypes.TOPIC (a type-only export of kafkajs under ESM)
        name,
        configNames: ['min.insync.replicas'],
      })),
    })
    for (const r of configs.resources)
      assert.equal(r.configEntries[0]?.configValue, '2', `${r.resourceName} has min.insync.replicas 2`)
  })

  it('shows the same REST tree and the same Sparkplug node view (the whole plant) on every instance', async () => {
    // Edge nodes on A and on B, a plain UNS publisher on C: each instance hosts only its own clients.
    const edges = [
      { i: 0, edge: 'E-on-a' },
      { i: 1, edge: 'E-on-b' },
    ]
    for (const { i, edge } of edges) {
      const c = await connectEdge(inst(i).mqttUrl, 'HA', edge, 0)
      clients.push(c)
      await send(c, `spBv1.0/HA/NBIRTH/${edge}`, nbirth({ bdSeq: 0 }))
    }
    const pub = await connect(2)
    await pub.publishAsync('acme/berlin/ha/tree-check', '77', { qos: 1 })

    const views = async (path: string): Promise<string[]> =>
      Promise.all(instances.map(async (s) => JSON.stringify(await getJson(`${s.httpUrl}${path}`))))
    const nodes = await eventually(async () => {
      const all = await views('/api/v1/sparkplug/nodes')
      const first = JSON.parse(all[0] as string) as { groups: { group: string; nodes: { edge: string }[] }[] }
      const ha = first.groups.find((g) => g.group === 'HA')?.nodes.map((n) => n.edge)
      return all.every((v) => v === all[0]) && ha?.length === 2 ? ha : undefined
    }, 30_000)
    assert.deepEqual(nodes, ['E-on-a', 'E-on-b'])
    // The tree: the same value at the path, and the same tree from the root on every instance.
    await eventually(async () => {
      // lastSeen is when this instance applied the value (its own clock), the rest must be equal.
      const all = (await views('/api/v1/tree?path=acme/berlin/ha&depth=3')).map((v) =>
        v.replace(/"lastSeen":\d+,/g, ''),
      )
      return all.every((v) => v === all[0]) && all[0]?.includes('tree-check') === true ? true : undefined
    }, 30_000)
    for (const s of instances) {
      const body = (await getJson(`${s.httpUrl}/api/v1/nodes/acme/berlin/ha/tree-check`)) as {
        value?: { value: unknown }
      }
      assert.equal(body.value?.value, 77, `${s.name} has the value`)
    }
    // A Rebirth request for a node hosted elsewhere (B asks for the node on A) reaches it through Redis.
    const edgeOnA = clients.find((c) => c.options.clientId?.startsWith('edge-HA-E-on-a'))
    assert.ok(edgeOnA)
    const ncmd = new Promise<string>((res) => edgeOnA.once('message', (topic) => res(topic)))
    await edgeOnA.subscribeAsync('spBv1.0/HA/NCMD/E-on-a', { qos: 1 })
    const res = await fetch(`${inst(1).httpUrl}/api/v1/sparkplug/nodes/HA/E-on-a/rebirth`, { method: 'POST' })
    assert.equal(res.status, 202)
    assert.equal(await ncmd, 'spBv1.0/HA/NCMD/E-on-a')
  })

  it('delivers a uns.commands record to its device once with 3 instances in one consumer group', async () => {
    // A device on each instance: each must receive every command once (one publish into the fabric).
    const got = new Map<number, string[]>()
    // Warm-up records may still arrive late (after a rebalance): only the valves are counted.
    const valves = (l: string[]): string[] => l.filter((topic) => topic.startsWith('cmd-ha/valve-'))
    for (const i of [0, 1, 2]) {
      const device = await connect(i, { clientId: `device-${i}` })
      got.set(i, [])
      device.on('message', (topic) => got.get(i)?.push(topic))
      await device.subscribeAsync('cmd-ha/#', { qos: 1 })
    }
    const producer = new Kafka({ brokers: [...cluster.brokers], logLevel: logLevel.NOTHING }).producer()
    await producer.connect()
    try {
      // All three members must own a partition before counting: warm up until every device got a record.
      let warm = 0
      await eventually(async () => {
        const messages = Array.from({ length: 6 }, (_, k) => ({
          key: `cmd-ha/warm-${warm}-${k}`,
          value: '0',
        }))
        await producer.send({ topic: topics.commands, acks: -1, messages })
        warm++
        return [...got.values()].every((l) => l.length > 0) ? true : undefined
      }, 60_000)
      const members = (await admin.describeGroups([group])).groups[0]?.members ?? []
      assert.equal(members.length, 3, 'the 3 instances are members of one consumer group')
      const owners = new Set(
        (await admin.fetchOffsets({ groupId: group, topics: [topics.commands] }))[0]?.partitions.map(
          (p) => p.partition,
        ),
      )
      assert.ok(owners.size >= 1, 'offsets are committed in the group')
      await new Promise((r) => setTimeout(r, 1000))
      for (const l of got.values()) l.length = 0

      const keys = Array.from({ length: 30 }, (_, k) => `cmd-ha/valve-${k}`)
      await producer.send({
        topic: topics.commands,
        acks: -1,
        messages: keys.map((key) => ({ key, value: '{"value":1}' })),
      })
      // Generous: a rebalance still settling after the warm-up delays a partition's records.
      await eventually(
        () => ([...got.values()].every((l) => valves(l).length >= keys.length) ? true : undefined),
        90_000,
      ).catch((err: Error) => {
        const counts = [...got.entries()].map(([i, l]) => `${inst(i).name}: ${valves(l).length}`).join(', ')
        const missing = keys.filter((k) => ![...got.values()].some((l) => l.includes(k)))
        throw new Error(
          `${err.message}; valves per device ${counts}; reached no device: ${missing.join(', ')}`,
        )
      })
      // A short wait for a second delivery through another instance.
      await new Promise((r) => setTimeout(r, 1500))
      for (const [i, l] of got)
        assert.deepEqual(valves(l).sort(), [...keys].sort(), `device on ${inst(i).name}: each once`)
    } finally {
      await producer.disconnect()
    }
  })

  it('loses no PUBACKed message when a Kafka broker is SIGKILLed under load through the 3 instances', async (t) => {
    const leader = await leaderOfPartition0()
    const acked: string[] = []
    const pubs = await Promise.all([0, 1, 2, 0, 1].map((i, k) => connect(i, { clientId: `kload-${k}` })))
    const loads = pubs.map((c, k) => publishLoad(c, `kload-${k}`, acked))
    await eventually(() => (acked.length >= 300 ? true : undefined), 60_000)
    const before = acked.length
    const killedAt = Date.now()
    await cluster.kill(leader)
    // Past the broker session timeout (6 s): new leaders are elected while the load goes on.
    await eventually(
      () => (acked.length >= before + 1000 && Date.now() - killedAt > 12_000 ? true : undefined),
      180_000,
    )
    await Promise.all(loads.map((l) => l.stop()))
    const sent = loads.reduce((n, l) => n + l.sent(), 0)
    t.diagnostic(
      `${acked.length} of ${sent} publishes PUBACKed, ${acked.length - before} after broker ${leader} was killed`,
    )
    const restartedAt = Date.now()
    await cluster.restart(leader)
    t.diagnostic(`broker ${leader} restarted and registered again in ${Date.now() - restartedAt} ms`)
    await checkInKafka(t, cluster.bootstrap, topics.telemetry, acked)
    await Promise.all(instances.map((s) => s.ready(60_000)))
  })

  it('SIGKILL of an instance under load: no PUBACKed message lost, clients resume, a persistent subscriber misses nothing', async (t) => {
    await cluster.waitForBrokers(3)
    const [A, B, C] = [0, 1, 2]
    // The STATE of C's host application, seen from A: online now, offline once aedes on A or B
    // publishes the Will C left in Redis (its heartbeat stopped) [tck-id-host-topic-phid-death-required].
    const observer = await connect(A)
    const states: string[] = []
    let offlineAt: number | undefined
    observer.on('message', (topic, payload) => {
      if (topic !== 'spBv1.0/STATE/host-c') return
      states.push(payload.toString())
      if (payload.toString().includes('"online":false')) offlineAt ??= Date.now()
    })
    await observer.subscribeAsync('spBv1.0/STATE/host-c', { qos: 1 })
    await eventually(() => (states.some((s) => s.includes('"online":true')) ? true : undefined), 20_000)

    // The persistent subscriber sits on C, the instance that will die; its failover list goes on to A, B.
    const received = new Map<string, number>()
    const subscriber = mqtt.connect({
      servers: [server(C), server(A), server(B)],
      clientId: 'ha-persistent-sub',
      clean: false,
      reconnectPeriod: 500,
      connectTimeout: 5000,
    })
    clients.push(subscriber)
    subscriber.on('message', (_topic, payload) => {
      const id = JSON.parse(payload.toString()) as string
      received.set(id, (received.get(id) ?? 0) + 1)
    })
    await new Promise<void>((res) => subscriber.once('connect', () => res()))
    await subscriber.subscribeAsync('acme/berlin/+/+', { qos: 1 })

    // 5 publishers spread over the instances, each with a failover list starting at its own.
    const lists = [
      [C, A, B],
      [A, B, C],
      [B, C, A],
      [C, B, A],
      [A, C, B],
    ]
    const acked: string[] = []
    const pubs = lists.map((list, k) => {
      const c = mqtt.connect({
        servers: list.map(server),
        clientId: `iload-${k}`,
        reconnectPeriod: 500,
        connectTimeout: 5000,
      })
      clients.push(c)
      return c
    })
    await Promise.all(pubs.map((c) => new Promise<void>((res) => c.once('connect', () => res()))))
    // The subscription has reached every instance through Redis once a message from each comes in.
    const ackedByC = new Set<string>()
    let killedAt = 0
    const firstAckAfterKill: number[] = []
    const loads = pubs.map((c, k) =>
      publishLoad(c, `iload-${k}`, acked, 20, (id, port) => {
        if (port === inst(C).mqttPort) ackedByC.add(id)
        else if (killedAt > 0) firstAckAfterKill[k] ??= Date.now() - killedAt
      }),
    )
    await eventually(
      () =>
        acked.length >= 300 && [0, 1, 2, 3, 4].every((k) => received.has(`iload-${k}-0`)) ? true : undefined,
      60_000,
    )
    const before = acked.length
    let resubscribedIn: number | undefined
    subscriber.once('connect', () => (resubscribedIn = Date.now() - killedAt))
    killedAt = Date.now()
    await inst(C).kill()
    // Every publisher, also the two that were on C, gets PUBACKs again from the others.
    await eventually(
      () =>
        acked.length >= before + 1000 && loads.every((l) => l.lastAckAt() > killedAt + 1000)
          ? true
          : undefined,
      120_000,
    )
    const resumedIn = Math.max(...firstAckAfterKill)
    await Promise.all(loads.map((l) => l.stop()))
    const sent = loads.reduce((n, l) => n + l.sent(), 0)
    const onSurvivors = pubs.map((c) => c.options.port)
    assert.ok(
      onSurvivors.every((p) => p !== inst(C).mqttPort),
      'every publisher is connected to a surviving instance',
    )
    t.diagnostic(
      `${acked.length} of ${sent} publishes PUBACKed, ${acked.length - before} after ${inst(C).name} was SIGKILLed (all 5 clients acked again within ${resumedIn} ms)`,
    )
    await checkInKafka(t, cluster.bootstrap, topics.telemetry, acked)

    // Everything queued for the persistent subscriber reached it, also what was queued in Redis while it
    // moved from C to a survivor. aedes writes a QoS 1 PUBACK before it queues and forwards the message
    // (lib/handlers/publish.js): what C PUBACKed (after Kafka acks=all) in its last moments may not have
    // reached Redis. Those are in Kafka (above), at most the in-flight window of each client on C.
    const missing = (): string[] => acked.filter((id) => !received.has(id))
    const lostElsewhere = (): string[] => missing().filter((id) => !ackedByC.has(id))
    await eventually(() => (lostElsewhere().length === 0 ? true : undefined), 60_000).catch(() => undefined)
    const twice = [...received.values()].filter((n) => n > 1).length
    const lostWithC = missing().filter((id) => ackedByC.has(id))
    t.diagnostic(
      `persistent subscriber (reconnected to port ${subscriber.options.port} ${resubscribedIn} ms after the kill): ${received.size} distinct messages, ` +
        `${twice} delivered twice or more; ${lostWithC.length} of the ${ackedByC.size} PUBACKed by ${inst(C).name} ` +
        `were never forwarded (PUBACK before forwarding): ${lostWithC.slice(0, 5).join(', ')}`,
    )
    assert.notEqual(subscriber.options.port, inst(C).mqttPort, 'the subscriber moved to a survivor')
    assert.deepEqual(
      lostElsewhere().slice(0, 20),
      [],
      `${lostElsewhere().length} messages PUBACKed by survivors never reached the subscriber`,
    )
    assert.ok(lostWithC.length <= 20 * 2, 'at most the in-flight window of the 2 clients on C')

    // C's host application STATE goes offline without C (its Will, published by a survivor).
    await eventually(() => (states.some((s) => s.includes('"online":false')) ? true : undefined), 90_000)
    t.diagnostic(`STATE/host-c offline seen ${(offlineAt ?? Date.now()) - killedAt} ms after the SIGKILL`)
  })
})
