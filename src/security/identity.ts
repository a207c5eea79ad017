// Who is asking, and what is asked. Every check in src/security answers one `{identity, action, target}`
// question; nothing here knows MQTT packets or HTTP requests.

/** How the identity was established. */
export type IdentityKind =
  /** A configured user (password or client certificate). */
  | 'user'
  /** A configured API bearer token. */
  | 'token'
  /** No credentials, admitted by `security.anonymous` (or the open default on loopback). */
  | 'anonymous'
  /**
   * A Kafka record delivered into the UNS (`uns.commands`, inbound rules): named after its `source` header,
   * which nothing verifies, with the roles of `security.kafkaRoles`.
   */
  | 'kafka'
  /** uns-bridge's own clients (the Sparkplug host, the Kafka -> MQTT bridge); never from the network. */
  | 'internal'

export interface Identity {
  /** Username, token name, `anonymous` or the internal client's name: what logs and the audit trail show. */
  readonly name: string
  readonly kind: IdentityKind
  /** How it was proven: a password, a client certificate, a token, nothing, or in-process. */
  readonly via: 'password' | 'certificate' | 'token' | 'none' | 'internal'
  /** Role names from `security.roles`; their grants add up. */
  readonly roles: readonly string[]
}

/** The identity of uns-bridge's own in-process clients; give it only to connections that are not sockets. */
export const internalIdentity = (name: string): Identity =>
  Object.freeze({ name, kind: 'internal', via: 'internal', roles: Object.freeze([]) })

/**
 * What is asked:
 * - `publish`: an MQTT PUBLISH to a topic (target: the topic);
 * - `subscribe`: an MQTT SUBSCRIBE (target: the filter, checked filter-within-filter);
 * - `forward`: delivering a message, retained ones included, to a subscriber (target: the topic; uses `subscribe` grants);
 * - `read`: REST, SSE and explorer reads (target: a UNS path, or a filter for queries over many paths);
 * - `write`: REST writes, `uns.commands`, NCMD/DCMD (target: the UNS path or Sparkplug topic);
 * - `admin`: registry, bindings, rebirth, `$SYS` (target: what is changed, for the audit trail).
 */
export type Action = 'publish' | 'subscribe' | 'forward' | 'read' | 'write' | 'admin'

export interface Question {
  readonly identity: Identity
  readonly action: Action
  readonly target: string
  /** MQTT client id, for `${clientid}` in rules; absent outside MQTT (such rules then never match). */
  readonly clientId?: string | undefined
}

export type Decision = { readonly allowed: true } | { readonly allowed: false; readonly reason: string }

/** The one shared "allowed" value: the hot path allocates nothing for a permitted message. */
export const ALLOWED: Decision = Object.freeze({ allowed: true })

export const refused = (reason: string): Decision => ({ allowed: false, reason })
