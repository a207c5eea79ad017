// A single KRaft broker that only speaks SASL_SSL to clients, as a secured production cluster does:
// TLS from a CA made at test time (PEM key and trust stores), SCRAM-SHA-512, SCRAM-SHA-256 and PLAIN
// users with random passwords (SCRAM credentials written at `kafka-storage format` time with
// --add-scram), and a PLAINTEXT controller listener on loopback.
import { randomBytes } from 'node:crypto'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Kafka, logLevel, type SASLOptions } from 'kafkajs'
import { removeOnExit } from '../../scripts/daemon.js'
import { createKafkaNode, newClusterId } from '../../scripts/kafka-node.js'
import { freePort, installKafka } from '../../scripts/local-kafka.js'
import { createTestCa } from './certs.js'

export type SaslMechanism = 'plain' | 'scram-sha-256' | 'scram-sha-512'

export interface SaslUser {
  readonly mechanism: SaslMechanism
  readonly username: string
  readonly password: string
}

export interface SaslSslKafka {
  /** `127.0.0.1:<port>` of the SASL_SSL listener. */
  readonly bootstrap: string
  readonly port: number
  /** PEM file of the CA that signed the broker certificate: clients trust this. */
  readonly ca: string
  /** One user per mechanism, random passwords. */
  readonly users: { readonly [M in SaslMechanism]: SaslUser }
  /** A kafkajs client logged in as `user` (default the SCRAM-SHA-512 one), trusting the CA. */
  client(user?: SaslUser): Kafka
  /** Stops the broker and removes its folder (certificates included); idempotent. */
  stop(): Promise<void>
}

const secret = (): string => randomBytes(18).toString('base64url')

export async function startSaslSslKafka(opts: { startTimeoutMs?: number } = {}): Promise<SaslSslKafka> {
  const libDir = installKafka()
  const dir = mkdtempSync(join(tmpdir(), 'uns-kafka-sasl-'))
  const removeDir = removeOnExit(dir)
  const ca = createTestCa('uns-bridge test Kafka CA')
  const server = ca.issue('kafka-broker', { cn: 'localhost' })
  // Kafka's PEM key store reads the private key and the certificate chain from one file.
  const keystore = join(dir, 'broker-keystore.pem')
  writeFileSync(keystore, readFileSync(server.key, 'utf8') + readFileSync(server.cert, 'utf8'), {
    mode: 0o600,
  })

  const users = {
    'scram-sha-512': { mechanism: 'scram-sha-512', username: 'uns-scram512', password: secret() },
    'scram-sha-256': { mechanism: 'scram-sha-256', username: 'uns-scram256', password: secret() },
    plain: { mechanism: 'plain', username: 'uns-plain', password: secret() },
  } as const satisfies Record<SaslMechanism, SaslUser>
  const broker = { username: 'broker', password: secret() }
  const [port, controllerPort] = [await freePort(), await freePort()]
  const jaas = (module: string, extra = ''): string =>
    `org.apache.kafka.common.security.${module} required username="${broker.username}" password="${broker.password}"${extra};`

  const node = createKafkaNode({
    name: 'kafka-sasl-ssl',
    libDir,
    dir: join(dir, 'node'),
    clusterId: newClusterId(),
    heap: { initialMb: 128, maxMb: 384 },
    jvmOptions: ['-XX:TieredStopAtLevel=1'],
    startTimeoutMs: opts.startTimeoutMs ?? 90_000,
    keepAlive: false,
    formatArgs: [
      ...['--add-scram', `SCRAM-SHA-512=[name=${broker.username},password=${broker.password}]`],
      ...[
        '--add-scram',
        `SCRAM-SHA-512=[name=${users['scram-sha-512'].username},password=${users['scram-sha-512'].password}]`,
      ],
      ...[
        '--add-scram',
        `SCRAM-SHA-256=[name=${users['scram-sha-256'].username},password=${users['scram-sha-256'].password}]`,
      ],
    ],
    properties: {
      'process.roles': 'broker,controller',
      'node.id': 1,
      'controller.quorum.voters': `1@127.0.0.1:${controllerPort}`,
      listeners: `SASL_SSL://127.0.0.1:${port},CONTROLLER://127.0.0.1:${controllerPort}`,
      'advertised.listeners': `SASL_SSL://127.0.0.1:${port}`,
      'controller.listener.names': 'CONTROLLER',
      'listener.security.protocol.map': 'CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL',
      'inter.broker.listener.name': 'SASL_SSL',
      'sasl.mechanism.inter.broker.protocol': 'SCRAM-SHA-512',
      'sasl.enabled.mechanisms': 'SCRAM-SHA-512,SCRAM-SHA-256,PLAIN',
      'listener.name.sasl_ssl.scram-sha-512.sasl.jaas.config': jaas('scram.ScramLoginModule'),
      'listener.name.sasl_ssl.scram-sha-256.sasl.jaas.config': jaas('scram.ScramLoginModule'),
      // PLAIN users live in the JAAS line (user_<name>="<password>").
      'listener.name.sasl_ssl.plain.sasl.jaas.config': jaas(
        'plain.PlainLoginModule',
        ` user_${broker.username}="${broker.password}" user_${users.plain.username}="${users.plain.password}"`,
      ),
      'ssl.keystore.type': 'PEM',
      'ssl.keystore.location': keystore,
      'ssl.truststore.type': 'PEM',
      'ssl.truststore.location': ca.ca,
      'ssl.client.auth': 'none',
      'num.partitions': 1,
      'offsets.topic.replication.factor': 1,
      'offsets.topic.num.partitions': 2,
      'transaction.state.log.replication.factor': 1,
      'transaction.state.log.min.isr': 1,
      'share.coordinator.state.topic.replication.factor': 1,
      'share.coordinator.state.topic.min.isr': 1,
      'group.initial.rebalance.delay.ms': 0,
      'auto.create.topics.enable': true,
      'num.network.threads': 2,
      'num.io.threads': 2,
    },
  })
  try {
    await node.start()
  } catch (err) {
    ca.remove()
    throw err
  }

  const caPem = readFileSync(ca.ca)
  let stopped: Promise<void> | undefined
  return {
    bootstrap: `127.0.0.1:${port}`,
    port,
    ca: ca.ca,
    users,
    client: (user = users['scram-sha-512']) =>
      new Kafka({
        brokers: [`127.0.0.1:${port}`],
        clientId: 'test-sasl-ssl',
        logLevel: logLevel.NOTHING,
        ssl: { ca: [caPem] },
        sasl: { mechanism: user.mechanism, username: user.username, password: user.password } as SASLOptions,
      }),
    stop: () =>
      (stopped ??= node.stop(10_000).then(() => {
        ca.remove()
        removeDir()
      })),
  }
}
