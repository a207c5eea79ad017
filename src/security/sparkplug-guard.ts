// Sparkplug rules every identity gets without configuring them, on top of the role grants:
// 1. An edge node speaks only for itself. A client is bound to the group/edge of its first Sparkplug
//    edge message (its NBIRTH in a well-behaved session, or its Will NDEATH); afterwards it may publish
//    only under `spBv1.0/<group>/<type>/<edge>[/<device>]`, and no other client may publish for that edge
//    while it is connected (no faked NDEATH, NBIRTH or NDATA). Sparkplug gives each edge node its own MQTT
//    session and a unique group/edge descriptor [tck-id-topic-structure-namespace-unique-edge-node-descriptor],
//    so one client per edge node is what the specification expects.
// 2. Only uns-bridge's own host client publishes `spBv1.0/STATE/<our host id>`: a fake `online:false`
//    makes every edge node that waits for us disconnect [tck-id-operational-behavior-edge-node-termination-host-offline].
// 3. NCMD and DCMD reach edge nodes (and PLCs) only from uns-bridge itself or from an identity with an
//    explicit `write` grant on the Sparkplug topic.
// Malformed Sparkplug topics are left to the role grants and to the host application, which refuses them.
import { parseSparkplugTopic } from '../sparkplug/index.js'
import { ALLOWED, refused, type Decision, type Identity } from './identity.js'

export interface SparkplugGuardDeps {
  /** Whether the identity holds a `write` grant on the topic (the access rules' answer). */
  readonly canWrite: (identity: Identity, clientId: string, topic: string) => boolean
}

export interface SparkplugGuardConfig {
  /** `sparkplug.hostId`: the STATE topic only uns-bridge may publish is `spBv1.0/STATE/<hostId>`. */
  readonly hostId: string
}

export interface SparkplugGuard {
  /** A client connected (after authentication); forgets anything left from an earlier session of the id. */
  onConnect(clientId: string, identity: Identity): void
  /** A client is gone (after its Will was published); its edge node is free again. */
  onDisconnect(clientId: string): void
  /** Whether this client may publish on this topic; binds the client to its edge node on first use. */
  check(clientId: string, identity: Identity, topic: string): Decision
  /** The client id that owns an edge node now, if any. */
  ownerOf(group: string, edge: string): string | undefined
}

const PREFIX = 'spBv1.0/'

export function createSparkplugGuard(deps: SparkplugGuardDeps, config: SparkplugGuardConfig): SparkplugGuard {
  const owners = new Map<string, string>() // "group/edge" -> client id
  const bindings = new Map<string, string>() // client id -> "group/edge"

  const release = (clientId: string): void => {
    const key = bindings.get(clientId)
    if (key === undefined) return
    bindings.delete(clientId)
    if (owners.get(key) === clientId) owners.delete(key)
  }

  return {
    onConnect(clientId) {
      release(clientId)
    },
    onDisconnect(clientId) {
      release(clientId)
    },
    ownerOf(group, edge) {
      return owners.get(`${group}/${edge}`)
    },
    check(clientId, identity, topic) {
      if (!topic.startsWith(PREFIX)) return ALLOWED
      const parsed = parseSparkplugTopic(topic)
      if (!parsed.ok) return ALLOWED
      const t = parsed.topic
      if (identity.kind === 'internal') return ALLOWED
      if (t.type === 'STATE') {
        return t.hostId === config.hostId
          ? refused(`only uns-bridge publishes its own Sparkplug STATE (${topic})`)
          : ALLOWED
      }
      if (t.type === 'NCMD' || t.type === 'DCMD') {
        return deps.canWrite(identity, clientId, topic)
          ? ALLOWED
          : refused(`${t.type} needs a write grant on ${topic}`)
      }
      const key = `${t.group}/${t.edge}`
      const bound = bindings.get(clientId)
      if (bound !== undefined) {
        return bound === key
          ? ALLOWED
          : refused(`client ${clientId} speaks for edge node ${bound}; it may not publish for ${key}`)
      }
      const owner = owners.get(key)
      if (owner !== undefined && owner !== clientId) {
        return refused(`edge node ${key} belongs to connected client ${owner}`)
      }
      owners.set(key, clientId)
      bindings.set(clientId, key)
      return ALLOWED
    },
  }
}
