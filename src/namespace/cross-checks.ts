import {
  NamespaceFileInvalid,
  NamespaceLevelMismatch,
  NamespaceModelCycle,
  NamespaceModelNotAddOnly,
  NamespaceModelUnknown,
  NamespaceNodeDuplicate,
  type UnsErrorClass,
} from '../errors.js'
import {
  findModelVersion,
  formatModelRef,
  type FieldDef,
  type ModelRef,
  type ModelVersion,
} from './definition.js'
import type { Merged, Origin } from './merge.js'
import type { DocKey, Problem } from './yaml-source.js'

const COMPARED: readonly (keyof FieldDef)[] = ['type', 'model', 'unit', 'range', 'class', 'writable', 'enum']

function changedProps(a: FieldDef, b: FieldDef): string[] {
  return COMPARED.filter((k) => JSON.stringify(a[k]) !== JSON.stringify(b[k])).map(
    (k) => `${k} ${JSON.stringify(a[k]) ?? 'unset'} -> ${JSON.stringify(b[k]) ?? 'unset'}`,
  )
}

/** Rules that span files: references, add-only versions, sub-model cycles, level depth, path clashes. */
export function crossCheck({ definition: def, origins }: Merged): Problem[] {
  const problems: Problem[] = []
  const report = (kind: UnsErrorClass, origin: Origin, extra: DocKey[], reason: string): void => {
    const keys = [...origin.keys, ...extra]
    const line = origin.src.lineOf(keys)
    problems.push({
      kind,
      file: origin.src.file,
      ...(line === undefined ? {} : { line }),
      path: keys,
      reason,
    })
  }
  const unknown = (ref: ModelRef): string => {
    const m = Object.hasOwn(def.models, ref.name) ? def.models[ref.name] : undefined
    if (m === undefined) return `unknown model ${formatModelRef(ref)}: no model named ${ref.name} is declared`
    const known = m.versions.map((v) => formatModelRef(v)).join(', ')
    return `unknown model ${formatModelRef(ref)}: declared versions are ${known}`
  }

  for (const model of Object.values(def.models)) {
    for (const mv of model.versions) {
      const o = origins.get(mv) as Origin
      for (const f of mv.fields) {
        if (f.type !== undefined && f.model !== undefined) {
          report(
            NamespaceFileInvalid,
            o,
            ['fields', f.name],
            'a field has either a type or a model, not both',
          )
        }
        if (f.model !== undefined && findModelVersion(def, f.model) === undefined) {
          report(NamespaceModelUnknown, o, ['fields', f.name, 'model'], unknown(f.model))
        }
      }
    }
    // [PRODUCT.md §3] models are add-only: a consumer of version n must be able to read version n+1.
    for (let i = 1; i < model.versions.length; i++) {
      const prev = model.versions[i - 1] as ModelVersion
      const next = model.versions[i] as ModelVersion
      const o = origins.get(next) as Origin
      for (const pf of prev.fields) {
        const nf = next.fields.find((f) => f.name === pf.name)
        const tail = 'models are add-only: keep it unchanged and add new fields, or declare a new model'
        if (nf === undefined) {
          report(
            NamespaceModelNotAddOnly,
            o,
            ['fields'],
            `${model.name}@${next.version} removes field "${pf.name}" of ${model.name}@${prev.version}; ${tail}`,
          )
          continue
        }
        const diff = changedProps(pf, nf)
        if (diff.length > 0) {
          report(
            NamespaceModelNotAddOnly,
            o,
            ['fields', nf.name],
            `${model.name}@${next.version} changes field "${pf.name}" of ${model.name}@${prev.version} (${diff.join(', ')}); ${tail}`,
          )
        }
      }
    }
  }
  problems.push(...findCycles(def.models, origins))

  const nodePaths = new Set(def.nodes.map((n) => n.path))
  for (const node of def.nodes) {
    const o = origins.get(node) as Origin
    const depth = node.path.split('/').length
    if (node.level !== undefined) {
      const index = def.levels.indexOf(node.level)
      const expected = def.levels[depth - 1]
      if (index === -1) {
        report(
          NamespaceLevelMismatch,
          o,
          ['level'],
          `unknown level "${node.level}" (declared levels: ${def.levels.join(', ')})`,
        )
      } else if (index !== depth - 1) {
        const should =
          expected === undefined
            ? `deeper than the ${def.levels.length} declared levels`
            : `expected level "${expected}"`
        report(
          NamespaceLevelMismatch,
          o,
          ['level'],
          `level "${node.level}" is level ${index + 1}, but path ${node.path} has ${depth} levels (${should})`,
        )
      }
    }
    if (node.model === undefined) continue
    const mv = findModelVersion(def, node.model)
    if (mv === undefined) {
      report(NamespaceModelUnknown, o, ['model'], unknown(node.model))
      continue
    }
    for (const f of mv.fields) {
      const tag = `${node.path}/${f.name}`
      if (nodePaths.has(tag)) {
        report(
          NamespaceNodeDuplicate,
          o,
          ['model'],
          `field "${f.name}" of ${formatModelRef(mv)} would create ${tag}, which is also declared as a node`,
        )
      }
    }
  }
  return problems
}

function findCycles(
  models: Readonly<Record<string, { versions: readonly ModelVersion[] }>>,
  origins: WeakMap<object, Origin>,
): Problem[] {
  const byRef = new Map<string, ModelVersion>()
  for (const m of Object.values(models)) for (const v of m.versions) byRef.set(formatModelRef(v), v)
  const done = new Set<string>()
  const problems: Problem[] = []
  const visit = (mv: ModelVersion, stack: string[]): void => {
    const id = formatModelRef(mv)
    if (done.has(id)) return
    stack.push(id)
    for (const f of mv.fields) {
      if (f.model === undefined) continue
      const ref = formatModelRef(f.model)
      const sub = byRef.get(ref)
      if (sub === undefined) continue
      if (stack.includes(ref)) {
        const o = origins.get(mv) as Origin
        const keys = [...o.keys, 'fields', f.name, 'model']
        const line = o.src.lineOf(keys)
        const cycle = [...stack.slice(stack.indexOf(ref)), ref].join(' -> ')
        problems.push({
          kind: NamespaceModelCycle,
          file: o.src.file,
          ...(line === undefined ? {} : { line }),
          path: keys,
          reason: `sub-model cycle ${cycle}; a model cannot contain itself`,
        })
        continue
      }
      visit(sub, stack)
    }
    stack.pop()
    done.add(id)
  }
  for (const mv of byRef.values()) visit(mv, [])
  return problems
}
