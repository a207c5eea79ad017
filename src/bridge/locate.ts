// Where the bridge wrote the values of one UNS path: the routed topic and the record key, computed by
// the same rules as forward() (rules.ts). History reads (issue 14) use it to find the one partition
// that holds a tag.
import { createRouter, renderOutbound, type RouterConfig } from './rules.js'

export type RecordLocation =
  | { readonly ok: true; readonly topic: string; readonly key: string }
  | { readonly ok: false; readonly reason: string }

/** `classOf` is the namespace's class of a path (routing by class). */
export function createRecordLocator(
  config: RouterConfig,
  classOf: (path: string) => string | undefined,
): (path: string) => RecordLocation {
  const router = createRouter(config)
  return (path) => {
    const levels = path.split('/')
    const tagClass = classOf(path)
    const route = router.route(levels, tagClass)
    if (route === undefined) return { ok: false, reason: `no bridge rule sends ${path} to Kafka` }
    // No clientId: a key rendered from the publisher's client id cannot be known from the path.
    const target = renderOutbound(route, { path, levels, class: tagClass ?? '' })
    if (target === undefined || target.key === null)
      return {
        ok: false,
        reason: `rule ${route.name} keys records by something other than the path (its key is not known for ${path}), so its partition cannot be found`,
      }
    return { ok: true, topic: route.topic, key: target.key }
  }
}
