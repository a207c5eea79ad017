// MQTT publish throughput with authentication and access rules on vs off (issue 12 goal: on >= 95 % of off).
// Two services in this process, without Kafka, so the broker, the hooks and the pipeline are what is measured:
// `off` with nothing configured (open mode: anonymous, full access, the Sparkplug guard still on), `on` with
// users, the roles and the limits at their defaults. A raw-socket publisher keeps `window` QoS 1
// PUBLISHes in flight (client cost near zero, so the broker's share is as large as it gets), and one
// subscriber receives everything (so every delivery passes authorizeForward). Workloads: JSON values on
// UNS paths, and Sparkplug DDATA (one edge node, one device, 3 metrics). Each round runs 1 s slices of each
// mode in turn, alternating which goes first, so that drift in the machine's load hits both alike; besides
// throughput it reports this process's CPU time per message, the steadier measure on a shared machine.
// Run: npx tsx bench/security.bench.ts [slicesOf1s=10] [rounds=3]
import { execSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { connect, type Socket } from 'node:net'
import { loadavg, tmpdir } from 'node:os'
import { join } from 'node:path'
import { loadConfig } from '../src/config/index.js'
import { createLogger } from '../src/logger.js'
import { createService, type Service } from '../src/index.js'
import { hashPassword } from '../src/security/index.js'
import { dbirth, ddata, nbirth } from '../test/fixtures/sparkplug/index.js'

const seconds = Number(process.argv[2] ?? 10)
const rounds = Number(process.argv[3] ?? 3)
const WINDOW = 64
const sh = (cmd: string): string => {
  try {
    return execSync(cmd, { encoding: 'utf8' }).trim()
  } catch {
    return '?'
  }
}
const loadAtStart = loadavg()

// --- the two services ------------------------------------------------------------------------------------
const PASSWORD = 'bench-password'
// Both services: the bench measures authentication and rules, not the rate limit (10,000/s per client by default).
const LIMITS = '{ publishesPerSecond: 1000000, publishBurst: 1000000 }'
async function start(secured: boolean): Promise<Service> {
  const file = join(mkdtempSync(join(tmpdir(), 'uns-bench-sec-')), 'config.yaml')
  const hash = await hashPassword(PASSWORD)
  writeFileSync(
    file,
    secured
      ? `security:
  limits: ${LIMITS}
  users:
    - { username: bench-edge, password: "${hash}", roles: [edge] }
    - { username: bench-reader, password: "${hash}", roles: [reader] }
  roles:
    edge: { publish: ["acme/bench/#", "spBv1.0/acme-bench/#"], subscribe: ["spBv1.0/STATE/#", "spBv1.0/acme-bench/NCMD/#"] }
    reader: { subscribe: ["acme/#", "spBv1.0/#"], read: ["acme/#"] }
`
      : `security:\n  limits: ${LIMITS}\n`,
  )
  const config = loadConfig({
    file,
    env: { UNS_MQTT_PORT: '0', UNS_HTTP_PORT: '0', UNS_INSTANCE_ID: secured ? 'bench-on' : 'bench-off' },
  })
  return createService({ logger: createLogger('silent') }, config)
}

// --- raw MQTT 3.1.1 -----------------------------------------------------------------------------------------
const str = (s: string): Buffer =>
  Buffer.concat([Buffer.from([s.length >> 8, s.length & 255]), Buffer.from(s)])
const varint = (n: number): Buffer => {
  const out: number[] = []
  do {
    let b = n % 128
    n = Math.floor(n / 128)
    if (n > 0) b |= 128
    out.push(b)
  } while (n > 0)
  return Buffer.from(out)
}
const packet = (h: number, body: Buffer) => Buffer.concat([Buffer.from([h]), varint(body.length), body])
const connectPacket = (id: string, user?: string) =>
  packet(
    0x10,
    Buffer.concat([
      str('MQTT'),
      Buffer.from([4, user === undefined ? 0x02 : 0xc2, 0, 0]),
      str(id),
      ...(user === undefined ? [] : [str(user), str(PASSWORD)]),
    ]),
  )
const publish1 = (topic: string, payload: Uint8Array, id: number) =>
  packet(0x32, Buffer.concat([str(topic), Buffer.from([id >> 8, id & 255]), Buffer.from(payload)]))

/** Connects; resolves once the CONNACK accepted it. */
function open(port: number, id: string, user: string | undefined): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port }, () => socket.write(connectPacket(id, user)))
    socket.once('data', (d: Buffer) =>
      d[0] === 0x20 && d[3] === 0 ? resolve(socket) : reject(new Error(`CONNACK ${String(d[3])}`)),
    )
    socket.once('error', reject)
  })
}

/** Publishes `next()` QoS 1 with WINDOW in flight for `durationS`, then waits for the last PUBACK. */
function closedLoop(
  socket: Socket,
  next: () => { topic: string; payload: Uint8Array },
  durationS: number,
): Promise<Slice> {
  const cpu = process.cpuUsage()
  let sent = 0
  let acked = 0
  let rest = 0
  const started = performance.now()
  const deadline = started + durationS * 1000
  return new Promise((resolve, reject) => {
    const send = () => {
      const parts: Buffer[] = []
      while (sent - acked < WINDOW && performance.now() < deadline) {
        const m = next()
        parts.push(publish1(m.topic, m.payload, (nextId = (nextId % 65535) + 1)))
        sent++
      }
      if (parts.length > 0) socket.write(Buffer.concat(parts))
    }
    const onData = (d: Buffer) => {
      // Only PUBACKs come back (4 bytes each: 0x40 0x02 id id).
      const bytes = rest + d.length
      acked += Math.floor(bytes / 4)
      rest = bytes % 4
      if (performance.now() < deadline) send()
      else if (acked === sent) done()
    }
    const onClose = () => reject(new Error('the broker closed the publisher (a limit?); see the log'))
    const done = () => {
      socket.off('data', onData)
      socket.off('close', onClose)
      const used = process.cpuUsage(cpu)
      resolve({ acked, seconds: (performance.now() - started) / 1000, cpuUs: used.user + used.system })
    }
    socket.on('data', onData)
    socket.once('close', onClose)
    send()
  })
}
let nextId = 0
/** One measured slice: PUBACKs, wall time, and CPU time of this process (both services, the clients). */
interface Slice {
  acked: number
  seconds: number
  cpuUs: number
}

// --- workloads: a connected publisher that runs for a given time -------------------------------------------
type Publisher = (durationS: number) => Promise<Slice>
const JSON_TOPICS = Array.from({ length: 100 }, (_, i) => `acme/bench/line-${i % 10}/cell-${i % 7}/temp-${i}`)
const jsonPayload = Buffer.from('21.5')

async function jsonPublisher(service: Service, user: string | undefined): Promise<Publisher> {
  const s = await open(service.mqttPort, `json-${Math.random()}`, user)
  let i = 0
  return (d) => closedLoop(s, () => ({ topic: JSON_TOPICS[i++ % 100] as string, payload: jsonPayload }), d)
}

let edgeSerial = 0
async function sparkplugPublisher(service: Service, user: string | undefined): Promise<Publisher> {
  const edge = `E${++edgeSerial}`
  const s = await open(service.mqttPort, `spb-${edge}`, user)
  const base = `spBv1.0/acme-bench`
  // A birth first (one client per edge node, as the Sparkplug guard and the specification expect).
  s.write(publish1(`${base}/NBIRTH/${edge}`, nbirth({ bdSeq: 0, seq: 0 }), 1))
  s.write(publish1(`${base}/DBIRTH/${edge}/D1`, dbirth(1), 2))
  await new Promise<void>((resolve) => {
    let bytes = 0
    const onAck = (d: Buffer) => {
      bytes += d.length
      if (bytes < 8) return
      s.off('data', onAck)
      resolve()
    }
    s.on('data', onAck)
  })
  let seq = 2
  return (d) =>
    closedLoop(
      s,
      () => ({ topic: `${base}/DDATA/${edge}/D1`, payload: ddata(seq++ % 256, seq % 1000, seq) }),
      d,
    )
}

// --- the run ----------------------------------------------------------------------------------------------
const off = await start(false)
const on = await start(true)
// One subscriber per service on everything a reader sees: every delivery runs authorizeForward.
const subscribe = async (service: Service, user: string | undefined) => {
  const s = await open(service.mqttPort, `sub-${Math.random()}`, user)
  s.write(packet(0x82, Buffer.concat([Buffer.from([0, 1]), str('acme/#'), Buffer.from([0])])))
  s.write(packet(0x82, Buffer.concat([Buffer.from([0, 2]), str('spBv1.0/#'), Buffer.from([0])])))
  s.resume()
  return s
}
const subs = [await subscribe(off, undefined), await subscribe(on, 'bench-reader')]
const users = { off: undefined, on: 'bench-edge' } as const
const services = { off, on } as const
// Warm-up: the credential cache, JIT, and the namespace nodes the JSON topics create.
for (const mode of ['off', 'on'] as const) await (await jsonPublisher(services[mode], users[mode]))(2)

// Each round: per workload, `seconds` slices of 1 s per mode, alternating which goes first, so drift in the
// machine's load (shared with other work) falls on both alike.
const results: { round: number; workload: string; mode: string; rate: number; cpuUsPerMsg: number }[] = []
const branch = sh('git rev-parse --abbrev-ref HEAD')
for (let round = 1; round <= rounds; round++) {
  for (const workload of ['json', 'sparkplug'] as const) {
    const make = workload === 'json' ? jsonPublisher : sparkplugPublisher
    const pubs = { off: await make(off, users.off), on: await make(on, users.on) }
    const total = { off: { acked: 0, seconds: 0, cpuUs: 0 }, on: { acked: 0, seconds: 0, cpuUs: 0 } }
    for (let slice = 0; slice < seconds; slice++) {
      const order = (slice + round) % 2 === 0 ? (['off', 'on'] as const) : (['on', 'off'] as const)
      for (const mode of order) {
        const r = await pubs[mode](1)
        total[mode].acked += r.acked
        total[mode].seconds += r.seconds
        total[mode].cpuUs += r.cpuUs
      }
    }
    for (const mode of ['off', 'on'] as const) {
      const rate = total[mode].acked / total[mode].seconds
      const cpuUsPerMsg = total[mode].cpuUs / total[mode].acked
      results.push({ round, workload, mode, rate, cpuUsPerMsg })
      console.log(
        `${branch},${workload},${mode},round ${round},${Math.round(rate)},msg/s,${cpuUsPerMsg.toFixed(1)},cpu us/msg`,
      )
    }
  }
}
for (const s of subs) s.destroy()
await on.close()
await off.close()

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN
const pct = (r: number) => `${(r * 100).toFixed(0)} %`
console.log(
  '\n| workload | msg/s off (per round) | msg/s on (per round) | on/off | CPU µs/msg off | CPU µs/msg on | off/on CPU per msg | median on/off (msg/s, CPU) |',
)
console.log('| --- | --- | --- | --- | --- | --- | --- | --- |')
for (const workload of ['json', 'sparkplug']) {
  const pick = (mode: string) => results.filter((r) => r.workload === workload && r.mode === mode)
  const o = pick('off')
  const n = pick('on')
  const wall = n.map((x, i) => x.rate / (o[i]?.rate ?? NaN))
  const cpu = n.map((x, i) => (o[i]?.cpuUsPerMsg ?? NaN) / x.cpuUsPerMsg)
  const list = (xs: number[], f: (x: number) => string) => xs.map(f).join(' / ')
  console.log(
    `| ${workload} | ${list(
      o.map((x) => x.rate),
      (x) => String(Math.round(x)),
    )} | ${list(
      n.map((x) => x.rate),
      (x) => String(Math.round(x)),
    )} | ${list(wall, pct)} | ${list(
      o.map((x) => x.cpuUsPerMsg),
      (x) => x.toFixed(1),
    )} | ${list(
      n.map((x) => x.cpuUsPerMsg),
      (x) => x.toFixed(1),
    )} | ${list(cpu, pct)} | ${pct(median(wall))}, ${pct(median(cpu))} |`,
  )
}
const show = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ')
console.log(
  `\nload average at start ${show(loadAtStart)}, at end ${show(loadavg())}; ${sh('nproc')} cores; Node ${process.version}; git ${sh('git rev-parse --short HEAD')} (${branch}); ${seconds} x 1 s slices per mode, workload and round; window ${WINDOW}`,
)
