import { run } from './proc.js';
import { swarmEntry } from './paths.js';
import { JsonProc, type StampedEvent } from './resume-tools.js';

/**
 * Timing `swarm download` on data that is already complete, shared by the restart test
 * and the restart benchmark: the whole process (spawn to exit) and the check phase (from
 * the `start` event to the `checked` event, as they arrive).
 */

export interface TimedRun {
  wallMs: number;
  checkMs: number;
  /** `checking` events: the run hashed data (none when the resume file was trusted). */
  hashingEvents: number;
  code: number | null;
  checked: Record<string, unknown>;
  done: Record<string, unknown> | undefined;
  stderr: string;
}

export async function timedDownload(args: string[], timeoutMs = 120_000): Promise<TimedRun> {
  const p = new JsonProc(args);
  try {
    const { code } = await p.proc.wait(timeoutMs);
    const end = performance.now();
    // the last lines may still be in the pipe after the exit event
    await new Promise((r) => setTimeout(r, 20));
    const start = p.first('start');
    const checked = p.first('checked');
    if (!start || !checked) throw new Error(`no start/checked events (exit ${code}):\n${p.proc.stdout}\n${p.proc.stderr}`);
    return {
      wallMs: end - p.startedAt,
      checkMs: (checked as StampedEvent).at - start.at,
      hashingEvents: p.all('checking').length,
      code,
      checked: checked.e,
      done: p.first('done')?.e,
      stderr: p.proc.stderr,
    };
  } finally {
    await p.kill();
  }
}

/** Wall time of `swarm --version`: the cost of starting Node and loading the CLI. */
export async function startupMs(): Promise<number> {
  const t0 = performance.now();
  const r = await run(process.execPath, [swarmEntry(), '--version'], { timeoutMs: 30_000 });
  if (r.code !== 0) throw new Error(`swarm --version failed: ${r.stderr}`);
  return performance.now() - t0;
}

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}
