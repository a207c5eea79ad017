// A Sparkplug B edge node with its devices on one MQTT connection, as the spec asks of a real one
// (Sparkplug B 3.0 §6-7): NDEATH will with bdSeq, subscribe NCMD/DCMD, NBIRTH then DBIRTHs, alias-only
// DDATA with seq 0-255, Rebirth on request, DCMD writes applied and reported back in DDATA.
import mqtt, { type MqttClient } from 'mqtt'
import type { DeviceSpec, EdgeSpec } from './layouts.js'
import {
  DataType,
  birthMetric,
  createSimMetric,
  dataMetric,
  decodePayload,
  encodePayload,
  readCommandValue,
  step,
  type IMetric,
  type SimMetric,
  type SimValue,
} from './sim-metric.js'

const NS = 'spBv1.0'
const REBIRTH = 'Node Control/Rebirth'

export interface EdgeNodeOptions {
  readonly url: string
  /** QoS of DDATA; births go out with QoS 0 and the will with QoS 1 [tck-id-topics-nbirth-mqtt]. */
  readonly qos: 0 | 1
  /** Every metric in every DDATA (benchmarks) instead of report by exception. */
  readonly reportAll?: boolean
  /** Births wait for this host's STATE `online: true` [tck-id-operational-behavior-primary-application-state-with-multiple-servers-state]. */
  readonly primaryHostId?: string
  readonly log?: (line: string) => void
  /** Called on every PUBACK of a QoS 1 DDATA, with the `performance.now()` of its publish. */
  readonly onAck?: (sentAt: number) => void
  readonly now?: () => number
}

export interface EdgeStats {
  dataMessages: number
  metricUpdates: number
  births: number
  rebirthRequests: number
  writes: number
  /** QoS 1 DDATA sent and not yet acknowledged. */
  inFlight: number
}

export interface EdgeNode {
  readonly spec: EdgeSpec
  readonly stats: EdgeStats
  /** bdSeq of the current MQTT session. */
  readonly bdSeq: number
  /** Births sent in this session: DDATA flows. */
  readonly born: boolean
  /** One DDATA per device with its changed metrics; returns how many messages went out. */
  publishData(): number
  value(device: string, metric: string): SimValue | undefined
  /** Publishes NDEATH and disconnects [tck-id-operational-behavior-edge-node-intentional-disconnect-ndeath]. */
  stop(): Promise<void>
}

interface SimDevice {
  readonly spec: DeviceSpec
  readonly metrics: SimMetric[]
  readonly byName: Map<string, SimMetric>
  readonly byAlias: Map<number, SimMetric>
}

export async function startEdgeNode(spec: EdgeSpec, o: EdgeNodeOptions): Promise<EdgeNode> {
  const now = o.now ?? Date.now
  const log = o.log ?? (() => {})
  const topic = (type: string, device?: string): string =>
    `${NS}/${spec.group}/${type}/${spec.edge}${device === undefined ? '' : `/${device}`}`

  // Aliases are unique across the edge node and all its devices [tck-id-payloads-alias-uniqueness].
  let nextAlias = 1
  const nodeMetrics = spec.nodeMetrics.map((m) => createSimMetric(m, nextAlias++))
  const devices = new Map<string, SimDevice>()
  for (const d of spec.devices) {
    const metrics = d.metrics.map((m) => createSimMetric(m, nextAlias++))
    devices.set(d.name, {
      spec: d,
      metrics,
      byName: new Map(metrics.map((m) => [m.spec.name, m])),
      byAlias: new Map(metrics.map((m) => [m.alias, m])),
    })
  }

  const stats: EdgeStats = {
    dataMessages: 0,
    metricUpdates: 0,
    births: 0,
    rebirthRequests: 0,
    writes: 0,
    inFlight: 0,
  }
  let bdSeq = 0
  let seq = 0
  let born = false
  let hostOnline = o.primaryHostId === undefined
  let stopping = false
  const nextSeq = (): number => {
    const s = seq
    seq = (seq + 1) % 256 // [tck-id-payloads-sequence-num-incrementing]
    return s
  }

  // The will carries the bdSeq of this session; NBIRTH repeats it [tck-id-payloads-ndeath-will-message].
  const deathPayload = (): Buffer =>
    Buffer.from(
      encodePayload({
        timestamp: now(),
        metrics: [{ name: 'bdSeq', datatype: DataType.Int64, longValue: bdSeq }],
      }),
    )
  const client: MqttClient = mqtt.connect(o.url, {
    clientId: `sim-${spec.group}-${spec.edge}-${process.pid}`,
    clean: true, // [tck-id-principles-persistence-clean-session-311]
    reconnectPeriod: 1000,
    will: { topic: topic('NDEATH'), payload: deathPayload(), qos: 1, retain: false },
  })

  function publishBirths(): void {
    seq = 0 // NBIRTH has seq 0 [tck-id-payloads-nbirth-seq]
    const t = now()
    const nbirth: IMetric[] = [
      { name: 'bdSeq', datatype: DataType.Int64, longValue: bdSeq, timestamp: t },
      { name: REBIRTH, datatype: DataType.Boolean, booleanValue: false, timestamp: t },
      ...nodeMetrics.map((m) => birthMetric(m, t)),
    ]
    client.publish(
      topic('NBIRTH'),
      Buffer.from(encodePayload({ timestamp: t, seq: nextSeq(), metrics: nbirth })),
      { qos: 0 },
    )
    for (const d of devices.values()) {
      const metrics = d.metrics.map((m) => ((m.dirty = false), birthMetric(m, t)))
      client.publish(
        topic('DBIRTH', d.spec.name),
        Buffer.from(encodePayload({ timestamp: t, seq: nextSeq(), metrics })),
        { qos: 0 },
      )
    }
    stats.births++
    born = true
  }

  function sendData(d: SimDevice, metrics: IMetric[], t: number): void {
    const payload = Buffer.from(encodePayload({ timestamp: t, seq: nextSeq(), metrics }))
    stats.dataMessages++
    stats.metricUpdates += metrics.length
    if (o.qos === 0) return void client.publish(topic('DDATA', d.spec.name), payload, { qos: 0 })
    stats.inFlight++
    const sentAt = performance.now()
    client.publish(topic('DDATA', d.spec.name), payload, { qos: 1 }, () => {
      stats.inFlight--
      o.onAck?.(sentAt)
    })
  }

  function handleCommand(type: 'NCMD' | 'DCMD', device: string | undefined, bytes: Buffer): void {
    let payload
    try {
      payload = decodePayload(bytes)
    } catch (err) {
      return log(`${spec.edge}: undecodable ${type} ignored (${(err as Error).message})`)
    }
    if (type === 'NCMD') {
      for (const m of payload.metrics) {
        if (m.name === REBIRTH && m.booleanValue === true) {
          stats.rebirthRequests++
          log(`${spec.group}/${spec.edge}: Rebirth requested`)
          if (born || hostOnline) publishBirths()
        }
      }
      return
    }
    const d = device === undefined ? undefined : devices.get(device)
    if (!d) return log(`${spec.edge}: DCMD for unknown device ${device ?? ''} ignored`)
    const t = now()
    const written: IMetric[] = []
    for (const m of payload.metrics) {
      const target = m.name ? d.byName.get(m.name) : d.byAlias.get(Number(m.alias?.toString() ?? 0))
      const value = target ? readCommandValue(m, target.spec.datatype) : undefined
      if (!target || value === undefined || !target.spec.writable) {
        log(
          `${spec.edge}/${d.spec.name}: write to ${m.name || String(m.alias)} refused (unknown, read-only or no value)`,
        )
        continue
      }
      target.value = value
      stats.writes++
      // Not born (host offline): the value goes out with the first DDATA after the births.
      target.dirty = !born
      written.push(dataMetric(target, t))
    }
    // The device reports the applied value at once, as the next DDATA.
    if (written.length > 0 && born) sendData(d, written, t)
  }

  client.on('message', (t, payload) => {
    const parts = t.split('/')
    if (parts[1] === 'STATE') {
      const online = parseOnline(payload)
      if (online && !hostOnline) {
        hostOnline = true
        if (!born) publishBirths()
      } else if (!online) {
        hostOnline = false
        born = false
      }
      return
    }
    const type = parts[2]
    if (type === 'NCMD' || type === 'DCMD') handleCommand(type, parts[4], payload)
  })
  client.on('connect', () => {
    const subs = [topic('NCMD'), `${topic('DCMD')}/+`]
    if (o.primaryHostId !== undefined) subs.push(`${NS}/STATE/${o.primaryHostId}`)
    // Subscribe before the birth, so no command sent in reply to it is missed.
    client.subscribe(subs, { qos: 1 }, (err) => {
      if (err) return log(`${spec.edge}: subscribe failed: ${err.message}`)
      if (hostOnline) publishBirths()
    })
  })
  client.on('close', () => {
    if (born) log(`${spec.group}/${spec.edge}: disconnected`)
    born = false
    stats.inFlight = 0
    if (stopping) return
    // A new MQTT session gets the next bdSeq, in its will and in its NBIRTH.
    bdSeq = (bdSeq + 1) % 256
    if (client.options.will) client.options.will.payload = deathPayload()
  })
  client.on('error', (err) => log(`${spec.edge}: ${err.message}`))
  await new Promise<void>((resolve, reject) => {
    client.once('connect', () => resolve())
    client.once('error', reject)
  })

  return {
    spec,
    stats,
    get bdSeq() {
      return bdSeq
    },
    get born() {
      return born
    },
    publishData() {
      if (!born) return 0
      const t = now()
      let sent = 0
      for (const d of devices.values()) {
        const metrics: IMetric[] = []
        for (const m of d.metrics) {
          if (step(m) || o.reportAll === true || m.dirty) metrics.push(dataMetric(m, t))
          m.dirty = false
        }
        if (metrics.length === 0) continue
        sendData(d, metrics, t)
        sent++
      }
      return sent
    },
    value: (device, metric) => devices.get(device)?.byName.get(metric)?.value,
    async stop() {
      if (stopping) return
      stopping = true
      if (client.connected)
        await client.publishAsync(topic('NDEATH'), deathPayload(), { qos: 1 }).catch(() => undefined)
      born = false
      await client.endAsync()
    },
  }
}

function parseOnline(payload: Buffer): boolean {
  try {
    return (JSON.parse(payload.toString()) as { online?: unknown }).online === true
  } catch {
    return false
  }
}
