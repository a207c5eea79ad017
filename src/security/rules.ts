// Roles and the access decision. Deny by default: a question is allowed only when one of the identity's
// roles grants it. Grants add up across roles; there are no deny rules, so order never matters.
import { SecurityRuleInvalid } from '../errors.js'
import {
  grantCoversFilter,
  grantMatchesTopic,
  resolveGrant,
  parseGrantFilter,
  type GrantFilter,
  type PlaceholderValues,
} from './grant-filter.js'
import { ALLOWED, refused, type Action, type Decision, type Identity, type Question } from './identity.js'
import { parseTopicFilter } from '../uns/index.js'

/** One role as configured: MQTT topic filters per activity, and admin rights. */
export interface RoleConfig {
  readonly publish?: readonly string[]
  readonly subscribe?: readonly string[]
  readonly read?: readonly string[]
  readonly write?: readonly string[]
  readonly admin?: boolean
}

export interface AccessRulesConfig {
  readonly roles: Readonly<Record<string, RoleConfig>>
  /**
   * Everyone may do everything (no users, tokens or anonymous roles configured: the loopback-only
   * default, or `security.anonymous: true` on purpose). The Sparkplug guard still applies.
   */
  readonly open?: boolean
}

export interface AccessRules {
  /** Answers one question; `reason` says which grant is missing. Never throws. */
  check(question: Question): Decision
  /**
   * What an identity may do outside MQTT (REST, the explorer's `GET /api/v1/me`): its granted filters per
   * activity with `${username}` filled in. Rules that need `${clientid}` (no client id outside MQTT), or
   * whose placeholder the identity cannot fill safely, are left out. Open mode and internal identities: `#`.
   */
  permissions(identity: Identity): Permissions
}

/** Granted filters per activity, placeholders resolved; see `AccessRules.permissions`. */
export interface Permissions {
  readonly publish: readonly string[]
  readonly subscribe: readonly string[]
  readonly read: readonly string[]
  readonly write: readonly string[]
  readonly admin: boolean
}

const EVERYTHING: Permissions = Object.freeze({
  publish: Object.freeze(['#']),
  subscribe: Object.freeze(['#']),
  read: Object.freeze(['#']),
  write: Object.freeze(['#']),
  admin: true,
})

type Activity = 'publish' | 'subscribe' | 'read' | 'write'
interface CompiledGrants {
  readonly publish: readonly GrantFilter[]
  readonly subscribe: readonly GrantFilter[]
  readonly read: readonly GrantFilter[]
  readonly write: readonly GrantFilter[]
  readonly admin: boolean
}
const ACTIVITIES: readonly Activity[] = ['publish', 'subscribe', 'read', 'write']
const NONE: CompiledGrants = { publish: [], subscribe: [], read: [], write: [], admin: false }

/** Problems of a role set, one line each (the config loader reports them with the setting). */
export function roleProblems(roles: Readonly<Record<string, RoleConfig>>): string[] {
  const problems: string[] = []
  for (const [name, role] of Object.entries(roles)) {
    for (const activity of ACTIVITIES) {
      for (const [i, filter] of (role[activity] ?? []).entries()) {
        const parsed = parseGrantFilter(filter)
        if (!parsed.ok) {
          problems.push(
            `security.roles.${name}.${activity}[${i}] = ${JSON.stringify(filter)}: ${parsed.reason}`,
          )
        }
      }
    }
  }
  return problems
}

/** Compiles the roles once; throws UNS_ERR_SECURITY_RULE_INVALID for a filter the loader would have refused. */
export function createAccessRules(config: AccessRulesConfig): AccessRules {
  const compiled = new Map<string, CompiledGrants>()
  for (const [name, role] of Object.entries(config.roles)) {
    const grants = {} as Record<Activity, GrantFilter[]>
    for (const activity of ACTIVITIES) {
      grants[activity] = (role[activity] ?? []).map((filter) => {
        const parsed = parseGrantFilter(filter)
        if (!parsed.ok) throw new SecurityRuleInvalid([filter, `role ${name}.${activity}`, parsed.reason])
        return parsed.value
      })
    }
    compiled.set(name, { ...grants, admin: role.admin === true })
  }
  // The union per role list, built once per distinct list (identities share few distinct lists) and
  // remembered per identity object, so the hot path does not even join the role names.
  const unions = new Map<string, CompiledGrants>()
  const byIdentity = new WeakMap<Identity, CompiledGrants>()
  const grantsOf = (identity: Identity): CompiledGrants => {
    const known = byIdentity.get(identity)
    if (known !== undefined) return known
    const grants = unionOf(identity.roles)
    byIdentity.set(identity, grants)
    return grants
  }
  const unionOf = (roles: readonly string[]): CompiledGrants => {
    if (roles.length === 0) return NONE
    if (roles.length === 1) return compiled.get(roles[0] as string) ?? NONE
    const key = roles.join('\u0000')
    let union = unions.get(key)
    if (union === undefined) {
      const parts = roles.map((r) => compiled.get(r) ?? NONE)
      union = {
        publish: parts.flatMap((p) => p.publish),
        subscribe: parts.flatMap((p) => p.subscribe),
        read: parts.flatMap((p) => p.read),
        write: parts.flatMap((p) => p.write),
        admin: parts.some((p) => p.admin),
      }
      unions.set(key, union)
    }
    return union
  }

  return {
    check(q) {
      if (q.identity.kind === 'internal' || config.open === true) return ALLOWED
      const grants = grantsOf(q.identity)
      const values: PlaceholderValues = {
        // `${username}` stands for configured users only: a token name or `anonymous` is not a username.
        username: q.identity.kind === 'user' ? q.identity.name : undefined,
        clientid: q.clientId,
      }
      switch (q.action) {
        case 'admin':
          return grants.admin ? ALLOWED : refused('no role grants admin')
        case 'publish':
        case 'write':
          return topicCheck(grants[q.action], q.action, q.target, values)
        case 'forward':
          return topicCheck(grants.subscribe, q.action, q.target, values, grants.admin)
        case 'subscribe':
        case 'read':
          return filterCheck(grants[q.action], q.action, q.target, values, grants.admin)
      }
    },
    permissions(identity) {
      if (identity.kind === 'internal' || config.open === true) return EVERYTHING
      const grants = grantsOf(identity)
      const values: PlaceholderValues = { username: identity.kind === 'user' ? identity.name : undefined }
      const resolved = (list: readonly GrantFilter[]): string[] => [
        ...new Set(list.flatMap((g) => resolveGrant(g, values) ?? [])),
      ]
      return {
        publish: resolved(grants.publish),
        subscribe: resolved(grants.subscribe),
        read: resolved(grants.read),
        write: resolved(grants.write),
        admin: grants.admin,
      }
    },
  }
}

// `admin` also opens the broker's `$SYS/` topics for reading (issue 12: admin covers `$SYS`).
const isSys = (first: string | undefined): boolean => first === '$SYS'

function topicCheck(
  grants: readonly GrantFilter[],
  action: Action,
  topic: string,
  values: PlaceholderValues,
  admin = false,
): Decision {
  if (topic.length === 0 || topic.includes('+') || topic.includes('#')) {
    return refused(`${JSON.stringify(truncate(topic))} is not a topic (empty or with a wildcard)`)
  }
  if (admin && (topic === '$SYS' || topic.startsWith('$SYS/'))) return ALLOWED
  for (const grant of grants) if (grantMatchesTopic(grant, topic, values)) return ALLOWED
  return refused(`no role grants ${activityOf(action)} on ${truncate(topic)}`)
}

function filterCheck(
  grants: readonly GrantFilter[],
  action: Action,
  filter: string,
  values: PlaceholderValues,
  admin: boolean,
): Decision {
  const parsed = parseTopicFilter(filter)
  if (!parsed.ok) return refused(`${JSON.stringify(truncate(filter))} is not a valid filter`)
  if (admin && isSys(parsed.value[0])) return ALLOWED
  for (const grant of grants) if (grantCoversFilter(grant, parsed.value, values)) return ALLOWED
  return refused(`no role grants ${activityOf(action)} on all of ${truncate(filter)}`)
}

const activityOf = (action: Action): string => (action === 'forward' ? 'subscribe' : action)

const truncate = (s: string): string => (s.length > 200 ? `${s.slice(0, 200)}…` : s)
