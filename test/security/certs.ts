// Test certificates made at run time with the openssl command line (nothing secret is committed):
// a CA, two server certificates, a client certificate signed by the CA, and one signed by a stranger CA.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'

export interface TestCerts {
  readonly dir: string
  readonly ca: string
  /** `{ cert, key }` file paths. */
  readonly server1: { cert: string; key: string }
  readonly server2: { cert: string; key: string }
  readonly client: { cert: string; key: string }
  readonly stranger: { cert: string; key: string }
}

const openssl = (dir: string, args: string[]): void => {
  execFileSync('openssl', args, { cwd: dir, stdio: ['ignore', 'ignore', 'pipe'] })
}

const EC = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes']

function makeCa(dir: string, name: string): void {
  openssl(dir, [
    'req',
    '-x509',
    ...EC,
    '-keyout',
    `${name}.key`,
    '-out',
    `${name}.pem`,
    '-days',
    '2',
    '-subj',
    `/CN=${name}`,
    '-addext',
    'basicConstraints=critical,CA:TRUE',
    '-addext',
    'keyUsage=critical,keyCertSign,cRLSign',
  ])
}

function makeLeaf(
  dir: string,
  ca: string,
  name: string,
  cn: string,
  san: string,
  usage: string,
): { cert: string; key: string } {
  openssl(dir, ['req', ...EC, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${cn}`])
  writeFileSync(join(dir, `${name}.ext`), `subjectAltName=${san}\nextendedKeyUsage=${usage}\n`)
  openssl(dir, [
    'x509',
    '-req',
    '-in',
    `${name}.csr`,
    '-CA',
    `${ca}.pem`,
    '-CAkey',
    `${ca}.key`,
    '-CAcreateserial',
    '-out',
    `${name}.pem`,
    '-days',
    '2',
    '-extfile',
    `${name}.ext`,
  ])
  return { cert: join(dir, `${name}.pem`), key: join(dir, `${name}.key`) }
}

export function makeTestCerts(): TestCerts {
  const dir = mkdtempSync(join(tmpdir(), 'uns-certs-'))
  makeCa(dir, 'ca')
  makeCa(dir, 'stranger-ca')
  const localhost = 'DNS:localhost,IP:127.0.0.1'
  return {
    dir,
    ca: join(dir, 'ca.pem'),
    server1: makeLeaf(dir, 'ca', 'server1', 'uns-bridge-1', localhost, 'serverAuth'),
    server2: makeLeaf(dir, 'ca', 'server2', 'uns-bridge-2', localhost, 'serverAuth'),
    client: makeLeaf(
      dir,
      'ca',
      'client',
      'plc-berlin-1',
      'DNS:plc-berlin-1.acme.example,email:ops@acme.example,IP:10.0.0.7',
      'clientAuth',
    ),
    stranger: makeLeaf(
      dir,
      'stranger-ca',
      'stranger',
      'plc-berlin-1',
      'DNS:plc-berlin-1.acme.example',
      'clientAuth',
    ),
  }
}
