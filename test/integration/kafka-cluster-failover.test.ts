// [issue 15] On a 3-broker Kafka cluster the topics uns-bridge creates are replicated 3 times with
// min.insync.replicas 2, so the loss of one broker under load loses no acknowledged message
// (PRODUCT.md §5: PUBACK only after acks=all), and the bridge keeps going on the other two.
import { after, it } from 'node:test'
import assert from 'node:assert/strict'
import { Kafka, logLevel } from 'kafkajs'
import type { MqttClient } from 'mqtt'
import { startKafkaCluster, type LocalKafkaCluster } from '../../scripts/local-kafka-cluster.js'
import { readTopic } from '../helpers/kafka.js'
import { eventually, startService, type TestService } from '../helpers/service.js'

/** Publishes QoS 1 with up to `window` in flight until stopped; records the PUBACKed ids. */
function publishLoad(client: MqttClient, name: string, acked: string[], window = 20) {
  let stopped = false
  let sent = 0
  const loop = async (): Promise<void> => {
    const pending = new Set<Promise<void>>()
    while (!stopped) {
      const id = `${name}-${sent++}`
      const p: Promise<void> = client
        .publishAsync(`acme/berlin/${name}/m${sent % 5}`, JSON.stringify(id), { qos: 1 })
        .then(
          () => void acked.push(id),
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
    stop: async () => {
      stopped = true
      await done
    },
  }
}

it('loses no PUBACKed message when one of 3 Kafka brokers is SIGKILLed under load, on topics with RF 3 / min.insync 2', async (t) => {
  // One hook, in this order: the service first, then the brokers it talks to (hooks run FIFO).
  const running: { cluster?: LocalKafkaCluster; svc?: TestService } = {}
  after(async () => {
    await running.svc?.close()
    await running.cluster?.stop()
  })
  const startedAt = Date.now()
  const cluster = await startKafkaCluster()
  running.cluster = cluster
  t.diagnostic(
    `3-broker cluster up in ${Date.now() - startedAt} ms; RSS per JVM: ${cluster.nodes.map((n) => `${n.rssMb()} MB`).join(', ')}`,
  )
  const bridge = await startService({
    UNS_KAFKA_BROKERS: cluster.bootstrap,
    UNS_KAFKA_RECONNECT_MAX_MS: '2000',
  })
  running.svc = bridge
  await eventually(() => (bridge.service.health().ready ? true : undefined), 90_000)

  const admin = new Kafka({ brokers: [...cluster.brokers], logLevel: logLevel.NOTHING }).admin()
  await admin.connect()
  after(() => admin.disconnect())
  const { telemetry, state, schemas } = bridge.config.kafka.topics
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

  const acked: string[] = []
  const clients = await Promise.all([1, 2, 3, 4, 5].map((i) => bridge.connect(`line-${i}`)))
  const loads = clients.map((c, i) => publishLoad(c, `line-${i + 1}`, acked))
  await eventually(() => (acked.length >= 300 ? true : undefined), 60_000)

  // Kill the leader of telemetry partition 0: its partitions must move to the other two.
  const leader = meta.topics
    .find((x) => x.name === telemetry)
    ?.partitions.find((p) => p.partitionId === 0)?.leader
  assert.ok(leader !== undefined)
  const ackedBeforeKill = acked.length
  const killedAt = Date.now()
  await cluster.kill(leader)
  // Past the broker session timeout (6 s): new leaders are elected while the load goes on.
  await eventually(
    () => (acked.length >= ackedBeforeKill + 1000 && Date.now() - killedAt > 12_000 ? true : undefined),
    120_000,
  )
  await Promise.all(loads.map((l) => l.stop()))
  const sent = loads.reduce((n, l) => n + l.sent(), 0)
  t.diagnostic(
    `killed broker ${leader} after ${ackedBeforeKill} PUBACKs; ${acked.length} of ${sent} publishes PUBACKed in total, ` +
      `${acked.length - ackedBeforeKill} after the kill`,
  )
  const outages = bridge.logs.filter((l) => l.msg === 'Kafka unreachable; buffering')
  t.diagnostic(
    `the bridge saw ${outages.length} produce outage(s): ${[...new Set(outages.map((l) => (l.err as { message?: string } | undefined)?.message))].join(' | ')}`,
  )
  await eventually(() => (bridge.service.health().ready ? true : undefined), 30_000)

  const restartedAt = Date.now()
  await cluster.restart(leader)
  t.diagnostic(`broker ${leader} restarted and registered in ${Date.now() - restartedAt} ms`)

  const owed = new Set(acked.map((id) => JSON.stringify(id)))
  let read = 0
  const records = await readTopic(telemetry, sent, 60_000, cluster.brokers[0], (rs) => {
    for (; read < rs.length; read++) owed.delete(rs[read]?.value?.toString() ?? '')
    return owed.size === 0
  })
  const counts = new Map<string, number>()
  for (const r of records) {
    const id = JSON.parse(r.value?.toString() ?? 'null') as string
    counts.set(id, (counts.get(id) ?? 0) + 1)
  }
  const missing = acked.filter((id) => !counts.has(id))
  const duplicates = [...counts.values()].filter((n) => n > 1).length
  t.diagnostic(
    `${records.length} records in Kafka for ${counts.size} distinct messages; ${duplicates} duplicated`,
  )
  assert.deepEqual(missing, [], `${missing.length} of ${acked.length} PUBACKed messages are not in Kafka`)
})
