// Template definitions (UDT types) kept as model information: definitions carry is_definition=true
// and no template_ref [tck-id-payloads-template-definition-is-definition, -definition-ref]; they list all
// members and parameters [tck-id-payloads-template-definition-members, -definition-parameters].
import type { UnsValue } from '../uns/index.js'
import { toDatatypeName, type DatatypeName } from './datatypes.js'
import { decodeValue } from './values.js'
import type { WireTemplate } from './wire.js'

export interface TemplateMember {
  readonly name: string
  readonly datatype: DatatypeName
  /** Type of a nested template member. */
  readonly templateRef: string | undefined
}

export interface TemplateDefinition {
  readonly name: string
  readonly version: string | undefined
  readonly members: readonly TemplateMember[]
  /** Parameter defaults [tck-id-payloads-template-definition-parameters-default]. */
  readonly parameters: Readonly<Record<string, UnsValue>>
}

export function decodeTemplateDefinition(name: string, tv: WireTemplate): TemplateDefinition {
  const parameters: Record<string, UnsValue> = {}
  for (const p of tv.parameters ?? []) {
    if (p.name == null) continue
    const hasValue = p.intValue != null || p.longValue != null || p.floatValue != null
    const set = hasValue || p.doubleValue != null || p.booleanValue != null || p.stringValue != null
    parameters[p.name] = set ? decodeValue(p, p.type ?? 0) : null
  }
  return {
    name,
    version: tv.version ? tv.version : undefined,
    members: (tv.metrics ?? []).map((m) => ({
      name: m.name ?? '',
      datatype: toDatatypeName(m.datatype ?? 0),
      templateRef: m.templateValue?.templateRef ? m.templateValue.templateRef : undefined,
    })),
    parameters,
  }
}
