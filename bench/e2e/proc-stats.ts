// CPU and memory of another process from /proc (Linux): CPU seconds from utime+stime, peak RSS from
// VmHWM (the kernel's own high-water mark, so no sample can miss the peak).
import { readFileSync } from 'node:fs'

const TICKS_PER_S = 100 // getconf CLK_TCK on Linux x86-64

export interface ProcSample {
  readonly cpuS: number
  readonly at: number
}

export function sampleCpu(pid: number): ProcSample {
  // Fields after the command name (which may hold spaces) start at index 2 = state; utime is field 14.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  const ticks = Number(fields[11]) + Number(fields[12])
  return { cpuS: ticks / TICKS_PER_S, at: performance.now() }
}

/** CPU use between two samples, in cores (1.0 = one core busy). */
export const cpuCores = (a: ProcSample, b: ProcSample): number => (b.cpuS - a.cpuS) / ((b.at - a.at) / 1000)

export function peakRssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8')
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? 0)
  return kb / 1024
}
