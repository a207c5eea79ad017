import {
  NamespaceFileInvalid,
  NamespaceModelDuplicate,
  NamespaceNodeDuplicate,
  NamespaceSparkplugInvalid,
  type UnsErrorClass,
} from '../errors.js'
import {
  DEFAULT_LEVELS,
  DEFAULT_SPARKPLUG_TEMPLATE,
  parseModelRef,
  type FieldClass,
  type FieldDef,
  type FieldType,
  type ModelDef,
  type ModelVersion,
  type NamespaceDefinition,
  type NodeDef,
  type SparkplugMappingDef,
} from './definition.js'
import { parseUnsPath } from '../uns/index.js'
import type { DocKey, Problem, YamlSource } from './yaml-source.js'

// Shape of a file that passed the file schema.
interface RawField {
  type?: FieldType
  model?: string
  unit?: string
  range?: { min?: number; max?: number }
  class?: FieldClass
  description?: string
  writable?: boolean
  enum?: (string | number | boolean)[]
}
interface RawFile {
  levels?: string[]
  models?: Record<
    string,
    {
      description?: string
      versions: { version: number; description?: string; fields: Record<string, RawField> }[]
    }
  >
  nodes?: {
    path: string
    level?: string
    model?: string
    displayName?: string
    attributes?: Record<string, string | number | boolean>
  }[]
  sparkplug?: {
    pathTemplate?: string
    mappings?: {
      group: string
      edge: string
      device?: string
      path: string
      metrics?: Record<string, string>
    }[]
  }
}

/** Where in which file a merged item was declared, so later checks can name the line. */
export interface Origin {
  readonly src: YamlSource
  readonly keys: readonly DocKey[]
}

export interface Merged {
  readonly definition: NamespaceDefinition
  readonly origins: WeakMap<object, Origin>
  readonly problems: Problem[]
}

function toField(name: string, raw: RawField): FieldDef {
  return {
    name,
    ...(raw.type === undefined ? {} : { type: raw.type }),
    ...(raw.model === undefined ? {} : { model: parseModelRef(raw.model) }),
    ...(raw.unit === undefined ? {} : { unit: raw.unit }),
    ...(raw.range === undefined ? {} : { range: raw.range }),
    class: raw.class ?? 'telemetry',
    ...(raw.description === undefined ? {} : { description: raw.description }),
    writable: raw.writable ?? false,
    ...(raw.enum === undefined ? {} : { enum: raw.enum }),
  }
}

/** Merges schema-valid files; duplicates across files become problems naming both places. */
export function mergeFiles(sources: readonly YamlSource[]): Merged {
  const problems: Problem[] = []
  const origins = new WeakMap<object, Origin>()
  const report = (kind: UnsErrorClass, src: YamlSource, keys: DocKey[], reason: string): void => {
    const line = src.lineOf(keys)
    problems.push({ kind, file: src.file, ...(line === undefined ? {} : { line }), path: keys, reason })
  }
  const where = (o: Origin): string => {
    const line = o.src.lineOf(o.keys)
    return line === undefined ? o.src.file : `${o.src.file}:${line}`
  }

  let levels: { value: string[]; origin: Origin } | undefined
  let template: { value: string; origin: Origin } | undefined
  const models = new Map<string, { description?: string; versions: ModelVersion[] }>()
  const nodes: NodeDef[] = []
  const nodeByPath = new Map<string, NodeDef>()
  const mappings: SparkplugMappingDef[] = []
  const mappingByKey = new Map<string, SparkplugMappingDef>()

  for (const src of sources) {
    const raw = src.data as RawFile
    if (raw.levels !== undefined) {
      const origin = { src, keys: ['levels'] }
      if (levels !== undefined) {
        report(
          NamespaceFileInvalid,
          src,
          ['levels'],
          `levels are already declared in ${where(levels.origin)}; declare them once`,
        )
      } else levels = { value: raw.levels, origin }
    }
    for (const [name, model] of Object.entries(raw.models ?? {})) {
      const entry = models.get(name) ?? { versions: [] }
      if (entry.description === undefined && model.description !== undefined)
        entry.description = model.description
      models.set(name, entry)
      model.versions.forEach((v, i) => {
        const keys = ['models', name, 'versions', i]
        const prior = entry.versions.find((e) => e.version === v.version)
        if (prior !== undefined) {
          const o = origins.get(prior) as Origin
          report(
            NamespaceModelDuplicate,
            src,
            keys,
            `model ${name}@${v.version} is already declared in ${where(o)}`,
          )
          return
        }
        const line = src.lineOf(keys)
        const mv: ModelVersion = {
          name,
          version: v.version,
          ...(v.description === undefined ? {} : { description: v.description }),
          fields: Object.entries(v.fields).map(([f, rf]) => toField(f, rf)),
          source: { file: src.file, ...(line === undefined ? {} : { line }) },
        }
        origins.set(mv, { src, keys })
        entry.versions.push(mv)
      })
    }
    raw.nodes?.forEach((n, i) => {
      const keys = ['nodes', i]
      const checked = parseUnsPath(n.path)
      if (!checked.ok) {
        report(NamespaceFileInvalid, src, [...keys, 'path'], checked.error.message)
        return
      }
      const prior = nodeByPath.get(n.path)
      if (prior !== undefined) {
        const o = origins.get(prior) as Origin
        report(NamespaceNodeDuplicate, src, keys, `node path ${n.path} is already declared in ${where(o)}`)
        return
      }
      const line = src.lineOf(keys)
      const node: NodeDef = {
        path: n.path,
        ...(n.level === undefined ? {} : { level: n.level }),
        ...(n.model === undefined ? {} : { model: parseModelRef(n.model) }),
        ...(n.displayName === undefined ? {} : { displayName: n.displayName }),
        attributes: n.attributes ?? {},
        source: { file: src.file, ...(line === undefined ? {} : { line }) },
      }
      origins.set(node, { src, keys })
      nodeByPath.set(n.path, node)
      nodes.push(node)
    })
    if (raw.sparkplug?.pathTemplate !== undefined) {
      const origin = { src, keys: ['sparkplug', 'pathTemplate'] }
      if (template !== undefined) {
        report(
          NamespaceSparkplugInvalid,
          src,
          ['sparkplug', 'pathTemplate'],
          `pathTemplate is already declared in ${where(template.origin)}`,
        )
      } else template = { value: raw.sparkplug.pathTemplate, origin }
    }
    raw.sparkplug?.mappings?.forEach((m, i) => {
      const keys = ['sparkplug', 'mappings', i]
      const checked = parseUnsPath(m.path)
      if (!checked.ok) {
        report(NamespaceSparkplugInvalid, src, [...keys, 'path'], checked.error.message)
        return
      }
      const id = `${m.group}/${m.edge}/${m.device ?? ''}`
      const prior = mappingByKey.get(id)
      const label = `group ${m.group}, edge ${m.edge}${m.device === undefined ? '' : `, device ${m.device}`}`
      if (prior !== undefined) {
        report(
          NamespaceSparkplugInvalid,
          src,
          keys,
          `${label} is already mapped in ${where(origins.get(prior) as Origin)}`,
        )
        return
      }
      const mapping: SparkplugMappingDef = {
        group: m.group,
        edge: m.edge,
        ...(m.device === undefined ? {} : { device: m.device }),
        path: m.path,
        metrics: m.metrics ?? {},
      }
      origins.set(mapping, { src, keys })
      mappingByKey.set(id, mapping)
      mappings.push(mapping)
    })
  }

  const modelDefs: Record<string, ModelDef> = Object.create(null) as Record<string, ModelDef>
  for (const [name, m] of models) {
    modelDefs[name] = {
      name,
      ...(m.description === undefined ? {} : { description: m.description }),
      versions: [...m.versions].sort((a, b) => a.version - b.version),
    }
  }
  const definition: NamespaceDefinition = {
    levels: levels?.value ?? DEFAULT_LEVELS,
    models: modelDefs,
    nodes,
    sparkplug: { pathTemplate: template?.value ?? DEFAULT_SPARKPLUG_TEMPLATE, mappings },
    files: sources.map((s) => s.file),
  }
  return { definition, origins, problems }
}
