// [issue 15] docker-compose.yml without a Docker engine: the file parses, the `ha` profile has 3 uns-bridge
// instances, Redis and 3 KRaft Kafka brokers that point at each other consistently, every UNS_* setting
// is one the config schema knows and loads (with the Dockerfile's own settings), and no two services
// publish the same host port. What it cannot show: that the images start (that needs Docker).
import { describe, it } from 'node:test'
import assert from 'node:assert/strict'
import { readFileSync } from 'node:fs'
import { parse } from 'yaml'
import { envSettings, ConfigSchema, loadConfig } from '../src/config/index.js'

interface ComposeService {
  profiles?: string[]
  image?: string
  build?: string
  command?: string[]
  environment?: Record<string, string | number>
  ports?: string[]
  depends_on?: Record<string, { condition: string }>
  healthcheck?: { test: string[] }
  volumes?: string[]
}
interface Compose {
  services: Record<string, ComposeService>
  volumes: Record<string, unknown>
}

const compose = parse(readFileSync(new URL('../docker-compose.yml', import.meta.url), 'utf8')) as Compose
const dockerfile = readFileSync(new URL('../Dockerfile', import.meta.url), 'utf8')
const env = (name: string): Record<string, string> =>
  Object.fromEntries(
    Object.entries(compose.services[name]?.environment ?? {}).map(([k, v]) => [k, String(v)]),
  )
const ha = Object.entries(compose.services).filter(([, s]) => s.profiles?.includes('ha'))
const names = (prefix: string): string[] => ha.map(([n]) => n).filter((n) => n.startsWith(prefix))

describe('docker-compose.yml, profile ha', () => {
  it('has 3 uns-bridge instances, Redis and 3 Kafka brokers, all in the ha profile only', () => {
    assert.deepEqual(names('uns-'), ['uns-a', 'uns-b', 'uns-c'])
    assert.deepEqual(names('kafka-'), ['kafka-1', 'kafka-2', 'kafka-3'])
    assert.deepEqual(names('redis'), ['redis'])
    // The single-node services stay without a profile (`docker compose up` as before).
    assert.equal(compose.services.kafka?.profiles, undefined)
    assert.equal(compose.services['uns-bridge']?.profiles, undefined)
  })

  it('forms one KRaft quorum of the 3 brokers, replication 3 and min.insync.replicas 2', () => {
    const brokers = names('kafka-')
    const voters = brokers.map((n) => `${n.slice('kafka-'.length)}@${n}:9093`).join(',')
    const ids = new Set<string>()
    for (const n of brokers) {
      const e = env(n)
      const id = n.slice('kafka-'.length)
      assert.equal(e.KAFKA_NODE_ID, id, `${n} node id`)
      ids.add(e.KAFKA_NODE_ID ?? '')
      assert.equal(e.KAFKA_PROCESS_ROLES, 'broker,controller')
      assert.equal(e.KAFKA_CONTROLLER_QUORUM_VOTERS, voters, `${n} knows the 3 voters`)
      assert.equal(e.CLUSTER_ID, env('kafka-1').CLUSTER_ID, `${n} is in kafka-1's cluster`)
      assert.match(e.KAFKA_ADVERTISED_LISTENERS ?? '', new RegExp(`INTERNAL://${n}:9092`))
      // The EXTERNAL listener port is the one published, the same inside and outside.
      const external = /EXTERNAL:\/\/:(\d+)/.exec(e.KAFKA_LISTENERS ?? '')?.[1]
      assert.ok(external !== undefined)
      assert.match(e.KAFKA_ADVERTISED_LISTENERS ?? '', new RegExp(`EXTERNAL://localhost:${external}$`))
      assert.deepEqual(compose.services[n]?.ports, [`${external}:${external}`])
      assert.equal(e.KAFKA_DEFAULT_REPLICATION_FACTOR, '3')
      assert.equal(e.KAFKA_MIN_INSYNC_REPLICAS, '2')
      assert.equal(e.KAFKA_OFFSETS_TOPIC_REPLICATION_FACTOR, '3')
      assert.ok(compose.services[n]?.healthcheck, `${n} has a healthcheck`)
      const volume = compose.services[n]?.volumes?.[0]?.split(':')[0] ?? ''
      assert.ok(volume in compose.volumes, `${n}'s volume ${volume} is declared`)
    }
    assert.equal(ids.size, 3)
    // A Kafka cluster id is a base64url UUID: 16 bytes.
    assert.equal(Buffer.from(env('kafka-1').CLUSTER_ID ?? '', 'base64url').length, 16)
    assert.ok(!(env('kafka-1').CLUSTER_ID ?? '').startsWith('-'))
  })

  it('points every instance at Redis and the 3 brokers, with one consumer group and its own ids', () => {
    const known = new Set(envSettings(ConfigSchema).map((s) => s.name))
    // The Dockerfile's own settings (UNS_HOST=0.0.0.0) apply to every container built from it.
    const imageEnv = Object.fromEntries(
      [...dockerfile.matchAll(/^ENV (UNS_[A-Z_]+)=(\S+)$/gm)].map((m) => [m[1] ?? '', m[2] ?? '']),
    )
    const redisPort = 6379
    const instanceIds = new Set<string>()
    const hostIds = new Set<string>()
    const groups = new Set<string>()
    for (const n of names('uns-')) {
      const e = env(n)
      for (const key of Object.keys(e))
        assert.ok(known.has(key), `${n}: ${key} is a setting of the config schema`)
      const config = loadConfig({ env: { ...imageEnv, ...e } })
      assert.deepEqual(
        config.kafka.brokers,
        names('kafka-').map((b) => `${b}:9092`),
      )
      assert.equal(config.cluster.redis, `redis://redis:${redisPort}`)
      instanceIds.add(config.instanceId)
      hostIds.add(config.sparkplug.hostId)
      groups.add(config.kafka.consumerGroup)
      const deps = Object.keys(compose.services[n]?.depends_on ?? {}).sort()
      assert.deepEqual(deps, ['kafka-1', 'kafka-2', 'kafka-3', 'redis'], `${n} waits for Redis and Kafka`)
      for (const d of Object.values(compose.services[n]?.depends_on ?? {}))
        assert.equal(d.condition, 'service_healthy')
      assert.equal(compose.services[n]?.build, '.')
      // Container ports are the defaults the config gives (MQTT 1883, HTTP 8080).
      const inside = (compose.services[n]?.ports ?? []).map((p) => Number(p.split(':')[1])).sort()
      assert.deepEqual(
        inside,
        [config.mqtt.port, config.http.port].sort((a, b) => a - b),
      )
    }
    assert.equal(instanceIds.size, 3, 'each instance has its own instanceId')
    assert.equal(hostIds.size, 3, 'each instance has its own Sparkplug host id (decision 0050)')
    assert.equal(groups.size, 1, 'all instances are in one consumer group')
    assert.ok(compose.services.redis?.healthcheck)
  })

  it('publishes no host port twice, across both profiles', () => {
    const hostPorts = Object.values(compose.services).flatMap((s) =>
      (s.ports ?? []).map((p) => p.split(':')[0]),
    )
    const dup = hostPorts.filter((p, i) => hostPorts.indexOf(p) !== i)
    assert.deepEqual(dup, [])
  })
})
