// A real redis-server (Debian's /usr/bin/redis-server) for tests: a free loopback port, no
// persistence, its own temporary folder, killed when the test process ends.
import { existsSync, mkdtempSync } from 'node:fs'
import { connect } from 'node:net'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../scripts/local-kafka.js'
import { removeOnExit, startDaemon } from '../../scripts/daemon.js'

export interface TestRedis {
  /** `redis://127.0.0.1:<port>` */
  readonly url: string
  readonly port: number
  /** redis-server's own log (also shown when the start fails). */
  readonly logFile: string
  /** SHUTDOWN NOSAVE by SIGTERM; removes the temporary folder. Idempotent. */
  stop(): Promise<void>
  /** SIGKILL (a crashed Redis); removes the temporary folder. Idempotent. */
  kill(): Promise<void>
}

export interface StartRedisOptions {
  /** Path of redis-server; default /usr/bin/redis-server (UNS_TEST_REDIS_SERVER overrides). */
  readonly binary?: string
  /** Bound on the start, ms; default 20000. */
  readonly startTimeoutMs?: number
}

/** Sends PING over RESP and resolves true on +PONG. */
export function pingRedis(port: number, timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port })
    let reply = ''
    const finish = (ok: boolean): void => {
      socket.destroy()
      resolve(ok)
    }
    socket.setTimeout(timeoutMs, () => finish(false))
    socket.once('error', () => finish(false))
    socket.once('connect', () => socket.write('PING\r\n'))
    socket.on('data', (chunk: Buffer) => {
      reply += chunk.toString()
      if (reply.includes('\r\n')) finish(reply.startsWith('+PONG'))
    })
  })
}

export async function startRedis(opts: StartRedisOptions = {}): Promise<TestRedis> {
  const binary = opts.binary ?? process.env.UNS_TEST_REDIS_SERVER ?? '/usr/bin/redis-server'
  if (!existsSync(binary)) {
    throw new Error(
      `redis-server is not installed (looked for ${binary}). Install it with ` +
        '`apt-get install -y redis-server` (Debian/Ubuntu; .ci/run does this), or set UNS_TEST_REDIS_SERVER.',
    )
  }
  const dir = mkdtempSync(join(tmpdir(), 'uns-redis-'))
  const removeDir = removeOnExit(dir)
  // The port is free when picked but may be taken before redis binds it: try again with another.
  for (let attempt = 1; ; attempt++) {
    const port = await freePort()
    const logFile = join(dir, `redis-${port}.log`)
    try {
      const daemon = await startDaemon({
        name: 'redis-server',
        command: binary,
        // No RDB snapshots, no AOF: tests want a clean Redis each time and no disk work.
        args: [
          ...['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--logfile', ''],
          ...['--save', '', '--appendonly', 'no', '--daemonize', 'no', '--protected-mode', 'yes'],
        ],
        logFile,
        ready: () => pingRedis(port),
        keepAlive: false,
        startTimeoutMs: opts.startTimeoutMs ?? 20_000,
      })
      let ended: Promise<void> | undefined
      const end = (how: 'stop' | 'kill'): Promise<void> =>
        (ended ??= (how === 'stop' ? daemon.stop(5000) : daemon.kill()).then(removeDir))
      return {
        url: `redis://127.0.0.1:${port}`,
        port,
        logFile,
        stop: () => end('stop'),
        kill: () => end('kill'),
      }
    } catch (err) {
      if (attempt < 3 && /Address already in use/i.test((err as Error).message)) continue
      removeDir()
      throw err
    }
  }
}
