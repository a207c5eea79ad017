// JSON Schema `pattern` and `patternProperties` run on RE2JS, a linear-time engine (a port of RE2), instead
// of V8's backtracking one: a registered `^(a+)+$` can no longer stall the process for seconds on one long
// string (issue 12). Patterns RE2 cannot run in linear time (lookahead, lookbehind, backreferences) fail to
// compile, so registering such a schema is refused with the reason (docs/decisions/0010).
import type { RegExpEngine } from 'ajv/dist/types/index.js'
import { RE2JS } from 're2js'

/** Ajv's `code.regExp`: compiles `pattern` for `.test()`; `u` is Ajv's unicode flag ("u" or ""). */
export const linearRegExp: RegExpEngine = Object.assign(
  (pattern: string, _u: string) => {
    let compiled: RE2JS
    try {
      // ECMAScript escapes (\u0041, \/, named groups) are translated to RE2 syntax first. RE2JS always
      // matches by code point, as ECMAScript does with the `u` flag that Ajv sets.
      compiled = RE2JS.compile(RE2JS.translateRegExp(pattern))
    } catch (err) {
      throw new Error(
        `pattern ${JSON.stringify(pattern)} cannot be run in linear time (${(err as Error).message}); lookahead, lookbehind and backreferences are not supported`,
      )
    }
    return {
      test: (s: string) => compiled.test(s),
      // Ajv keys its cache of compiled patterns by toString(): it must differ per pattern.
      toString: () => `re2js:/${pattern}/`,
    }
  },
  { code: 'linearRegExp' },
)
