// PropertySet → plain metadata object, and the reserved `Quality` property → UNS quality.
import type { Quality, UnsValue } from '../uns/index.js'
import { DT } from './datatypes.js'
import { decodeValue, inferDatatype } from './values.js'
import type { WirePropertySet } from './wire.js'

type WirePropertyValue = NonNullable<WirePropertySet['values']>[number]

/** Decodes parallel keys[]/values[] [tck-id-payloads-propertyset-keys-array-size, -values-array-size]. */
export function decodePropertySet(ps: WirePropertySet): Record<string, UnsValue> {
  const out: Record<string, UnsValue> = {}
  const keys = ps.keys ?? []
  const values = ps.values ?? []
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]
    const pv = values[i]
    if (key === undefined || pv == null) continue
    out[key] = decodePropertyValue(pv)
  }
  return out
}

function decodePropertyValue(pv: WirePropertyValue): UnsValue {
  if (pv.isNull === true) return null
  const type = pv.type ?? 0
  if (type === DT.PropertySet)
    return pv.propertysetValue == null ? null : decodePropertySet(pv.propertysetValue)
  if (type === DT.PropertySetList) return (pv.propertysetsValue?.propertyset ?? []).map(decodePropertySet)
  return decodeValue(pv, type === 0 ? inferDatatype(pv) : type)
}

/**
 * UNS quality of a Sparkplug `Quality` property value. Spec codes
 * [tck-id-payloads-propertyset-quality-value-value]: 0 → bad, 192 → good, 500 → stale. Other codes
 * (Ignition/OPC DA style, "map, don't reject", requirements §3.7/§9) follow the OPC DA quality bits of
 * 0..255: 192..255 good, 64..191 uncertain, 1..63 bad; anything else is uncertain.
 * An absent property means good (Cirrus Link omits it for good values).
 */
export function toQuality(code: UnsValue | undefined): Quality {
  if (code === undefined) return 'good'
  if (typeof code !== 'number' || !Number.isInteger(code)) return 'uncertain'
  if (code === 500) return 'stale'
  if (code >= 192 && code <= 255) return 'good'
  if (code >= 64 && code < 192) return 'uncertain'
  if (code >= 0 && code < 64) return 'bad'
  return 'uncertain'
}
