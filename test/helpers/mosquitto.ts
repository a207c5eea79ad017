// A real, independent MQTT broker for tests: Debian's /usr/sbin/mosquitto with a generated config
// on free loopback ports, logging every packet (log_type all) to a file a test can read to see the
// order of CONNECT/SUBSCRIBE/PUBLISH per client.
import { spawnSync } from 'node:child_process'
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { freePort } from '../../scripts/local-kafka.js'
import { removeOnExit, startDaemon, type Daemon } from '../../scripts/daemon.js'

export interface StartMosquittoOptions {
  /** Clients without username may connect; default true. */
  readonly allowAnonymous?: boolean
  /** username → password, written to a password file with mosquitto_passwd. */
  readonly users?: Readonly<Record<string, string>>
  /** Adds a TLS listener (its own free port) with these PEM files. */
  readonly tls?: {
    readonly cert: string
    readonly key: string
    /** CA that client certificates must chain to (needed with requireCertificate). */
    readonly ca?: string
    readonly requireCertificate?: boolean
    /** The client certificate's CN becomes the username. */
    readonly useIdentityAsUsername?: boolean
  }
  /**
   * Keeps retained messages, persistent sessions and their queued messages across stop()/restart()
   * (written at stop; a SIGKILLed mosquitto loses what it had not saved). Default false.
   */
  readonly persistence?: boolean
  /** More mosquitto.conf lines (e.g. `max_inflight_messages 10`). */
  readonly extraConfig?: readonly string[]
  /** Path of mosquitto; default /usr/sbin/mosquitto (UNS_TEST_MOSQUITTO overrides). */
  readonly binary?: string
  /** Bound on a start, ms; default 20000. */
  readonly startTimeoutMs?: number
}

/** One packet line of mosquitto's log, in log order. */
export interface MosquittoPacket {
  readonly direction: 'received' | 'sent'
  /** CONNECT is reported as 'CONNECT' when the client connected (mosquitto logs no "Received CONNECT"). */
  readonly type: string
  readonly clientId: string
  /** PUBLISH: the topic; SUBSCRIBE/UNSUBSCRIBE: the filters (in the order of the packet). */
  readonly topics: readonly string[]
  /** PUBLISH: QoS and retain flag as logged; SUBSCRIBE: QoS per filter. */
  readonly qos?: readonly number[]
  readonly retain?: boolean
  /** Index of the line in the log (total order). */
  readonly line: number
}

export interface TestMosquitto {
  /** `mqtt://127.0.0.1:<port>` */
  readonly url: string
  readonly port: number
  /** `mqtts://127.0.0.1:<tlsPort>` when `tls` was given. */
  readonly tlsUrl: string | undefined
  readonly tlsPort: number | undefined
  readonly dir: string
  readonly configFile: string
  readonly logFile: string
  /** The whole log so far (all starts). */
  log(): string
  /** Packets in log order, parsed from the log. */
  packets(): MosquittoPacket[]
  /** SIGTERM (mosquitto saves persistence); the folder stays until stop()/kill() end the test. */
  stop(): Promise<void>
  /** SIGKILL: a crashed broker. */
  kill(): Promise<void>
  /** Starts it again on the same ports with the same config (after stop(), kill(), or while running). */
  restart(): Promise<void>
  /** Stops it and removes its folder; idempotent. Use this in `after`. */
  close(): Promise<void>
}

function config(o: StartMosquittoOptions, dir: string, port: number, tlsPort: number | undefined): string {
  const lines = [
    // One set of security settings for both listeners.
    'per_listener_settings false',
    `listener ${port} 127.0.0.1`,
    `allow_anonymous ${o.allowAnonymous ?? true}`,
    ...(o.users ? [`password_file ${join(dir, 'passwd')}`] : []),
    ...(o.persistence ? ['persistence true', `persistence_location ${dir}/`] : ['persistence false']),
    `log_dest file ${join(dir, 'mosquitto.log')}`,
    'log_type all',
    'connection_messages true',
    'log_timestamp true',
    'log_timestamp_format %Y-%m-%dT%H:%M:%S',
    // Run as root (CI, this machine), mosquitto would switch to user `mosquitto`, which cannot read
    // the temporary folder; `user root` keeps it as the invoking user.
    ...(process.getuid?.() === 0 ? ['user root'] : []),
  ]
  if (o.tls && tlsPort !== undefined) {
    lines.push(`listener ${tlsPort} 127.0.0.1`, `certfile ${o.tls.cert}`, `keyfile ${o.tls.key}`)
    if (o.tls.ca) lines.push(`cafile ${o.tls.ca}`)
    if (o.tls.requireCertificate) lines.push('require_certificate true')
    if (o.tls.useIdentityAsUsername) lines.push('use_identity_as_username true')
  }
  return [...lines, ...(o.extraConfig ?? []), ''].join('\n')
}

const PUBLISH =
  /^(Received|Sending) PUBLISH (?:from|to) (\S+) \(d\d, q(\d), r(\d), m\d+, '(.*)', \.\.\. \(\d+ bytes\)\)$/
const PACKET = /^(Received|Sending) ([A-Z]+) (?:from|to) (\S+)/
const CONNECTED = /^New client connected from \S+ as (\S+) /
const FILTER = /^\t(.*) \(QoS (\d)\)$/
const UNSUB_FILTER = /^\t(.*)$/

/** Parses mosquitto's log_type all output (2.0 wording) into packets, in order. */
export function parseMosquittoLog(text: string): MosquittoPacket[] {
  const packets: MosquittoPacket[] = []
  let open: { topics: string[]; qos: number[] } | undefined
  text.split('\n').forEach((raw, line) => {
    // Strip the timestamp ("2026-01-01T10:00:00: ").
    const msg = raw.replace(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d: /, '')
    const filter = open ? (FILTER.exec(msg) ?? UNSUB_FILTER.exec(msg)) : null
    if (open && filter) {
      open.topics.push(filter[1] as string)
      if (filter[2] !== undefined) open.qos.push(Number(filter[2]))
      return
    }
    // mosquitto 2 logs "<client> <qos> <filter>" after each filter it added: part of the same packet.
    if (open && /^\S+ \d+ \S/.test(msg)) return
    open = undefined
    const pub = PUBLISH.exec(msg)
    if (pub) {
      packets.push({
        direction: pub[1] === 'Received' ? 'received' : 'sent',
        type: 'PUBLISH',
        clientId: pub[2] as string,
        topics: [pub[5] as string],
        qos: [Number(pub[3])],
        retain: pub[4] === '1',
        line,
      })
      return
    }
    const conn = CONNECTED.exec(msg)
    if (conn) {
      packets.push({ direction: 'received', type: 'CONNECT', clientId: conn[1] as string, topics: [], line })
      return
    }
    const p = PACKET.exec(msg)
    if (!p) return
    const entry = { topics: [] as string[], qos: [] as number[] }
    packets.push({
      direction: p[1] === 'Received' ? 'received' : 'sent',
      type: p[2] as string,
      clientId: p[3] as string,
      topics: entry.topics,
      ...(p[2] === 'SUBSCRIBE' ? { qos: entry.qos } : {}),
      line,
    })
    if (p[1] === 'Received' && (p[2] === 'SUBSCRIBE' || p[2] === 'UNSUBSCRIBE')) open = entry
  })
  return packets
}

export async function startMosquitto(opts: StartMosquittoOptions = {}): Promise<TestMosquitto> {
  const binary = opts.binary ?? process.env.UNS_TEST_MOSQUITTO ?? '/usr/sbin/mosquitto'
  if (!existsSync(binary)) {
    throw new Error(
      `mosquitto is not installed (looked for ${binary}). Install it with ` +
        '`apt-get install -y mosquitto mosquitto-clients` (Debian/Ubuntu; .ci/run does this), or set UNS_TEST_MOSQUITTO.',
    )
  }
  const dir = mkdtempSync(join(tmpdir(), 'uns-mosquitto-'))
  const removeDir = removeOnExit(dir)
  const logFile = join(dir, 'mosquitto.log')
  const configFile = join(dir, 'mosquitto.conf')
  try {
    if (opts.users) {
      const file = join(dir, 'passwd')
      writeFileSync(file, '', { mode: 0o600 })
      for (const [user, password] of Object.entries(opts.users)) {
        const r = spawnSync('mosquitto_passwd', ['-b', file, user, password], { encoding: 'utf8' })
        if (r.error || r.status !== 0)
          throw new Error(`mosquitto_passwd failed: ${r.error?.message ?? r.stderr} (package mosquitto)`)
      }
    }
  } catch (err) {
    removeDir()
    throw err
  }

  let port = 0
  let tlsPort: number | undefined
  let daemon: Daemon | undefined
  const launch = async (): Promise<void> => {
    // Each start appends to the log; it is ready once this start logged "running".
    const from = existsSync(logFile) ? readFileSync(logFile).length : 0
    daemon = await startDaemon({
      name: 'mosquitto',
      command: binary,
      args: ['-c', configFile],
      logFile: join(dir, 'stdout.log'),
      ready: () =>
        existsSync(logFile) &&
        / mosquitto version \S+ running/.test(readFileSync(logFile).subarray(from).toString()),
      startTimeoutMs: opts.startTimeoutMs ?? 20_000,
      keepAlive: false,
    }).catch((err: Error) => {
      throw new Error(
        `${err.message}\n--- ${logFile}\n${existsSync(logFile) ? readFileSync(logFile).subarray(from).toString().trimEnd() : '(none)'}`,
      )
    })
  }
  // A port picked free may be taken before mosquitto binds it: pick again.
  for (let attempt = 1; ; attempt++) {
    port = await freePort()
    tlsPort = opts.tls ? await freePort() : undefined
    writeFileSync(configFile, config(opts, dir, port, tlsPort))
    try {
      await launch()
      break
    } catch (err) {
      if (attempt < 3 && /Address already in use/i.test((err as Error).message)) continue
      removeDir()
      throw err
    }
  }

  let closed: Promise<void> | undefined
  return {
    url: `mqtt://127.0.0.1:${port}`,
    port,
    tlsUrl: tlsPort === undefined ? undefined : `mqtts://127.0.0.1:${tlsPort}`,
    tlsPort,
    dir,
    configFile,
    logFile,
    log: () => (existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    packets: () => parseMosquittoLog(existsSync(logFile) ? readFileSync(logFile, 'utf8') : ''),
    stop: async () => void (await daemon?.stop(5000)),
    kill: async () => void (await daemon?.kill()),
    async restart() {
      await daemon?.stop(5000)
      await launch()
    },
    close: () => (closed ??= (daemon?.stop(5000) ?? Promise.resolve()).then(removeDir)),
  }
}
