// The bridge's routing rules (issue 6): MQTT -> Kafka routes, first match wins, then the default routes
// by namespace class; Kafka -> MQTT routes by topic or topic pattern. Everything is compiled once at
// start: filters parsed, templates compiled, so routing a message costs a few comparisons.
import { ConfigInvalid } from '../errors.js'
import { matchesFilter, parseTopicFilter, type TopicFilter } from '../uns/index.js'
import { compileTemplate, type Template, type TemplateContext } from './template.js'

export interface OutboundRouteConfig {
  readonly name: string
  readonly filter: string
  readonly classes?: readonly string[]
  readonly topic: string
  readonly key: string
  readonly headers: Readonly<Record<string, string>>
}

export interface InboundRouteConfig {
  readonly name: string
  readonly topic?: string
  readonly pattern?: string
  readonly mqttTopic: string
  readonly qos: number
  readonly retain: boolean
}

export interface OutboundRoute {
  readonly name: string
  readonly topic: string
  readonly key: Template
  readonly headers: readonly (readonly [string, Template])[]
}

export interface InboundRoute {
  readonly name: string
  /** Exact topic or pattern, as kafkajs subscribes to it. */
  readonly source: string | RegExp
  readonly matches: (topic: string) => boolean
  readonly mqttTopic: Template
  readonly qos: 0 | 1
  readonly retain: boolean
}

interface CompiledOutbound extends OutboundRoute {
  readonly filter: TopicFilter
  readonly classes: ReadonlySet<string> | undefined
}

export interface Router {
  readonly outboundTopics: readonly string[]
  readonly inbound: readonly InboundRoute[]
  /** The route of one accepted UNS value; undefined: not bridged (no rule matched, defaults off). */
  route(levels: readonly string[], tagClass: string | undefined): OutboundRoute | undefined
}

export interface RouterConfig {
  readonly routes: readonly OutboundRouteConfig[]
  readonly defaultRoutes: boolean
  readonly inbound: readonly InboundRouteConfig[]
  readonly topics: {
    readonly telemetry: string
    readonly events: string
    readonly alarms: string
    readonly commands: string
  }
}

function compile<T>(where: string, text: string, fn: (t: string) => T): T {
  try {
    return fn(text)
  } catch (err) {
    throw new ConfigInvalid([`  ${where} = ${JSON.stringify(text)}: ${(err as Error).message}`])
  }
}

export function createRouter(config: RouterConfig): Router {
  const outbound: CompiledOutbound[] = config.routes.map((r, i) => ({
    name: r.name,
    topic: r.topic,
    filter: compile(`bridge.routes.${i}.filter`, r.filter, (f) => {
      const parsed = parseTopicFilter(f)
      if (!parsed.ok) throw parsed.error
      return parsed.value
    }),
    classes: r.classes ? new Set(r.classes) : undefined,
    key: compile(`bridge.routes.${i}.key`, r.key, compileTemplate),
    headers: Object.entries(r.headers).map(
      ([h, t]) => [h, compile(`bridge.routes.${i}.headers.${h}`, t, compileTemplate)] as const,
    ),
  }))
  const path = compileTemplate('{path}')
  const byClass = (name: string, topic: string): OutboundRoute => ({ name, topic, key: path, headers: [] })
  const defaults = {
    alarm: byClass('default-alarms', config.topics.alarms),
    event: byClass('default-events', config.topics.events),
    order: byClass('default-events', config.topics.events),
    telemetry: byClass('default-telemetry', config.topics.telemetry),
  }
  const inbound: InboundRoute[] = [
    {
      name: 'commands',
      source: config.topics.commands,
      matches: (t) => t === config.topics.commands,
      mqttTopic: compileTemplate('{key}'),
      qos: 1,
      retain: false,
    },
    ...config.inbound.map((r, i): InboundRoute => {
      if ((r.topic === undefined) === (r.pattern === undefined))
        throw new ConfigInvalid([`  bridge.inbound.${i}: give exactly one of topic or pattern`])
      const source =
        r.topic ?? compile(`bridge.inbound.${i}.pattern`, r.pattern as string, (p) => new RegExp(p))
      return {
        name: r.name,
        source,
        matches: typeof source === 'string' ? (t) => t === source : (t) => source.test(t),
        mqttTopic: compile(`bridge.inbound.${i}.mqttTopic`, r.mqttTopic, compileTemplate),
        qos: r.qos === 0 ? 0 : 1,
        retain: r.retain,
      }
    }),
  ]
  const outboundTopics = [
    ...new Set([
      ...outbound.map((r) => r.topic),
      ...(config.defaultRoutes ? [config.topics.telemetry, config.topics.events, config.topics.alarms] : []),
    ]),
  ]
  return {
    outboundTopics,
    inbound,
    route(levels, tagClass) {
      for (const r of outbound) {
        if (r.classes && (tagClass === undefined || !r.classes.has(tagClass))) continue
        if (matchesFilter(r.filter, levels)) return r
      }
      if (!config.defaultRoutes) return undefined
      return tagClass === 'alarm' || tagClass === 'event' || tagClass === 'order'
        ? defaults[tagClass]
        : defaults.telemetry
    },
  }
}

/** Renders a route's key and headers for one value. */
export function renderOutbound(
  route: OutboundRoute,
  ctx: TemplateContext,
): { key: string | null; headers: Record<string, string> } | undefined {
  const key = route.key(ctx)
  if (key === undefined) return undefined
  const headers: Record<string, string> = {}
  for (const [name, template] of route.headers) {
    const v = template(ctx)
    if (v !== undefined) headers[name] = v
  }
  return { key: key === '' ? null : key, headers }
}
