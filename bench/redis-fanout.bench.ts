// What the Redis fabric costs (issue 15, docs/scaling.md): aedes brokers over mqemitter-redis +
// aedes-persistence-redis (as cluster.redis builds them, src/broker/cluster.ts) on a local redis-server,
// against one aedes with its in-memory defaults. A publisher sends QoS 1 (100 in flight, 120-byte
// payloads) on broker 0; subscribers sit on the other brokers. Measured: deliveries/s, the CPU of this
// Node process (all brokers and clients live here) and of redis-server, per message.
//   npx tsx bench/redis-fanout.bench.ts [seconds per case, default 8]
import { execFileSync } from 'node:child_process'
import { createServer, type Server } from 'node:net'
import { createRequire } from 'node:module'
import { Aedes } from 'aedes'
import { Redis } from 'ioredis'
import mqtt, { type MqttClient } from 'mqtt'
import { startRedis } from '../test/helpers/redis.js'
import { cpuCores, sampleCpu } from './e2e/proc-stats.js'

const require = createRequire(import.meta.url)
const mqemitterRedis = require('mqemitter-redis') as (o: object) => unknown
const persistenceRedis = require('aedes-persistence-redis') as (o: object) => { destroy(): Promise<void> }
const seconds = Number(process.argv[2] ?? 8)
const payload = Buffer.from(
  JSON.stringify({ value: 21.5, timestamp: Date.now(), quality: 'good', pad: 'x'.repeat(50) }),
)

interface Broker {
  port: number
  close(): Promise<void>
}

async function broker(redisUrl: string | undefined): Promise<Broker> {
  const conns = redisUrl ? [0, 1, 2].map(() => new Redis(redisUrl, { maxRetriesPerRequest: null })) : []
  // As src/broker/cluster.ts: mqemitter-redis's close leaves the rejection of `quit()` unhandled.
  for (const c of conns) {
    const quit = c.quit.bind(c)
    c.quit = ((...args: Parameters<typeof quit>) => {
      const closing = quit(...args)
      closing.catch(() => {})
      return closing
    }) as typeof c.quit
  }
  const [pubConn, subConn, db] = conns
  const persistence = db ? persistenceRedis({ conn: db }) : undefined
  const aedes = await Aedes.createBroker(
    redisUrl ? { mq: mqemitterRedis({ pubConn, subConn }), persistence, heartbeatInterval: 5000 } : {},
  )
  const server: Server = createServer((s) => aedes.handle(s))
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()))
  const address = server.address()
  return {
    port: typeof address === 'object' && address ? address.port : 0,
    async close() {
      await new Promise<void>((r) => aedes.close(() => r()))
      server.close()
      await persistence?.destroy().catch(() => {})
      for (const c of conns) c.disconnect()
    },
  }
}

const connect = (port: number): Promise<MqttClient> =>
  mqtt.connectAsync(`mqtt://127.0.0.1:${port}`, { reconnectPeriod: 0, clientId: `c-${Math.random()}` })

interface Result {
  case: string
  published: number
  deliveries: number
  nodeCores: number
  redisCores: number
}

async function run(
  name: string,
  brokers: Broker[],
  /** broker index of each subscriber and its filter */
  subs: { on: number; filter: string | string[] }[],
  redisPid: number | undefined,
): Promise<Result> {
  let deliveries = 0
  const clients: MqttClient[] = []
  for (const s of subs) {
    const c = await connect(brokers[s.on]?.port ?? 0)
    c.on('message', () => void deliveries++)
    await c.subscribeAsync(s.filter, { qos: 1 })
    clients.push(c)
  }
  const pub = await connect(brokers[0]?.port ?? 0)
  clients.push(pub)
  // Subscriptions travel through Redis: wait until a probe reaches every subscriber.
  const expected = subs.filter((s) => [s.filter].flat().some((f) => f.startsWith('acme'))).length
  for (;;) {
    const before = deliveries
    await pub.publishAsync('acme/site/area/line/probe', payload, { qos: 1 })
    await new Promise((r) => setTimeout(r, 200))
    if (deliveries - before >= expected) break
  }
  let published = 0
  let stop = false
  const loop = async (): Promise<void> => {
    const pending = new Set<Promise<unknown>>()
    while (!stop) {
      const p = pub.publishAsync(`acme/site/area/line/cell-${published % 100}/temperature`, payload, {
        qos: 1,
      })
      published++
      pending.add(p)
      void p.finally(() => pending.delete(p))
      if (pending.size >= 100) await Promise.race(pending)
    }
    await Promise.allSettled(pending)
  }
  const d0 = deliveries
  const n0 = sampleCpu(process.pid)
  const r0 = redisPid ? sampleCpu(redisPid) : undefined
  const done = loop()
  await new Promise((r) => setTimeout(r, seconds * 1000))
  const n1 = sampleCpu(process.pid)
  const r1 = redisPid ? sampleCpu(redisPid) : undefined
  const counted = deliveries - d0
  stop = true
  await done
  await Promise.all(clients.map((c) => c.endAsync(true)))
  return {
    case: name,
    published: published / seconds,
    deliveries: counted / seconds,
    nodeCores: cpuCores(n0, n1),
    redisCores: r0 && r1 ? cpuCores(r0, r1) : 0,
  }
}

const results: Result[] = []
{
  const [one] = [await broker(undefined)]
  results.push(
    await run('in-memory, 1 broker, 1 subscriber', [one as Broker], [{ on: 0, filter: 'acme/#' }], undefined),
  )
  await one?.close()
}
const redis = await startRedis()
const redisPid = Number(
  /process_id:(\d+)/.exec(
    execFileSync('redis-cli', ['-p', String(redis.port), 'info', 'server'], { encoding: 'utf8' }),
  )?.[1],
)
try {
  for (const [name, count, subs] of [
    ['Redis, 2 brokers, subscriber on the other', 2, [{ on: 1, filter: 'acme/#' }]],
    ['Redis, 3 brokers, a subscriber on each', 3, [0, 1, 2].map((on) => ({ on, filter: 'acme/#' }))],
    [
      'Redis, 3 brokers, subscriber on 1 + 500 idle patterns',
      3,
      [
        { on: 1, filter: 'acme/#' },
        { on: 2, filter: Array.from({ length: 500 }, (_, i) => `other/${i}/+/#`) },
      ],
    ],
  ] as const) {
    const brokers = await Promise.all(Array.from({ length: count }, () => broker(redis.url)))
    results.push(await run(name, brokers, [...subs], redisPid))
    await Promise.all(brokers.map((b) => b.close()))
  }
} finally {
  await redis.stop()
}

const load = (await import('node:os'))
  .loadavg()
  .map((l) => l.toFixed(1))
  .join(' ')
console.log(
  `redis-fanout: ${seconds} s per case, QoS 1, 100 in flight, ${payload.length}-byte payload; load average ${load}`,
)
console.log('| case | published/s | deliveries/s | Node cores | redis-server cores | redis µs per publish |')
console.log('| --- | --- | --- | --- | --- | --- |')
for (const r of results) {
  const perPublish = r.redisCores > 0 ? ((r.redisCores * 1e6) / r.published).toFixed(1) : '-'
  console.log(
    `| ${r.case} | ${Math.round(r.published)} | ${Math.round(r.deliveries)} | ${r.nodeCores.toFixed(2)} | ${r.redisCores.toFixed(2)} | ${perPublish} |`,
  )
}
process.exit(0)
