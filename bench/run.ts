// `npm run bench [-- name [args]]`: runs bench/<name>.bench.ts (default: e2e, the end-to-end suite).
// Each bench is a script that runs on import and prints its numbers (STYLE.md rule 12).
import { existsSync, readdirSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath, pathToFileURL } from 'node:url'

const here = dirname(fileURLToPath(import.meta.url))
const available = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .map((f) => f.slice(0, -'.bench.ts'.length))
const name = process.argv[2] && !process.argv[2].startsWith('-') ? process.argv[2] : 'e2e'
const file = join(here, `${name}.bench.ts`)
if (!existsSync(file)) {
  console.error(`bench: no bench/${name}.bench.ts; available: ${available.join(', ')}`)
  process.exit(2)
}
// The bench reads its own options after the name.
process.argv.splice(2, process.argv[2] === name ? 1 : 0)
await import(pathToFileURL(file).href)
