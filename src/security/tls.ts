// TLS certificate files for the MQTT TLS listener and HTTPS/WSS: read, checked as one secure context at
// start (a missing file or a key that does not belong to the certificate is a clear error naming the file),
// and reloaded on SIGHUP without dropping connections: `server.setSecureContext()` changes what new
// handshakes use while open connections keep the context they were made with.
import { readFileSync } from 'node:fs'
import { createSecureContext, type SecureContext, type Server, type TlsOptions } from 'node:tls'
import { SecurityTlsFile, SecurityTlsInvalid } from '../errors.js'

export type ClientCertificates = 'off' | 'optional' | 'required'

export interface TlsFilesConfig {
  /** PEM certificate chain file (server certificate first). */
  readonly cert: string
  /** PEM private key file. */
  readonly key: string
  /** PEM CA bundle that client certificates must chain to. */
  readonly ca?: string | undefined
  /** `off`: no client certificates; `optional`: asked for, verified, mapped to users; `required`: no handshake without one. */
  readonly clientCertificates?: ClientCertificates | undefined
}

export interface ReloadableTls {
  /** Options for `tls.createServer()` or Fastify's `https` (certificates plus client certificate policy). */
  serverOptions(): TlsOptions
  /** The current secure context (for a TLS socket made by hand). */
  readonly context: SecureContext
  /** Servers whose context `reload()` replaces. */
  attach(server: Pick<Server, 'setSecureContext'>): void
  /**
   * Reads the files again and applies them to every attached server. On a missing or bad file it throws
   * (UNS_ERR_SECURITY_TLS_*) and everything keeps the previous certificates.
   */
  reload(): void
}

interface Material {
  readonly cert: Buffer
  readonly key: Buffer
  readonly ca?: Buffer
}

/** Reads and checks the files; `setting` names the config section in errors (`mqtt.tls`, `http.tls`). */
export function createReloadableTls(config: TlsFilesConfig, setting: string): ReloadableTls {
  const policy = config.clientCertificates ?? 'off'
  let material = readMaterial(config, setting)
  let context = toContext(material, config, setting)
  const servers = new Set<Pick<Server, 'setSecureContext'>>()

  const contextOptions = (m: Material) => ({
    cert: m.cert,
    key: m.key,
    ...(m.ca === undefined ? {} : { ca: m.ca }),
  })

  return {
    serverOptions() {
      return {
        ...contextOptions(material),
        requestCert: policy !== 'off',
        // `optional` lets an unverified client in; authentication then ignores its certificate
        // (socket.authorized is false) and asks for a password.
        rejectUnauthorized: policy === 'required',
      }
    },
    get context() {
      return context
    },
    attach(server) {
      servers.add(server)
    },
    reload() {
      const next = readMaterial(config, setting)
      const nextContext = toContext(next, config, setting)
      for (const server of servers) server.setSecureContext(contextOptions(next))
      material = next
      context = nextContext
    },
  }
}

function readMaterial(config: TlsFilesConfig, setting: string): Material {
  const read = (file: string, what: string): Buffer => {
    try {
      return readFileSync(file)
    } catch (err) {
      const reason = (err as NodeJS.ErrnoException).code ?? (err as Error).message
      throw new SecurityTlsFile([what, file, `${setting}.${what}`, reason], { file, setting }, { cause: err })
    }
  }
  const cert = read(config.cert, 'cert')
  const key = read(config.key, 'key')
  return config.ca === undefined ? { cert, key } : { cert, key, ca: read(config.ca, 'ca') }
}

function toContext(m: Material, config: TlsFilesConfig, setting: string): SecureContext {
  try {
    return createSecureContext({ cert: m.cert, key: m.key, ...(m.ca === undefined ? {} : { ca: m.ca }) })
  } catch (err) {
    throw new SecurityTlsInvalid(
      [setting, config.cert, config.key, (err as Error).message],
      { setting },
      { cause: err },
    )
  }
}
