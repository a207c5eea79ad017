import { readdir } from 'node:fs/promises'
import { join } from 'node:path'
import { NamespaceDirEmpty, NamespaceFileUnreadable, type UnsError } from '../errors.js'
import { crossCheck } from './cross-checks.js'
import type { NamespaceDefinition } from './definition.js'
import { checkFileSchema } from './file-validate.js'
import { mergeFiles } from './merge.js'
import { readYamlSource, toError, type Problem, type YamlSource } from './yaml-source.js'

function fail(problems: readonly Problem[]): UnsError {
  const errors = problems.map(toError)
  const first = errors[0] as UnsError
  if (errors.length === 1) return first
  // One coded error (the first problem's) that still lists every problem, so one run shows all fixes.
  first.message += `\n(${errors.length - 1} more: ${errors
    .slice(1)
    .map((e) => `\n  ${e.message}`)
    .join('')})`
  Object.assign(first.details, { problems: errors.map((e) => ({ code: e.code, ...e.details })) })
  return first
}

/**
 * Loads every `*.yaml`/`*.yml` file of `dir` (sorted by name), validates each against the namespace
 * file schema, merges them and checks the rules that span files. Throws one coded UnsError
 * (`UNS_ERR_NAMESPACE_*`) naming file, line, path and reason; `details.problems` lists them all.
 */
export async function loadNamespace(dir: string): Promise<NamespaceDefinition> {
  let names: string[]
  try {
    names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort()
  } catch (err) {
    throw new NamespaceFileUnreadable([dir, (err as Error).message], { file: dir }, { cause: err })
  }
  if (names.length === 0) throw new NamespaceDirEmpty([dir], { file: dir })
  const sources: YamlSource[] = []
  const problems: Problem[] = []
  for (const name of names) {
    const src = await readYamlSource(join(dir, name))
    if (Array.isArray(src)) {
      problems.push(...src)
      continue
    }
    const schemaProblems = checkFileSchema(src)
    if (schemaProblems.length > 0) problems.push(...schemaProblems)
    else sources.push(src)
  }
  if (problems.length > 0) throw fail(problems)
  const merged = mergeFiles(sources)
  problems.push(...merged.problems, ...crossCheck(merged))
  if (problems.length > 0) throw fail(problems)
  return merged.definition
}
