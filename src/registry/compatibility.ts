// Compatibility levels with Confluent Schema Registry semantics (docs: "Schema Evolution and
// Compatibility"; JSON Schema rules from io.confluent.kafka.schemaregistry.json.diff.Difference):
//   BACKWARD  the new schema can read data written with the old one (every old-valid value is new-valid)
//   FORWARD   the old schema can read data written with the new one (every new-valid value is old-valid)
//   FULL      both.  *_TRANSITIVE: against every earlier version, otherwise against the latest only.
//   NONE      no check.
//
// Rules applied by schema-diff.ts (O = old, N = new; B = keeps BACKWARD, F = keeps FORWARD):
//   change                                                        B  F
//   type widened (number→number|string, integer→number, →any)     ✓  ✗
//   type narrowed (number→integer, any→string)                     ✗  ✓
//   type changed (string→number)                                   ✗  ✗
//   enum/const value added | enum removed                          ✓  ✗
//   enum/const value removed | enum added                          ✗  ✓
//   min* raised, max* lowered, bound added                         ✗  ✓
//   min* lowered, max* raised, bound removed                       ✓  ✗
//   pattern/format/multipleOf added                                ✗  ✓   (removed: ✓ ✗, changed: ✗ ✗)
//   required property added / property made required              ✗  ✓
//   required property removed / property made optional            ✓  ✗
//   property added to closed content model (additionalProperties:false)  ✓  ✗
//   property added to open content model (unless its schema accepts anything) ✗  ✓
//   property removed from closed content model                     ✗  ✓
//   property removed from open content model                       ✓  ✗
//   additionalProperties set to false                              ✗  ✓   (no longer false: ✓ ✗)
//   anyOf alternative added | allOf constraint removed             ✓  ✗   (reverse: ✗ ✓)
//   oneOf alternatives added/removed, prefixItems length changed   ✗  ✗
//   not/if/then/else/contains/propertyNames/dependent*/unevaluated* added ✗ ✓, removed ✓ ✗, edited ✗ ✗
//   patternProperties edited                                        ✗  ✗
//   annotations (title, description, default, examples, $comment, unknown keywords) ignored
// Differences from Confluent, on purpose: a required property added WITH a `default` is still not
// BACKWARD here, because uns-bridge validates data as it arrives and Ajv does not fill defaults in.
// Open content models make almost every added property a BACKWARD break (as in Confluent): give
// evolving objects `additionalProperties: false` so that adding optional properties stays BACKWARD.
import { diffSchemas, type Change } from './schema-diff.js'
import type { Compatibility, CompatibilityReason, CompatibilityResult } from './types.js'

export interface PreviousVersion {
  readonly version: number
  readonly schema: unknown
}

/**
 * Checks `candidate` against `previous` (oldest first) under `level`. Non-transitive levels compare
 * with the last element only.
 */
export function checkCompatibility(
  level: Compatibility,
  candidate: unknown,
  previous: readonly PreviousVersion[],
): CompatibilityResult {
  if (level === 'NONE' || previous.length === 0) return { compatible: true, level, reasons: [] }
  const transitive = level.endsWith('_TRANSITIVE')
  const against = transitive ? previous : previous.slice(-1)
  const needBackward = level.startsWith('BACKWARD') || level.startsWith('FULL')
  const needForward = level.startsWith('FORWARD') || level.startsWith('FULL')
  const reasons: CompatibilityReason[] = []
  // Newest first, so the most relevant reasons lead the list.
  for (const prev of [...against].reverse()) {
    for (const c of diffSchemas(prev.schema, candidate)) {
      if ((needBackward && !c.backward) || (needForward && !c.forward))
        reasons.push(toReason(c, prev.version))
    }
  }
  return { compatible: reasons.length === 0, level, reasons }
}

function toReason(c: Change, version: number): CompatibilityReason {
  return {
    path: c.path,
    change: c.change,
    version,
    message: `${c.path === '' ? '/' : c.path}: ${c.change} (against version ${version})`,
  }
}
