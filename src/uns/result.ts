import type { UnsError } from '../errors.js'

/** Outcome of a hot-path validator: a value, or the coded error that says why not (STYLE.md rule 5). */
export type Result<T> =
  { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: UnsError }

export function ok<T>(value: T): Result<T> {
  return { ok: true, value }
}

export function fail<T>(error: UnsError): Result<T> {
  return { ok: false, error }
}
