// The web explorer (issue 14) at `/`: the static ES modules of web/ and, under /vendor/, the few
// browser libraries it imports, served straight from node_modules (versions pinned by the lockfile,
// audited by npm; no build step). index.html maps the bare names with an import map.
import { createHash } from 'node:crypto'
import { createReadStream, existsSync, readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import { basename, dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import fastifyStatic from '@fastify/static'
import type { FastifyPluginAsync } from 'fastify'

export interface ExplorerRoutesOptions {
  /** The folder of index.html; default: web/ of this package. */
  readonly root?: string
}

const require = createRequire(import.meta.url)

/** URL name under /vendor/ -> package, file inside it, content type. */
const VENDOR: Record<string, { pkg: string; file: string; type: string }> = {
  'preact.mjs': { pkg: 'preact', file: 'dist/preact.mjs', type: 'text/javascript' },
  'preact-hooks.mjs': { pkg: 'preact', file: 'hooks/dist/hooks.mjs', type: 'text/javascript' },
  'htm.mjs': { pkg: 'htm', file: 'dist/htm.mjs', type: 'text/javascript' },
  'uplot.mjs': { pkg: 'uplot', file: 'dist/uPlot.esm.js', type: 'text/javascript' },
  'uplot.css': { pkg: 'uplot', file: 'dist/uPlot.min.css', type: 'text/css' },
}

/** The folder of an installed package (its "exports" may hide both package.json and dist files). */
function packageDir(pkg: string): string {
  let dir = dirname(require.resolve(pkg))
  while (!existsSync(join(dir, 'package.json')) || basename(dir) !== pkg) {
    const up = dirname(dir)
    if (up === dir) throw new Error(`package ${pkg} not found`)
    dir = up
  }
  return dir
}

/** web/ of this package, from src/api/routes (tsx) or dist/src/api/routes (built). */
export function defaultWebRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (let i = 0; i < 6; i++) {
    if (existsSync(join(dir, 'web', 'index.html'))) return join(dir, 'web')
    dir = dirname(dir)
  }
  throw new Error('web/index.html not found above the API module: the explorer files are missing')
}

/**
 * The page's Content-Security-Policy: scripts from this origin only, plus the one inline import map by
 * its hash (browsers do not load import maps from a file).
 */
export function contentSecurityPolicy(indexHtml: string): string {
  const importMap = /<script type="importmap">([\s\S]*?)<\/script>/.exec(indexHtml)?.[1]
  const hash =
    importMap === undefined ? '' : ` 'sha256-${createHash('sha256').update(importMap).digest('base64')}'`
  return [
    "default-src 'self'",
    `script-src 'self'${hash}`,
    "style-src 'self' 'unsafe-inline'",
    "img-src 'self' data:",
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'self'",
    "frame-ancestors 'none'",
  ].join('; ')
}

export const explorerRoutes: FastifyPluginAsync<ExplorerRoutesOptions> = async (app, opts) => {
  const root = opts.root ?? defaultWebRoot()
  const csp = contentSecurityPolicy(readFileSync(join(root, 'index.html'), 'utf8'))
  const files = new Map<string, { path: string; type: string }>()
  for (const [name, v] of Object.entries(VENDOR))
    files.set(name, { path: join(packageDir(v.pkg), v.file), type: v.type })

  app.get<{ Params: { file: string } }>('/vendor/:file', { schema: { hide: true } }, async (req, reply) => {
    const file = files.get(req.params.file)
    if (file === undefined) return reply.callNotFound()
    return reply
      .type(file.type)
      .header('cache-control', 'public, max-age=3600')
      .send(createReadStream(file.path))
  })

  await app.register(fastifyStatic, {
    root,
    prefix: '/',
    // The explorer is small and changes with the service: revalidate (ETag) rather than cache blindly.
    cacheControl: false,
    decorateReply: false,
    wildcard: false,
    setHeaders: (res, path) => {
      void res.header('cache-control', 'no-cache')
      void res.header('x-content-type-options', 'nosniff')
      if (path.endsWith('.html')) void res.header('content-security-policy', csp)
    },
  })
}
