import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { swarmEntry } from '../helpers/paths.js';
import type { BenchResult } from './create.js';
import { run } from '../helpers/proc.js';
import { median, startupMs, timedDownload, type TimedRun } from '../helpers/restart-timing.js';
import { MiB, writeRandomFile } from '../helpers/resume-tools.js';
import { envMiB, isMain, printResults } from './standalone.js';

const ROUNDS = 3;

/**
 * `swarm download` of a complete torrent (1 GiB by default): a full verification
 * (`--recheck`) against a restart that trusts the resume file, interleaved, three rounds,
 * medians; with `swarm --version` as the cost of starting Node and the CLI.
 */
export async function benchRestart(opts: { sizeMiB?: number } = {}): Promise<BenchResult[]> {
  const sizeMiB = opts.sizeMiB ?? 1024;
  const dir = mkdtempSync(join(tmpdir(), 'swarm-bench-restart-'));
  try {
    const data = join(dir, 'big.bin');
    writeRandomFile(data, sizeMiB * MiB);
    const torrent = join(dir, 'big.torrent');
    const made = await run(process.execPath, [swarmEntry(), 'create', data, '-o', torrent, '--no-date', '-q'], { timeoutMs: 600_000 });
    if (made.code !== 0) throw new Error(`swarm create failed: ${made.stderr}`);
    const args = ['download', torrent, '-o', dir, '--no-trackers', '--json'];
    const ok = (r: TimedRun, hashed: boolean): TimedRun => {
      if (r.code !== 0 || r.done?.alreadyComplete !== true || (r.hashingEvents > 0) !== hashed) {
        throw new Error(`unexpected run (exit ${r.code}, ${r.hashingEvents} checking events): ${r.stderr}`);
      }
      return r;
    };
    // the first run saves the resume file
    ok(await timedDownload(args, 600_000), true);
    const full: TimedRun[] = [];
    const fast: TimedRun[] = [];
    const startup: number[] = [];
    for (let round = 0; round < ROUNDS; round++) {
      full.push(ok(await timedDownload([...args, '--recheck'], 600_000), true));
      fast.push(ok(await timedDownload(args, 600_000), false));
      startup.push(await startupMs());
    }
    const size = `${sizeMiB} MiB`;
    const ms = (xs: number[]) => Math.round(median(xs));
    const runs = (xs: number[]) => xs.map((x) => Math.round(x)).join('/');
    const fullWall = median(full.map((r) => r.wallMs));
    const fastWall = median(fast.map((r) => r.wallMs));
    const fullCheck = median(full.map((r) => r.checkMs));
    const fastCheck = median(fast.map((r) => r.checkMs));
    return [
      { name: `full verification ${size} (wall)`, value: ms(full.map((r) => r.wallMs)), unit: 'ms', note: `--recheck; runs ${runs(full.map((r) => r.wallMs))}` },
      { name: `restart, resume file (wall)`, value: ms(fast.map((r) => r.wallMs)), unit: 'ms', note: `runs ${runs(fast.map((r) => r.wallMs))}` },
      { name: `full verification ${size} (check)`, value: ms(full.map((r) => r.checkMs)), unit: 'ms', note: 'start event to checked event' },
      { name: `restart, resume file (check)`, value: ms(fast.map((r) => r.checkMs)), unit: 'ms', note: 'start event to checked event' },
      { name: 'swarm --version (node + CLI start-up)', value: ms(startup), unit: 'ms', note: `runs ${runs(startup)}` },
      { name: 'restart / full, check phase', value: Math.round((fastCheck / fullCheck) * 1000) / 1000, unit: 'x', note: 'goal < 0.1' },
      { name: 'restart / full, wall', value: Math.round((fastWall / fullWall) * 1000) / 1000, unit: 'x', note: `median of ${ROUNDS}, interleaved` },
    ];
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Run directly: node dist/test/bench/restart.js
if (isMain(import.meta.url)) printResults(await benchRestart({ sizeMiB: envMiB() }));
