// CPU and memory of another process from /proc (Linux): CPU seconds from utime+stime, peak RSS from
// VmHWM (the kernel's own high-water mark, so no sample can miss the peak).
import { readFileSync } from 'node:fs'

const TICKS_PER_S = 100 // getconf CLK_TCK on Linux x86-64

export interface ProcSample {
  readonly cpuS: number
  readonly at: number
}

/** `thread`: one thread of the process (its main thread is `pid` itself) instead of all of them. */
export function sampleCpu(pid: number, thread?: number): ProcSample {
  // Fields after the command name (which may hold spaces) start at index 2 = state; utime is field 14.
  const stat = readFileSync(
    thread === undefined ? `/proc/${pid}/stat` : `/proc/${pid}/task/${thread}/stat`,
    'utf8',
  )
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields[11]) + Number(fields[12])
  return { cpuS: ticks / TICKS_PER_S, at: performance.now() }
}

/** CPU use between two samples, in cores (1.0 = one core busy). */
export const cpuCores = (a: ProcSample, b: ProcSample): number => (b.cpuS - a.cpuS) / ((b.at - a.at) / 1000)

/** The whole machine's CPU ticks so far (/proc/stat): busy (everything but idle and iowait) and total. */
export function sampleMachine(): { busy: number; total: number } {
  const fields = (readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? '')
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number)
  const total = fields.reduce((a, b) => a + b, 0)
  return { busy: total - (fields[3] ?? 0) - (fields[4] ?? 0), total }
}

/** Cores of the machine busy between two samples (of `cores` in all). */
export const machineCores = (
  a: { busy: number; total: number },
  b: { busy: number; total: number },
  cores: number,
): number => ((b.busy - a.busy) / (b.total - a.total)) * cores

export function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return kb / 1024
}
