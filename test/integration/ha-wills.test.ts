// [issue 15, decision 0050] The Last Wills a SIGKILLed instance leaves in Redis are published by a survivor
// (aedes' broker heartbeat, 5 s when clustered): its Sparkplug host's STATE goes offline and its clients'
// Wills reach subscribers on the other instances. With security on, only a Will the client's grants
// allowed at CONNECT is carried over; a Will on a topic the client may not publish stays unpublished, and
// its refusal does not take the survivor down (it did: aedes emits it as an unhandled `error` event).
import { after, before, describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import mqtt, { type MqttClient } from 'mqtt'
import { startInstance, type ChildInstance } from '../helpers/instance.js'
import { startRedis, type TestRedis } from '../helpers/redis.js'
import { eventually } from '../helpers/service.js'
import { PASSWORD, securityYaml } from './security-helpers.js'

describe('Wills of a SIGKILLed instance, with security on', () => {
  let redis: TestRedis
  let a: ChildInstance
  let b: ChildInstance
  const clients: MqttClient[] = []
  before(async () => {
    redis = await startRedis()
    const file = join(mkdtempSync(join(tmpdir(), 'uns-wills-')), 'config.yaml')
    writeFileSync(file, await securityYaml())
    const env = (id: string) => ({
      UNS_KAFKA_BROKERS: '',
      UNS_CLUSTER_REDIS: redis.url,
      UNS_INSTANCE_ID: `uns-${id}`,
      UNS_SPARKPLUG_HOST_ID: `host-${id}`,
    })
    ;[a, b] = await Promise.all([
      startInstance('uns-a', env('a'), ['--config', file]),
      startInstance('uns-b', env('b'), ['--config', file]),
    ])
    await Promise.all([a.ready(120_000), b.ready(120_000)])
  })
  after(async () => {
    await Promise.all(clients.map((c) => c.endAsync(true)))
    await Promise.all([a?.stop(), b?.stop()])
    await redis?.stop()
  })

  const login = async (url: string, username: string, extra: mqtt.IClientOptions = {}) => {
    const c = await mqtt.connectAsync(url, { username, password: PASSWORD, reconnectPeriod: 0, ...extra })
    clients.push(c)
    return c
  }

  it("publishes the dead instance's STATE offline and the granted Will, not the forbidden one", async (t) => {
    const seen: string[] = []
    const observer = await login(b.mqttUrl, 'admin-1')
    observer.on('message', (topic, payload) => seen.push(`${topic}=${payload.toString()}`))
    await observer.subscribeAsync(['acme/#', 'spBv1.0/STATE/host-a'], { qos: 1 })
    await eventually(
      () => (seen.some((s) => s.includes('STATE/host-a={"online":true')) ? true : undefined),
      20_000,
    )
    // plc-berlin-1 may publish acme/berlin/#; acme/munich/# is granted to nobody but admin.
    await login(a.mqttUrl, 'plc-berlin-1', {
      will: { topic: 'acme/berlin/wills/plc-1', payload: Buffer.from('gone'), qos: 1, retain: false },
    })
    await login(a.mqttUrl, 'plc-berlin-2', {
      will: { topic: 'acme/munich/wills/plc-2', payload: Buffer.from('forged'), qos: 1, retain: false },
    })
    const killedAt = Date.now()
    await a.kill()
    await eventually(
      () =>
        seen.includes('acme/berlin/wills/plc-1=gone') &&
        seen.some((s) => s.includes('STATE/host-a={"online":false'))
          ? true
          : undefined,
      120_000,
    ).catch((err: Error) => {
      throw new Error(
        `${err.message}; seen: ${seen.join(', ')}; uns-b's log: ${readFileSync(b.logFile, 'utf8').slice(-3000)}`,
      )
    })
    t.diagnostic(
      `granted Will and STATE offline published by uns-b ${Date.now() - killedAt} ms after the SIGKILL`,
    )
    // Both Wills were in the same batch of the survivor; give a later pass the chance to publish it anyway.
    await new Promise((r) => setTimeout(r, 2000))
    assert.ok(!seen.some((s) => s.startsWith('acme/munich/')), `forbidden Will published: ${seen.join(', ')}`)
    // The refusal neither crashed the survivor (aedes emits it as an `error` event) nor stays to be retried.
    assert.ok(b.running, 'uns-b is still running')
    assert.ok((await fetch(`${b.httpUrl}/health/ready`)).ok)
  })
})
