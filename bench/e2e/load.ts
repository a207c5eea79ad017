// Load generator child process of the e2e bench: Sparkplug B edge nodes (the simulator's, 1 device x
// 10 metrics, every metric in every DDATA) and plain-JSON clients, QoS 1, against one MQTT URL.
// Closed loop (`window` publishes in flight per client) finds the maximum; open loop (`rates`) paces.
// Reads its plan as JSON in argv[2]; prints one JSON line of totals when done.
import { createHistogram } from 'node:perf_hooks'
import mqtt, { type MqttClient } from 'mqtt'
import { startEdgeNode, type EdgeNode } from '../../scripts/simulator/edge-node.js'
import { buildLayout } from '../../scripts/simulator/layouts.js'

export interface LoadPlan {
  readonly url: string
  readonly sparkplugClients: number
  /** Devices per Sparkplug edge node, each its own DDATA (default 1). */
  readonly devices?: number
  readonly jsonClients: number
  readonly metricsPerMessage: number
  /** Publishes in flight per client (closed loop); ignored when rates are given. */
  readonly window: number
  /** Open loop: messages/s per Sparkplug client and per JSON client. */
  readonly rates?: { readonly sparkplug: number; readonly json: number }
  readonly warmupS: number
  readonly durationS: number
  /** Sparkplug group of the edges; JSON topics are `${jsonPrefix}/c{i}/t{k}`. */
  readonly group: string
  readonly jsonPrefix: string
}

export interface LoadResult {
  /** Epoch ms when the measured window started and ended (publish time). */
  readonly windowStart: number
  readonly windowEnd: number
  /** Acknowledged inside the window. */
  readonly sparkplugAcked: number
  readonly jsonAcked: number
  /** Everything sent (all acknowledged at the end: the loader drains before it reports). */
  readonly sparkplugSent: number
  readonly jsonSent: number
  readonly births: number
  readonly drained: boolean
  /** Publish to PUBACK p50/p95/p99 of every QoS 1 publish (Sparkplug and JSON) inside the window, ms: the service and Kafka without the reader. */
  readonly pubackMs: readonly [number, number, number]
}

const JSON_TAGS = 10

interface JsonClient {
  readonly client: MqttClient
  readonly index: number
  sent: number
  acked: number
  inFlight: number
}

async function main(plan: LoadPlan): Promise<LoadResult> {
  let measuring = false
  let spAcked = 0
  let jsonAcked = 0
  let stopped = false
  const layout = buildLayout({
    layout: 'generic',
    edges: plan.sparkplugClients,
    devices: plan.devices ?? 1,
    metrics: plan.metricsPerMessage,
    group: plan.group,
  })
  const edges: EdgeNode[] = []
  const puback = createHistogram()
  const recordPuback = (sentAt: number): void => {
    if (measuring) puback.record(Math.max(1, Math.round((performance.now() - sentAt) * 1000)))
  }
  const refillEdge = (e: EdgeNode): void => {
    if (plan.rates || stopped) return
    while (e.born && e.stats.inFlight < plan.window) e.publishData()
  }
  for (const spec of layout) {
    const holder: { e?: EdgeNode } = {}
    const e = await startEdgeNode(spec, {
      url: plan.url,
      qos: 1,
      reportAll: true,
      onAck: (sentAt) => {
        recordPuback(sentAt)
        if (measuring) spAcked++
        if (holder.e) refillEdge(holder.e)
      },
    })
    holder.e = e
    edges.push(e)
  }
  const jsonClients: JsonClient[] = []
  for (let i = 0; i < plan.jsonClients; i++) {
    const client = await mqtt.connectAsync(plan.url, {
      clientId: `bench-json-${i}-${process.pid}`,
      reconnectPeriod: 0,
    })
    jsonClients.push({ client, index: i, sent: 0, acked: 0, inFlight: 0 })
  }
  const sendJson = (c: JsonClient): void => {
    const sentAt = performance.now()
    const n = c.sent++
    c.inFlight++
    // value = per-client message number: the checker finds loss, duplicates and order per key with it.
    const payload = `{"value":${n},"timestamp":${Date.now()},"quality":"good"}`
    c.client.publish(`${plan.jsonPrefix}/c${c.index}/t${n % JSON_TAGS}`, payload, { qos: 1 }, () => {
      c.inFlight--
      recordPuback(sentAt)
      c.acked++
      if (measuring) jsonAcked++
      if (!plan.rates && !stopped) refillJson(c)
    })
  }
  const refillJson = (c: JsonClient): void => {
    while (c.inFlight < plan.window) sendJson(c)
  }

  // Births travel with QoS 0: give the host a moment to take them before data flows.
  await new Promise((r) => setTimeout(r, 500))
  let timer: NodeJS.Timeout | undefined
  if (plan.rates) {
    const rates = plan.rates
    let due = 0
    let dueJson = 0
    let last = performance.now()
    timer = setInterval(() => {
      const t = performance.now()
      due += ((t - last) * rates.sparkplug) / 1000
      dueJson += ((t - last) * rates.json) / 1000
      last = t
      for (; due >= 1; due--) for (const e of edges) e.publishData()
      for (; dueJson >= 1; dueJson--) for (const c of jsonClients) sendJson(c)
    }, 5)
  } else {
    edges.forEach(refillEdge)
    jsonClients.forEach(refillJson)
  }
  await new Promise((r) => setTimeout(r, plan.warmupS * 1000))
  measuring = true
  const windowStart = Date.now()
  process.stdout.write('window-start\n')
  await new Promise((r) => setTimeout(r, plan.durationS * 1000))
  measuring = false
  const windowEnd = Date.now()
  process.stdout.write('window-end\n')
  stopped = true
  if (timer) clearInterval(timer)
  // Drain: every publish sent is acknowledged before the totals go out (what the checker must find).
  const deadline = Date.now() + 30000
  const inFlight = (): number =>
    edges.reduce((n, e) => n + e.stats.inFlight, 0) + jsonClients.reduce((n, c) => n + c.inFlight, 0)
  while (inFlight() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50))
  const drained = inFlight() === 0
  const result: LoadResult = {
    windowStart,
    windowEnd,
    sparkplugAcked: spAcked,
    jsonAcked,
    sparkplugSent: edges.reduce((n, e) => n + e.stats.dataMessages, 0),
    jsonSent: jsonClients.reduce((n, c) => n + c.sent, 0),
    births: edges.reduce((n, e) => n + e.stats.births, 0),
    drained,
    pubackMs: [puback.percentile(50) / 1000, puback.percentile(95) / 1000, puback.percentile(99) / 1000],
  }
  await Promise.all([...edges.map((e) => e.stop()), ...jsonClients.map((c) => c.client.endAsync(true))])
  return result
}

const plan = JSON.parse(process.argv[2] ?? '{}') as LoadPlan
const result = await main(plan)
process.stdout.write(`${JSON.stringify(result)}\n`)
process.exit(0)
