// A throwaway certificate authority made with `openssl` at test time, so TLS tests (Kafka SASL_SSL,
// MQTT over TLS, client certificates) run against real certificates and nothing secret is committed.
// Keys are unencrypted PKCS#8 PEM ("BEGIN PRIVATE KEY"), which Node, mosquitto and Kafka's PEM
// key store all read.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { removeOnExit } from '../../scripts/daemon.js'

export interface IssuedCertificate {
  /** PEM certificate file. */
  readonly cert: string
  /** PEM private key file (unencrypted PKCS#8). */
  readonly key: string
}

export interface TestCa {
  readonly dir: string
  /** PEM file of the CA certificate: what clients and servers trust. */
  readonly ca: string
  /**
   * Issues a certificate signed by this CA: a server certificate for `dns`/`ips` (default
   * localhost and 127.0.0.1), usable for client authentication too, with subject CN `cn`.
   */
  issue(
    name: string,
    opts?: { cn?: string; dns?: readonly string[]; ips?: readonly string[] },
  ): IssuedCertificate
  /** Removes the folder (also done at process exit). */
  remove(): void
}

function openssl(args: string[], cwd: string): void {
  const r = spawnSync('openssl', args, { cwd, encoding: 'utf8' })
  if (r.error || r.status !== 0) {
    throw new Error(
      `openssl ${args.slice(0, 2).join(' ')} failed (${r.error?.message ?? `exit ${r.status}`}): ${r.stderr}` +
        (r.error ? ' — install it with `apt-get install -y openssl`' : ''),
    )
  }
}

/** Makes a CA (RSA 2048, valid 2 days) in a new temporary folder. */
export function createTestCa(cn = 'uns-bridge test CA'): TestCa {
  const dir = mkdtempSync(join(tmpdir(), 'uns-certs-'))
  const remove = removeOnExit(dir)
  const key = ['-newkey', 'rsa:2048', '-nodes']
  openssl(
    [
      ...[
        'req',
        '-x509',
        ...key,
        '-keyout',
        'ca-key.pem',
        '-out',
        'ca.pem',
        '-days',
        '2',
        '-subj',
        `/CN=${cn}`,
      ],
      ...['-addext', 'basicConstraints=critical,CA:TRUE', '-addext', 'keyUsage=critical,keyCertSign,cRLSign'],
    ],
    dir,
  )
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    issue(name, opts = {}) {
      const san = [
        ...(opts.dns ?? ['localhost']).map((d) => `DNS:${d}`),
        ...(opts.ips ?? ['127.0.0.1']).map((ip) => `IP:${ip}`),
      ]
      writeFileSync(
        join(dir, `${name}.ext`),
        [
          'basicConstraints=CA:FALSE',
          'keyUsage=critical,digitalSignature,keyEncipherment',
          'extendedKeyUsage=serverAuth,clientAuth',
          ...(san.length > 0 ? [`subjectAltName=${san.join(',')}`] : []),
          '',
        ].join('\n'),
      )
      openssl(
        [
          'req',
          '-new',
          ...key,
          '-keyout',
          `${name}-key.pem`,
          '-out',
          `${name}.csr`,
          '-subj',
          `/CN=${opts.cn ?? name}`,
        ],
        dir,
      )
      openssl(
        [
          ...[
            'x509',
            '-req',
            '-in',
            `${name}.csr`,
            '-CA',
            'ca.pem',
            '-CAkey',
            'ca-key.pem',
            '-CAcreateserial',
          ],
          ...['-out', `${name}.pem`, '-days', '2', '-extfile', `${name}.ext`],
        ],
        dir,
      )
      return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}-key.pem`) }
    },
    remove,
  }
}
