/**
 * CPU time and memory of any running process, read from /proc (Linux) while it runs.
 * Node reaps a child as soon as it exits, so /proc/PID is gone by the time 'exit' fires:
 * the last figures are those of the last poll, at most one interval before the exit. CPU
 * time can only grow and VmHWM is the kernel's own high-water mark, so a poll loses at
 * most one interval's worth of CPU and of RSS growth.
 */
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

let ticks: number | undefined;

/** Clock ticks per second of utime/stime in /proc/PID/stat (getconf CLK_TCK; 100 almost everywhere). */
export function clockTicks(): number {
  if (ticks === undefined) {
    const r = spawnSync('getconf', ['CLK_TCK'], { encoding: 'utf8' });
    const n = Number(r.stdout?.trim());
    ticks = r.status === 0 && Number.isInteger(n) && n > 0 ? n : 100;
  }
  return ticks;
}

export interface ProcSample {
  /** utime + stime of every thread, live or exited, in seconds. */
  cpuSec: number;
  /** VmHWM: peak resident set so far, file-backed pages (mmap) included. */
  hwmKiB: number;
  /** RssAnon now: anonymous memory (heap, stacks), without the page cache a client maps. */
  anonKiB: number;
}

/** Parses /proc/PID/stat text: utime and stime are fields 14 and 15, counted after the `(comm)` that may hold spaces. */
export function parseStatCpu(stat: string, hz: number): number {
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state)
  return (Number(rest[11]) + Number(rest[12])) / hz;
}

/** Parses a `Key:  N kB` line of /proc/PID/status; 0 when it is missing (a zombie has none). */
export function statusKiB(status: string, key: string): number {
  const m = status.match(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm'));
  return m ? Number(m[1]) : 0;
}

/** One reading, or undefined once the process has gone. */
export function readProc(pid: number): ProcSample | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    return { cpuSec: parseStatCpu(stat, clockTicks()), hwmKiB: statusKiB(status, 'VmHWM'), anonKiB: statusKiB(status, 'RssAnon') };
  } catch {
    return undefined;
  }
}

export interface ProcUsage {
  cpuSec: number;
  /** Peak RSS (VmHWM), MB (10^6 bytes). */
  peakRssMB: number;
  /** Highest RssAnon seen by the polls, MB. */
  peakAnonMB: number;
  samples: number;
}

/** Polls one process every `intervalMs` until stop(); keeps the last CPU time and the peaks. */
export class ProcWatch {
  private cpuSec = 0;
  private hwmKiB = 0;
  private anonKiB = 0;
  private samples = 0;
  private readonly timer: NodeJS.Timeout;

  constructor(
    private readonly pid: number,
    intervalMs = 50,
  ) {
    this.poll();
    this.timer = setInterval(() => this.poll(), intervalMs);
  }

  poll(): void {
    const s = readProc(this.pid);
    if (!s) return;
    this.samples++;
    this.cpuSec = Math.max(this.cpuSec, s.cpuSec);
    // a zombie reports no memory lines: keep what was seen while it lived
    this.hwmKiB = Math.max(this.hwmKiB, s.hwmKiB);
    this.anonKiB = Math.max(this.anonKiB, s.anonKiB);
  }

  /** Call once the process has exited (or right before killing it). */
  stop(): ProcUsage {
    clearInterval(this.timer);
    this.poll();
    return { cpuSec: this.cpuSec, peakRssMB: (this.hwmKiB * 1024) / 1e6, peakAnonMB: (this.anonKiB * 1024) / 1e6, samples: this.samples };
  }
}
