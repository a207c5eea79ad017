import type { Server } from 'node:net'
import { ListenFailed, ListenPortInUse } from '../errors.js'

/**
 * Listens with `server` (plain TCP or TLS) and resolves the bound port; EADDRINUSE becomes a one-line
 * UNS_ERR_LISTEN_PORT_IN_USE naming `setting`.
 */
export function listenOn(
  server: Server,
  host: string,
  port: number,
  what: string,
  setting: string,
): Promise<{ server: Server; port: number }> {
  return new Promise((resolve, reject) => {
    server.once('error', (err: NodeJS.ErrnoException) => {
      reject(
        err.code === 'EADDRINUSE'
          ? new ListenPortInUse([what, port, host, setting], { port, host }, { cause: err })
          : new ListenFailed([what, host, port, err.message], { port, host }, { cause: err }),
      )
    })
    server.listen(port, host, () => {
      const address = server.address()
      resolve({ server, port: typeof address === 'object' && address ? address.port : port })
    })
  })
}
