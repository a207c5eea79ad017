// TLS files over real sockets: a tls.Server built from createReloadableTls, certificates reloaded as on
// SIGHUP, client certificates mapped to users. Certificates are made by openssl at run time.
import assert from 'node:assert/strict'
import { copyFileSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { after, before, describe, test } from 'node:test'
import { connect, createServer, type Server, type TLSSocket } from 'node:tls'
import {
  certificateIdentities,
  createAuthenticator,
  createPasswordVerifier,
  createReloadableTls,
  peerCertificateIdentities,
  type ClientCertificates,
} from '../../src/security/index.js'
import { makeTestCerts, type TestCerts } from './certs.js'

let certs: TestCerts
before(() => {
  certs = makeTestCerts()
})
after(() => rmSync(certs.dir, { recursive: true, force: true }))

/** An echo server on loopback; resolves with its port. `onSecure` sees each server-side socket. */
async function serve(
  options: ReturnType<ReturnType<typeof createReloadableTls>['serverOptions']>,
  onSecure: (s: TLSSocket) => void = () => {},
): Promise<{ server: Server; port: number; close: () => void }> {
  const sockets = new Set<TLSSocket>()
  const server = createServer(options, (socket) => {
    sockets.add(socket)
    onSecure(socket)
    socket.on('error', () => {})
    socket.pipe(socket)
  })
  server.on('tlsClientError', () => {})
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r))
  const close = (): void => {
    for (const socket of sockets) socket.destroy()
    server.close()
  }
  return { server, port: (server.address() as { port: number }).port, close }
}

function open(port: number, extra: { cert?: string; key?: string } = {}): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: '127.0.0.1',
      port,
      servername: 'localhost',
      ca: readFileSync(certs.ca),
      ...(extra.cert === undefined ? {} : { cert: readFileSync(extra.cert) }),
      ...(extra.key === undefined ? {} : { key: readFileSync(extra.key) }),
    })
    socket.once('secureConnect', () => resolve(socket))
    socket.once('error', reject)
  })
}

const serverCn = (socket: TLSSocket): unknown => socket.getPeerCertificate().subject?.CN

function echo(socket: TLSSocket, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    socket.once('data', (d: Buffer) => resolve(d.toString()))
    socket.once('error', reject)
    socket.write(text)
  })
}

/** Copies a server certificate pair into files that are then "edited in place" like an operator would. */
function liveFiles(name: string, from: { cert: string; key: string }) {
  const files = { cert: join(certs.dir, `${name}-live.pem`), key: join(certs.dir, `${name}-live.key`) }
  copyFileSync(from.cert, files.cert)
  copyFileSync(from.key, files.key)
  return files
}

describe('TLS certificate reload (SIGHUP)', () => {
  test('after reload a new connection sees the new certificate and an open connection keeps working', async () => {
    const files = liveFiles('reload', certs.server1)
    const tls = createReloadableTls(files, 'mqtt.tls')
    const { server, port, close } = await serve(tls.serverOptions())
    tls.attach(server)
    try {
      const before = await open(port)
      assert.equal(serverCn(before), 'uns-bridge-1')

      copyFileSync(certs.server2.cert, files.cert)
      copyFileSync(certs.server2.key, files.key)
      tls.reload()

      const fresh = await open(port)
      assert.equal(serverCn(fresh), 'uns-bridge-2')
      assert.equal(await echo(before, 'still here'), 'still here')
      assert.equal(await echo(fresh, 'new'), 'new')
      before.destroy()
      fresh.destroy()
    } finally {
      close()
    }
  })

  test('a reload with a missing file fails naming the file and the setting, and keeps the old certificate', async () => {
    const files = liveFiles('missing', certs.server1)
    const tls = createReloadableTls(files, 'mqtt.tls')
    const { server, port, close } = await serve(tls.serverOptions())
    tls.attach(server)
    try {
      rmSync(files.key)
      assert.throws(
        () => tls.reload(),
        (err: Error & { code?: string }) =>
          err.code === 'UNS_ERR_SECURITY_TLS_FILE' &&
          err.message.includes(files.key) &&
          err.message.includes('mqtt.tls.key') &&
          err.message.includes('ENOENT'),
      )
      const socket = await open(port)
      assert.equal(serverCn(socket), 'uns-bridge-1')
      socket.destroy()
    } finally {
      close()
    }
  })

  test('a key that does not belong to the certificate is a clear error naming both files', () => {
    const files = { cert: certs.server1.cert, key: certs.server2.key }
    assert.throws(
      () => createReloadableTls(files, 'http.tls'),
      (err: Error & { code?: string }) =>
        err.code === 'UNS_ERR_SECURITY_TLS_INVALID' &&
        err.message.includes('http.tls') &&
        err.message.includes(files.cert) &&
        err.message.includes(files.key),
    )
  })

  test('a file that is not PEM is refused at start', () => {
    const junk = join(certs.dir, 'junk.pem')
    writeFileSync(junk, 'not a certificate')
    assert.throws(() => createReloadableTls({ cert: junk, key: certs.server1.key }, 'mqtt.tls'), {
      code: 'UNS_ERR_SECURITY_TLS_INVALID',
    })
  })
})

describe('client certificates (mutual TLS)', () => {
  const mtls = (clientCertificates: ClientCertificates) =>
    createReloadableTls({ ...certs.server1, ca: certs.ca, clientCertificates }, 'mqtt.tls')

  test('a verified client certificate maps to the user named by its CN, or by a SAN', async () => {
    let serverSide: TLSSocket | undefined
    const { port, close } = await serve(mtls('optional').serverOptions(), (s) => (serverSide = s))
    try {
      const socket = await open(port, certs.client)
      await echo(socket, 'x')
      assert.ok(serverSide)
      assert.deepEqual(peerCertificateIdentities(serverSide, 'cn'), ['plc-berlin-1'])
      assert.deepEqual(peerCertificateIdentities(serverSide, 'san'), [
        'plc-berlin-1.acme.example',
        'ops@acme.example',
      ])

      const auth = createAuthenticator(
        { verifier: createPasswordVerifier() },
        {
          users: [
            {
              username: 'plc-berlin-1',
              password:
                'scrypt$ln=10,r=8,p=1$c2FsdHNhbHRzYWx0c2FsdA==$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g=',
              roles: ['edge'],
            },
          ],
          anonymous: false,
          anonymousRoles: [],
          open: false,
        },
      )
      const result = await auth.authenticate({
        certificateIdentities: peerCertificateIdentities(serverSide, 'cn'),
      })
      assert.ok(result.ok)
      assert.deepEqual(result.identity, {
        name: 'plc-berlin-1',
        kind: 'user',
        via: 'certificate',
        roles: ['edge'],
      })
      socket.destroy()
    } finally {
      close()
    }
  })

  test('with clientCertificates optional, a certificate from another CA gets in but names nobody', async () => {
    let serverSide: TLSSocket | undefined
    const { port, close } = await serve(mtls('optional').serverOptions(), (s) => (serverSide = s))
    try {
      const socket = await open(port, certs.stranger)
      await echo(socket, 'x')
      assert.ok(serverSide)
      assert.equal(serverSide.authorized, false)
      assert.deepEqual(peerCertificateIdentities(serverSide, 'cn'), [])
      // The raw certificate does claim the name: only the verification keeps it out.
      assert.deepEqual(certificateIdentities(serverSide.getPeerCertificate(), 'cn'), ['plc-berlin-1'])
      socket.destroy()
    } finally {
      close()
    }
  })

  test('with clientCertificates required, a client without a valid certificate gets no connection', async () => {
    const { port, close } = await serve(mtls('required').serverOptions())
    try {
      // TLS 1.3 reports the refusal after the handshake: the first read fails or the socket closes.
      const outcome = async (extra: { cert?: string; key?: string }): Promise<string> => {
        try {
          const s = await open(port, extra)
          return await new Promise<string>((resolve) => {
            setTimeout(() => s.destroy(), 5000).unref()
            s.once('data', () => {
              s.destroy()
              resolve('data')
            })
            s.once('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code ?? e.message}`))
            s.once('close', () => resolve('closed'))
            s.write('x')
          })
        } catch (err) {
          return `error ${(err as NodeJS.ErrnoException).code ?? ''}`
        }
      }
      assert.match(await outcome({}), /^(error|closed)/)
      assert.match(await outcome(certs.stranger), /^(error|closed)/)
      assert.equal(await outcome(certs.client), 'data')
    } finally {
      close()
    }
  })

  test('a SAN written as a JSON string by Node cannot forge a second entry', () => {
    const names = certificateIdentities(
      { subjectaltname: 'DNS:"evil.example, DNS:admin", email:ops@acme.example' },
      'san',
    )
    assert.deepEqual(names, ['evil.example, DNS:admin', 'ops@acme.example'])
  })

  test('a certificate with several CNs is ambiguous and names nobody', () => {
    assert.deepEqual(certificateIdentities({ subject: { CN: ['a', 'b'] } as never }, 'cn'), [])
    assert.deepEqual(certificateIdentities({}, 'cn'), [])
  })
})
