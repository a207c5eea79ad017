// Shared by the Sparkplug integration tests: edge nodes and observers as real mqtt.js clients.
import mqtt, { type IClientPublishOptions, type MqttClient } from 'mqtt'
import { ndeath } from '../fixtures/sparkplug/index.js'

export interface Received {
  topic: string
  payload: Buffer
  retain: boolean
  qos: number
}

/** Everything `client` receives on `filter`, in order, from now on. */
export async function record(client: MqttClient, filter: string): Promise<Received[]> {
  const got: Received[] = []
  client.on('message', (topic, payload, packet) => {
    if (matches(filter, topic)) got.push({ topic, payload, retain: packet.retain, qos: packet.qos })
  })
  await client.subscribeAsync(filter, { qos: 1 })
  return got
}

function matches(filter: string, topic: string): boolean {
  const f = filter.split('/')
  const t = topic.split('/')
  for (let i = 0; i < f.length; i++) {
    if (f[i] === '#') return true
    if (f[i] !== '+' && f[i] !== t[i]) return false
  }
  return f.length === t.length
}

/** An edge node as a Sparkplug edge would connect: will = NDEATH with its bdSeq, QoS 1, not retained. */
export async function connectEdge(
  mqttUrl: string,
  group: string,
  edge: string,
  bdSeq: number,
): Promise<MqttClient> {
  return mqtt.connectAsync(mqttUrl, {
    clientId: `edge-${group}-${edge}-${Math.random()}`,
    reconnectPeriod: 0,
    clean: true,
    // [tck-id-message-flow-edge-node-birth-publish-will-message, -will-message-qos, -will-retained]
    will: {
      topic: `spBv1.0/${group}/NDEATH/${edge}`,
      payload: Buffer.from(ndeath(bdSeq)),
      qos: 1,
      retain: false,
    },
  })
}

export async function send(
  client: MqttClient,
  topic: string,
  payload: Uint8Array,
  opts: IClientPublishOptions = { qos: 1 },
): Promise<void> {
  await client.publishAsync(topic, Buffer.from(payload), opts)
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms))
