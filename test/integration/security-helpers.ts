// Shared by the MQTT security tests: the example configuration with real (cheap) password hashes,
// MQTT clients that report CONNACK and SUBACK codes, and the Debian mosquitto command-line clients.
import { execFile } from 'node:child_process'
import mqtt, { type IClientOptions, type MqttClient } from 'mqtt'
import { hashPassword } from '../../src/security/index.js'

/**
 * The lowest cost the stored format accepts (ln 10 = 2^10, r 8, p 1: 1 MiB, a few ms): the real hasher and
 * the real verifier, fast enough for a suite that logs in hundreds of times. Production hashes use ln=15.
 */
export const CHEAP_SCRYPT = { ln: 10, r: 8, p: 1 } as const

export const PASSWORD = 'correct horse battery staple'

/** Users of the matrix, each with the roles of the example (plus `own` for the placeholders). */
export const USERS = {
  'plc-berlin-1': ['edge-berlin'],
  'plc-berlin-2': ['edge-berlin'],
  'reader-1': ['reader'],
  'operator-1': ['operator'],
  'admin-1': ['admin'],
  alice: ['own'],
} as const

/** The `security` section of the issue (roles verbatim) with USERS, a token, and `extra` appended (YAML). */
export async function securityYaml(extra = ''): Promise<string> {
  const hash = await hashPassword(PASSWORD, CHEAP_SCRYPT)
  const token = await hashPassword('mes-token', CHEAP_SCRYPT)
  const users = Object.entries(USERS)
    .map(([name, roles]) => `    - { username: ${name}, password: "${hash}", roles: [${roles.join(', ')}] }`)
    .join('\n')
  return `security:
  anonymous: false
  users:
${users}
  tokens:
    - { name: mes, token: "${token}", roles: [operator] }
  roles:
    edge-berlin: { publish: ["acme/berlin/#", "spBv1.0/acme-berlin/#"], subscribe: ["spBv1.0/STATE/#", "spBv1.0/acme-berlin/NCMD/#", "spBv1.0/acme-berlin/DCMD/#"] }
    reader:      { subscribe: ["acme/#"], read: ["acme/#"] }
    operator:    { read: ["acme/#"], write: ["acme/berlin/packaging/#"] }
    admin:       { admin: true, publish: ["#"], subscribe: ["#"], read: ["#"], write: ["#"] }
    own:         { publish: ["devices/\${username}/#", "clients/\${clientid}/#"], subscribe: ["devices/\${username}/#", "clients/\${clientid}/#"] }
${extra}`
}

/** Connects, or resolves with the CONNACK return code of the refusal (and never retries). */
export async function tryConnect(url: string, opts: IClientOptions = {}): Promise<MqttClient | number> {
  try {
    // allowRetries false: a connection closed before CONNACK rejects instead of waiting forever.
    return await mqtt.connectAsync(
      url,
      {
        clientId: `t-${Math.random().toString(36).slice(2)}`,
        reconnectPeriod: 0,
        connectTimeout: 20000,
        ...opts,
      },
      false,
    )
  } catch (err) {
    const code = (err as { code?: unknown }).code
    if (typeof code === 'number') return code
    throw err
  }
}

/** Connects as `username` with the test password; fails the test when refused. */
export async function login(url: string, username: string, opts: IClientOptions = {}): Promise<MqttClient> {
  const c = await tryConnect(url, { username, password: PASSWORD, ...opts })
  if (typeof c === 'number') throw new Error(`${username} was refused with CONNACK ${c}`)
  c.on('error', () => {})
  return c
}

/** The SUBACK return codes for `filters` (0x80 = refused), in order. */
export async function suback(client: MqttClient, filters: string[]): Promise<number[]> {
  try {
    return (await client.subscribeAsync(filters, { qos: 1 })).map((g) => g.qos)
  } catch (err) {
    const granted = (err as { packet?: { granted?: number[] } }).packet?.granted
    if (granted !== undefined) return granted
    throw err
  }
}

/**
 * Publishes QoS 1 and says what happened: `acked` (PUBACK) or `closed` (the broker refused and closed the
 * connection [MQTT-3.3.5-2]).
 */
export function publishOutcome(
  client: MqttClient,
  topic: string,
  payload: string | Buffer = '1',
  opts: { retain?: boolean } = {},
): Promise<'acked' | 'closed'> {
  return new Promise((resolve) => {
    const onClose = () => resolve('closed')
    client.once('close', onClose)
    client.publish(topic, payload, { qos: 1, retain: opts.retain ?? false }, (err) => {
      if (err) return // the close follows
      client.removeListener('close', onClose)
      resolve('acked')
    })
  })
}

export interface ToolRun {
  code: number | null
  stdout: string
  stderr: string
}

/** Runs mosquitto_pub or mosquitto_sub (Debian's) to its end. */
export function mosquitto(tool: 'mosquitto_pub' | 'mosquitto_sub', args: string[], timeoutMs = 20000) {
  return new Promise<ToolRun>((resolve) => {
    execFile(tool, args, { timeout: timeoutMs }, (err, stdout, stderr) => {
      const code = err === null ? 0 : typeof err.code === 'number' ? err.code : null
      resolve({ code, stdout, stderr })
    })
  })
}

/** Every message `client` receives from now on (topic and payload text). */
export function collect(client: MqttClient): { topic: string; payload: string; retain: boolean }[] {
  const got: { topic: string; payload: string; retain: boolean }[] = []
  client.on('message', (topic, payload, packet) =>
    got.push({ topic, payload: payload.toString(), retain: packet.retain }),
  )
  return got
}
