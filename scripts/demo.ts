// `npm run demo`: local Kafka + uns-bridge (demo profile, demo namespace) + a simulated factory
// (two Sparkplug B PLCs the namespace maps onto ACME paths, and JSON publishers for the other tags).
// Ctrl-C stops all three.
import { spawn } from 'node:child_process'
import { createConnection } from 'node:net'
import { loadNamespace } from '../src/namespace/index.js'
import { freePort, kafkaToolCommand, startKafka } from './local-kafka.js'
import { startSimulator } from './simulator/index.js'

const say = (line: string): void => console.log(`[demo] ${line}`)
const portFree = (port: number): Promise<boolean> =>
  new Promise((res) => {
    const s = createConnection({ port, host: '127.0.0.1' })
    s.once('connect', () => (s.destroy(), res(false)))
    s.once('error', () => res(true))
  })

say('explorer: http://127.0.0.1:8080/ (ready once Kafka, uns-bridge and the simulated factory have started)')
const kafkaPort = (await portFree(9092)) ? 9092 : await freePort()
say(`starting Kafka on 127.0.0.1:${kafkaPort} (first run resolves the jars with Maven) ...`)
const kafka = await startKafka({ port: kafkaPort, dataDir: '.cache/kafka/demo', log: say })

const service = spawn(process.execPath, ['--import', 'tsx', 'src/main.ts', '--config', 'config/demo.yaml'], {
  env: { ...process.env, UNS_KAFKA_BROKERS: kafka.bootstrap },
  stdio: ['ignore', 'inherit', 'inherit'],
})
const serviceExit = new Promise<number | null>((r) => service.on('exit', (code) => r(code)))

const ready = async (): Promise<boolean> => {
  for (let i = 0; i < 120; i++) {
    const res = await fetch('http://127.0.0.1:8080/health/ready').catch(() => undefined)
    if (res?.ok) return true
    if (service.exitCode !== null) return false
    await new Promise((r) => setTimeout(r, 500))
  }
  return false
}
if (!(await ready())) {
  say('uns-bridge did not become ready; see its log above')
  service.kill('SIGTERM')
  await kafka.stop()
  process.exit(1)
}

const factory = await startSimulator({
  url: 'mqtt://127.0.0.1:1883',
  layout: 'acme',
  edges: 2,
  devices: 1,
  metrics: 10,
  rate: 1,
  qos: 1,
  group: 'sim',
  namespace: await loadNamespace('namespace'),
  log: (line) => say(`simulator: ${line}`),
})
const spDevices = factory.edges.map(
  (e) => `${e.spec.group}/${e.spec.edge} (${e.spec.devices.map((d) => d.name).join(', ')})`,
)
say(`simulated factory: Sparkplug B edge nodes ${spDevices.join(', ')}; ${factory.json?.tags ?? 0} JSON tags`)
say('')
say('uns-bridge is running:')
say('  Explorer        http://127.0.0.1:8080/          <- open this in a browser')
say('  MQTT            mqtt://127.0.0.1:1883   (WebSocket: ws://127.0.0.1:8080/mqtt)')
say('  HTTP API        http://127.0.0.1:8080/api/v1/tree?depth=2')
say('  API docs        http://127.0.0.1:8080/docs')
say('  health          http://127.0.0.1:8080/health/ready    metrics: http://127.0.0.1:8080/metrics')
say(`  Kafka           ${kafka.bootstrap}`)
say("  read uns.telemetry with Kafka's own console consumer:")
say(
  `    ${kafkaToolCommand(kafka.libDir, 'org.apache.kafka.tools.consumer.ConsoleConsumer', ['--bootstrap-server', kafka.bootstrap, '--topic', 'uns.telemetry', '--property', 'print.key=true'])}`,
)
say('Ctrl-C stops everything.')

let stopping = false
const stop = async (): Promise<void> => {
  if (stopping) return
  stopping = true
  say('stopping ...')
  await factory.stop().catch(() => {})
  service.kill('SIGTERM')
  await serviceExit
  await kafka.stop()
  say('stopped')
  process.exit(0)
}
process.on('SIGINT', () => void stop())
process.on('SIGTERM', () => void stop())
void serviceExit.then((code) => {
  if (!stopping) {
    say(`uns-bridge exited (${code}); stopping Kafka`)
    void factory.stop().finally(() => kafka.stop().then(() => process.exit(1)))
  }
})
