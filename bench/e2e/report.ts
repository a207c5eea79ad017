// The e2e bench's markdown: machine description and one table, written into bench/README.md as the
// `## End-to-end (issue 7)` section (replaced on each run, other sections kept).
import { execSync } from 'node:child_process'
import { cpus, loadavg } from 'node:os'
import { readFileSync, writeFileSync } from 'node:fs'

export const SECTION = '## End-to-end (issue 7)'
const DEFAULT_SECTION = SECTION

const sh = (cmd: string): string => {
  try {
    return execSync(cmd, { encoding: 'utf8' }).trim()
  } catch {
    return '?'
  }
}

const show = (l: readonly number[]): string => l.map((x) => x.toFixed(2)).join(' ')

export function machine(loadAtStart: readonly number[]): string[] {
  const mem = sh('free -h').split('\n')[1]?.split(/\s+/)[1] ?? '?'
  return [
    `- CPU: ${sh('nproc')} x ${cpus()[0]?.model ?? '?'} (\`nproc\`), RAM ${mem} (\`free -h\`)`,
    `- load average (1/5/15 min) at start ${show(loadAtStart)}, at end ${show(loadavg())}: the 2 cores are shared with other engineers' builds and tests`,
    `- Node ${process.version}, kafkajs producer/consumer, aedes broker, Apache Kafka 4.4.0 (single node, KRaft, same machine)`,
    `- ${new Date().toISOString()}, git ${sh('git rev-parse --short HEAD')} on branch \`${sh('git rev-parse --abbrev-ref HEAD')}\``,
  ]
}

export function table(header: string[], rows: string[][]): string[] {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)))
  const line = (cells: string[]): string => `| ${cells.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`
  return [line(header), `| ${widths.map((w) => '-'.repeat(w)).join(' | ')} |`, ...rows.map(line)]
}

/** Replaces (or appends) the section in the README, keeping every other section. */
export function writeSection(readmePath: string, body: string[], SECTION = DEFAULT_SECTION): void {
  const text = readFileSync(readmePath, 'utf8')
  const start = text.indexOf(`${SECTION}\n`)
  const section = `${SECTION}\n\n${body.join('\n')}\n`
  let next: string
  if (start < 0) next = `${text.trimEnd()}\n\n${section}`
  else {
    const after = text.indexOf('\n## ', start + SECTION.length)
    next = `${text.slice(0, start)}${section}${after < 0 ? '' : `\n${text.slice(after + 1)}`}`
  }
  writeFileSync(readmePath, next)
}

export const fmt = (n: number, digits = 0): string =>
  Number.isFinite(n)
    ? n.toLocaleString('en', { maximumFractionDigits: digits, minimumFractionDigits: digits })
    : '-'
