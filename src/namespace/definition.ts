import type { FIELD_CLASSES, FIELD_TYPES } from './file-schema.js'

export type FieldType = (typeof FIELD_TYPES)[number]
export type FieldClass = (typeof FIELD_CLASSES)[number]

/** Where a definition came from, for error messages and the API. */
export interface SourceLocation {
  readonly file: string
  /** 1-based line; absent when the YAML parser gave none. */
  readonly line?: number
}

export interface ModelRef {
  readonly name: string
  readonly version: number
}

export interface FieldDef {
  readonly name: string
  /** Absent when the field is a sub-model (`model`). */
  readonly type?: FieldType
  readonly model?: ModelRef
  readonly unit?: string
  readonly range?: { readonly min?: number; readonly max?: number }
  readonly class: FieldClass
  readonly description?: string
  /** Whether enterprise systems may write it (NCMD/DCMD or UNS publish). Default false. */
  readonly writable: boolean
  readonly enum?: readonly (string | number | boolean)[]
}

export interface ModelVersion {
  readonly name: string
  readonly version: number
  readonly description?: string
  /** Fields in declaration order. */
  readonly fields: readonly FieldDef[]
  readonly source: SourceLocation
}

export interface ModelDef {
  readonly name: string
  readonly description?: string
  /** Sorted by version, ascending; each one only adds fields to the one before. */
  readonly versions: readonly ModelVersion[]
}

export interface NodeDef {
  readonly path: string
  readonly level?: string
  readonly model?: ModelRef
  readonly displayName?: string
  readonly attributes: Readonly<Record<string, string | number | boolean>>
  readonly source: SourceLocation
}

export interface SparkplugMappingDef {
  readonly group: string
  readonly edge: string
  /** Absent: the mapping covers the edge node's own metrics and, below `path/{device}`, all its devices. */
  readonly device?: string
  readonly path: string
  /** Metric name → path below `path` (renames); unlisted metrics keep their name. */
  readonly metrics: Readonly<Record<string, string>>
}

export interface SparkplugSection {
  /** Default `{group}/{edge}/{device}/{metric}`. */
  readonly pathTemplate: string
  readonly mappings: readonly SparkplugMappingDef[]
}

/** All namespace files of a folder, merged and cross-checked. */
export interface NamespaceDefinition {
  /** Ordered ISA-95 levels; default enterprise, site, area, line, cell. */
  readonly levels: readonly string[]
  readonly models: Readonly<Record<string, ModelDef>>
  readonly nodes: readonly NodeDef[]
  readonly sparkplug: SparkplugSection
  /** The files that were merged, in load order. */
  readonly files: readonly string[]
}

export const DEFAULT_LEVELS: readonly string[] = ['enterprise', 'site', 'area', 'line', 'cell']
export const DEFAULT_SPARKPLUG_TEMPLATE = '{group}/{edge}/{device}/{metric}'

export function formatModelRef(ref: ModelRef): string {
  return `${ref.name}@${ref.version}`
}

export function parseModelRef(text: string): ModelRef {
  const at = text.lastIndexOf('@')
  return { name: text.slice(0, at), version: Number(text.slice(at + 1)) }
}

export function findModelVersion(def: NamespaceDefinition, ref: ModelRef): ModelVersion | undefined {
  return Object.hasOwn(def.models, ref.name)
    ? def.models[ref.name]?.versions.find((v) => v.version === ref.version)
    : undefined
}
