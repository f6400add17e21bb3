/**
 * The two clients of the download bench as processes: `swarm seed` / `swarm download` (the
 * compiled CLI of this build) and libtorrent through py/lt_bench.py. A seeder is returned
 * only once its data is checked and it serves; a leecher is measured from its spawn to its
 * exit, its CPU and memory polled from /proc meanwhile.
 */
import { statSync } from 'node:fs';
import { join } from 'node:path';
import { PYTHON } from '../helpers/interop.js';
import { repoRoot, swarmEntry } from '../helpers/paths.js';
import { Proc } from '../helpers/proc.js';
import { ProcWatch, type ProcUsage } from './procstat.js';

export type ClientName = 'libtorrent' | 'swarm';

/** tsc does not copy .py files into the build folder: the script is read from the source tree. */
export const LT_BENCH_SCRIPT = join(repoRoot(), 'test/bench/py/lt_bench.py');

export interface Seeder {
  client: ClientName;
  port: number;
  proc: Proc;
}

/** Every process the bench has running, so an interrupted bench can stop them all by PID. */
const live = new Set<Proc>();

function track(p: Proc): Proc {
  live.add(p);
  p.child.once('exit', () => live.delete(p));
  return p;
}

/** Stops every seeder and leecher still running (Ctrl-C on the bench). */
export async function stopAll(): Promise<void> {
  await Promise.all([...live].map((p) => stopProc(p)));
}

function ltArgs(mode: 'seed' | 'leech', torrent: string, dir: string, ports: number[], timeoutSec: number): string[] {
  const args = [LT_BENCH_SCRIPT, mode, '--torrent', torrent, '--save', dir, '--timeout', String(timeoutSec)];
  for (const p of ports) args.push('--peer', String(p));
  return args;
}

/** Stops by PID: libtorrent's script also sees its stdin close. */
export async function stopProc(p: Proc): Promise<void> {
  p.child.stdin?.end();
  await p.stop('SIGTERM', 5_000);
}

/**
 * Starts a seeder of `torrent` whose data is in `dataPath` (for swarm the file itself, for
 * libtorrent its folder) and waits until it serves: swarm's first `seeding` progress event,
 * libtorrent's `seeding` state after its hash check.
 */
export async function startSeeder(client: ClientName, torrent: string, dataPath: string, dataDir: string, readyMs: number): Promise<Seeder> {
  let proc: Proc;
  if (client === 'swarm') {
    proc = track(new Proc(process.execPath, [swarmEntry(), 'seed', torrent, dataPath, '--port', '0', '--no-trackers', '--json']));
  } else {
    proc = track(new Proc(PYTHON, ltArgs('seed', torrent, dataDir, [], 24 * 3600), { stdio: ['pipe', 'pipe', 'pipe'] }));
  }
  try {
    if (client === 'swarm') {
      await proc.waitFor(/"phase":"seeding"/, readyMs);
      const m = proc.stdout.match(/"event":"start".*?"port":(\d+)/);
      if (!m) throw new Error(`swarm seed printed no port:\n${proc.stdout.slice(0, 2000)}`);
      return { client, port: Number(m[1]), proc };
    }
    await proc.waitFor(/"event": "seeding"/, readyMs);
    return { client, port: Number(proc.stdout.match(/"event": "listening", "port": (\d+)/)![1]), proc };
  } catch (e) {
    await stopProc(proc);
    throw e;
  }
}

export interface LeechResult {
  ok: boolean;
  /** Why the run does not count: a non-zero exit, a kill after the time limit, a short file. */
  error?: string;
  /** From spawn to exit, process start-up and shut-down included. */
  wallSec: number;
  usage: ProcUsage;
  /** libtorrent only: what its own getrusage(RUSAGE_SELF) said at the very end. */
  selfReport?: { cpuSec: number; maxRssMB: number };
}

function tail(p: Proc): string {
  return `${p.stderr.trim().split('\n').slice(-3).join(' | ')} ${p.stdout.trim().split('\n').slice(-2).join(' | ')}`.trim();
}

/**
 * Downloads `torrent` into `outDir` from the seeders on `ports` and measures the leecher.
 * `payload` is the downloaded file's path, checked for its full size afterwards (both
 * clients hash-check every piece before they report completion).
 */
export async function runLeecher(
  client: ClientName,
  torrent: string,
  outDir: string,
  ports: number[],
  payload: { path: string; bytes: number },
  timeoutMs: number,
): Promise<LeechResult> {
  const t0 = performance.now();
  const proc = track(
    client === 'swarm'
      ? new Proc(process.execPath, [swarmEntry(), 'download', torrent, '-o', outDir, '--no-trackers', ...ports.flatMap((p) => ['--peer', `127.0.0.1:${p}`]), '--quiet'])
      : new Proc(PYTHON, ltArgs('leech', torrent, outDir, ports, Math.ceil(timeoutMs / 1000) + 30), { stdio: ['pipe', 'pipe', 'pipe'] }),
  );
  const watch = new ProcWatch(proc.pid!, 50);
  let exit: { code: number | null; signal: NodeJS.Signals | null } | undefined;
  try {
    exit = await proc.wait(timeoutMs);
  } catch {
    // stuck: measured as far as it got, then killed
  }
  const wallSec = (performance.now() - t0) / 1000;
  const usage = watch.stop();
  if (!exit) {
    await proc.stop('SIGKILL');
    return { ok: false, error: `killed after ${Math.round(timeoutMs / 1000)} s without finishing`, wallSec, usage };
  }
  let selfReport: LeechResult['selfReport'];
  const ru = proc.stdout.match(/"event": "rusage", "cpu": ([\d.e-]+), "maxrss_kib": (\d+)/);
  if (ru) selfReport = { cpuSec: Number(ru[1]), maxRssMB: (Number(ru[2]) * 1024) / 1e6 };
  const base = { wallSec, usage, ...(selfReport ? { selfReport } : {}) };
  if (exit.code !== 0) return { ok: false, error: `${client} exited with ${exit.code ?? exit.signal}: ${tail(proc)}`, ...base };
  let size = -1;
  try {
    size = statSync(payload.path).size;
  } catch {
    // reported below
  }
  if (size !== payload.bytes) return { ok: false, error: `${client} exited 0 but ${payload.path} has ${size} bytes, not ${payload.bytes}`, ...base };
  return { ok: true, ...base };
}
