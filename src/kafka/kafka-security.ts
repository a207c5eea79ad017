// How uns-bridge authenticates to Kafka and encrypts the connection: kafka.ssl / kafka.tls / kafka.sasl
// from the config become kafkajs's `ssl` and `sasl` options. Certificate files are read once, when
// the client is created (loadConfig has already checked that they are readable).
import { readFileSync } from 'node:fs'
import type { ConnectionOptions } from 'node:tls'
import type { SASLOptions } from 'kafkajs'

export interface KafkaTlsConfig {
  /** PEM file of the CA(s) of a private CA; the system CAs when unset. */
  readonly ca?: string
  /** PEM client certificate (mutual TLS), with `key`. */
  readonly cert?: string
  readonly key?: string
  readonly rejectUnauthorized: boolean
}

export interface KafkaSaslConfig {
  readonly mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'
  readonly username: string
  readonly password: string
}

/** kafkajs `ssl` and `sasl`: TLS is on with `ssl: true` or any `tls` setting. */
export function toKafkaSecurity(config: {
  readonly ssl: boolean
  readonly tls?: KafkaTlsConfig
  readonly sasl?: KafkaSaslConfig
}): { ssl: boolean | ConnectionOptions; sasl?: SASLOptions } {
  const { tls, sasl } = config
  const ssl: boolean | ConnectionOptions =
    tls === undefined
      ? config.ssl
      : {
          rejectUnauthorized: tls.rejectUnauthorized,
          ...(tls.ca === undefined ? {} : { ca: [readFileSync(tls.ca)] }),
          ...(tls.cert === undefined ? {} : { cert: readFileSync(tls.cert) }),
          ...(tls.key === undefined ? {} : { key: readFileSync(tls.key) }),
        }
  // A copy, so the config object (deep-frozen, and logged redacted) is not handed to kafkajs.
  return sasl === undefined
    ? { ssl }
    : {
        ssl,
        sasl: { mechanism: sasl.mechanism, username: sasl.username, password: sasl.password } as SASLOptions,
      }
}
