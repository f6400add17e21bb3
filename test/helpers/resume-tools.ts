import { randomFillSync } from 'node:crypto';
import { closeSync, openSync, readFileSync, readSync, writeSync } from 'node:fs';
import { type Proc, startSwarm } from './proc.js';

/**
 * Helpers for the resume, fault and soak tests: big payloads written fast, pieces on disk
 * compared with the source, CPU time of a process, and NDJSON events stamped with the time
 * they arrived (the CLI's events carry no clock of their own).
 */

export const KiB = 1024;
export const MiB = 1024 * 1024;

/**
 * A file of `size` random-looking bytes, fast: one 16 MiB chunk of random bytes, written
 * again and again with its position stamped into every 16 KiB block, so no two blocks (and
 * no two pieces) are alike and a piece written at the wrong offset fails its hash.
 */
export function writeRandomFile(path: string, size: number): void {
  const chunk = Buffer.alloc(Math.min(16 * MiB, Math.max(size, 1)));
  randomFillSync(chunk);
  const fd = openSync(path, 'w');
  try {
    for (let done = 0; done < size; ) {
      const n = Math.min(chunk.length, size - done);
      for (let off = 0; off + 8 <= n; off += 16 * KiB) chunk.writeDoubleLE(done + off, off);
      writeSync(fd, chunk, 0, n);
      done += n;
    }
  } finally {
    closeSync(fd);
  }
}

/**
 * Which pieces of `file` hold the same bytes as the same pieces of `source` (a missing or
 * short file has fewer). Reads both in step, so memory stays at two pieces.
 */
export function matchingPieces(source: string, file: string, pieceLength: number): boolean[] {
  const src = openSync(source, 'r');
  let dst: number | undefined;
  try {
    dst = openSync(file, 'r');
  } catch {
    dst = undefined;
  }
  try {
    const a = Buffer.alloc(pieceLength);
    const b = Buffer.alloc(pieceLength);
    const out: boolean[] = [];
    for (let pos = 0; ; pos += pieceLength) {
      const n = readSync(src, a, 0, pieceLength, pos);
      if (n === 0) break;
      const m = dst === undefined ? 0 : readFully(dst, b, n, pos);
      out.push(m === n && a.subarray(0, n).equals(b.subarray(0, n)));
      if (n < pieceLength) break;
    }
    return out;
  } finally {
    closeSync(src);
    if (dst !== undefined) closeSync(dst);
  }
}

function readFully(fd: number, buf: Buffer, length: number, position: number): number {
  let got = 0;
  while (got < length) {
    const n = readSync(fd, buf, got, length - got, position + got);
    if (n === 0) break;
    got += n;
  }
  return got;
}

/** Bytes of the pieces marked true; the last piece may be short. */
export function piecesBytes(have: boolean[], pieceLength: number, totalLength: number): number {
  let sum = 0;
  have.forEach((h, i) => {
    if (h) sum += Math.min(pieceLength, totalLength - i * pieceLength);
  });
  return sum;
}

/** User + system CPU seconds a process has used so far (Linux /proc). */
export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // the command name (field 2) may hold spaces: count fields after its closing parenthesis
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return ticks / 100; // USER_HZ is 100 on Linux
}

export interface StampedEvent {
  at: number;
  e: Record<string, unknown>;
}

/**
 * A `swarm ... --json` process whose NDJSON events are collected with their arrival
 * time (performance.now()), for timing phases from outside.
 */
export class JsonProc {
  readonly proc: Proc;
  readonly events: StampedEvent[] = [];
  readonly startedAt = performance.now();
  private partial = '';

  constructor(args: string[]) {
    this.proc = startSwarm(args);
    this.proc.child.stdout!.on('data', (d: Buffer) => {
      const at = performance.now();
      const lines = (this.partial + d.toString()).split('\n');
      this.partial = lines.pop()!;
      for (const l of lines) if (l !== '') this.events.push({ at, e: JSON.parse(l) as Record<string, unknown> });
    });
  }

  get pid(): number {
    return this.proc.pid!;
  }

  all(name: string): StampedEvent[] {
    return this.events.filter((x) => x.e.event === name);
  }

  first(name: string): StampedEvent | undefined {
    return this.events.find((x) => x.e.event === name);
  }

  /** The first event (from index `from` on) that matches; throws after `ms` or if the process exits first. */
  async waitFor(pred: (e: Record<string, unknown>) => boolean, ms = 30_000, from = 0): Promise<StampedEvent> {
    const deadline = Date.now() + ms;
    for (;;) {
      for (let i = from; i < this.events.length; i++) if (pred(this.events[i]!.e)) return this.events[i]!;
      if (!this.proc.running) {
        // the last lines may still be in the pipe: give them a moment
        await new Promise((r) => setTimeout(r, 50));
        for (let i = from; i < this.events.length; i++) if (pred(this.events[i]!.e)) return this.events[i]!;
        throw new Error(`process ${this.pid} exited before the event:\n${this.proc.stdout.slice(-2000)}\n${this.proc.stderr}`);
      }
      if (Date.now() > deadline) throw new Error(`timed out waiting for an event:\n${this.proc.stdout.slice(-2000)}\n${this.proc.stderr}`);
      await new Promise((r) => setTimeout(r, 20));
    }
  }

  /** Kills by PID with SIGKILL (if still running) and waits for the exit. */
  async kill(): Promise<void> {
    await this.proc.stop('SIGKILL');
  }
}

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
