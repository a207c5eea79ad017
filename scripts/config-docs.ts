// `npm run docs:config`: regenerates docs/configuration.md from the one config schema.
import { writeFileSync } from 'node:fs'
import { configReferenceMarkdown } from '../src/config/index.js'

writeFileSync('docs/configuration.md', configReferenceMarkdown())
console.log('wrote docs/configuration.md')
