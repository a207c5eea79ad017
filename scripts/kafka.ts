// `npm run kafka [-- --port 9092 --data-dir DIR]`: a local single-node Kafka until Ctrl-C.
// `npm run kafka -- --install-only` resolves the jars and exits (CI uses it).
// `npm run kafka -- --brokers 3`: a 3-node KRaft cluster on free loopback ports (data removed at stop).
import { parseArgs } from 'node:util'
import { installKafka, kafkaToolCommand, startKafka } from './local-kafka.js'
import { startKafkaCluster } from './local-kafka-cluster.js'

const { values } = parseArgs({
  options: {
    port: { type: 'string', default: '9092' },
    'data-dir': { type: 'string' },
    'install-only': { type: 'boolean', default: false },
    brokers: { type: 'string', default: '1' },
  },
})
const log = (line: string): void => console.log(`[kafka] ${line}`)

try {
  if (values['install-only']) {
    log(`jars ready in ${installKafka(undefined, log)}`)
  } else if (Number(values.brokers) > 1) {
    const cluster = await startKafkaCluster({ size: Number(values.brokers), keepAlive: true, log })
    log(`bootstrap: ${cluster.bootstrap}   stop with Ctrl-C`)
    const stop = (): void => {
      log('stopping ...')
      void cluster.stop().then(() => process.exit(0))
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  } else {
    const kafka = await startKafka({
      port: Number(values.port),
      ...(values['data-dir'] ? { dataDir: values['data-dir'] } : {}),
      log,
    })
    log(`bootstrap: ${kafka.bootstrap}   stop with Ctrl-C`)
    log(
      `read a topic: ${kafkaToolCommand(kafka.libDir, 'org.apache.kafka.tools.consumer.ConsoleConsumer', ['--bootstrap-server', kafka.bootstrap, '--topic', 'uns.telemetry', '--from-beginning', '--property', 'print.key=true'])}`,
    )
    const stop = (): void => {
      log('stopping ...')
      void kafka.stop().then(() => process.exit(0))
    }
    process.once('SIGINT', stop)
    process.once('SIGTERM', stop)
  }
} catch (err) {
  console.error(`[kafka] ${(err as Error).message}`)
  process.exit(1)
}
