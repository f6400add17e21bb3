/**
 * The download bench (issue 7): one payload on 127.0.0.1, seeded by libtorrent or by
 * `swarm seed`, downloaded by libtorrent or by `swarm download`:
 *   a. libtorrent -> libtorrent   b. libtorrent -> swarm
 *   c. swarm -> swarm             d. swarm -> libtorrent
 * in scenarios (one seeder, four seeders, 16 KiB pieces, and a 4x payload for the memory
 * check), interleaved a b c d, scenario after scenario, round after round. Seeders are
 * started afresh for every run and are checked and serving before the leecher starts;
 * only the leecher is measured.
 */
import { randomFillSync } from 'node:crypto';
import { closeSync, linkSync, mkdirSync, openSync, rmSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { swarmEntry } from '../helpers/paths.js';
import { run } from '../helpers/proc.js';
import { runLeecher, startSeeder, stopProc, type ClientName, type LeechResult, type Seeder } from './download-peers.js';

export type Letter = 'a' | 'b' | 'c' | 'd';
export const LETTERS: Letter[] = ['a', 'b', 'c', 'd'];
export const RUNS: Record<Letter, { seeder: ClientName; leecher: ClientName }> = {
  a: { seeder: 'libtorrent', leecher: 'libtorrent' },
  b: { seeder: 'libtorrent', leecher: 'swarm' },
  c: { seeder: 'swarm', leecher: 'swarm' },
  d: { seeder: 'swarm', leecher: 'libtorrent' },
};

export type ScenarioKey = 'one' | 'four' | 'small' | 'big';
export const SCENARIO_KEYS: ScenarioKey[] = ['one', 'four', 'small', 'big'];

export interface Scenario {
  key: ScenarioKey;
  title: string;
  seeders: number;
  pieceLength: number;
  bytes: number;
}

const MiB = 1024 * 1024;

export function scenarios(sizeMiB: number, keys: ScenarioKey[]): Scenario[] {
  const size = sizeMiB * MiB;
  const all: Scenario[] = [
    { key: 'one', title: `1 seeder, 1 MiB pieces, ${sizeMiB} MiB`, seeders: 1, pieceLength: MiB, bytes: size },
    { key: 'four', title: `4 seeders at once, 1 MiB pieces, ${sizeMiB} MiB`, seeders: 4, pieceLength: MiB, bytes: size },
    { key: 'small', title: `1 seeder, 16 KiB pieces, ${sizeMiB} MiB`, seeders: 1, pieceLength: 16 * 1024, bytes: size },
    { key: 'big', title: `1 seeder, 1 MiB pieces, ${4 * sizeMiB} MiB (memory check)`, seeders: 1, pieceLength: MiB, bytes: 4 * size },
  ];
  return all.filter((s) => keys.includes(s.key));
}

export interface Sample extends LeechResult {
  round: number;
}

export interface RunRecord {
  scenario: ScenarioKey;
  letter: Letter;
  seeder: ClientName;
  leecher: ClientName;
  samples: Sample[];
}

export interface DownloadOptions {
  dir: string;
  rounds: number;
  letters: Letter[];
  scenarios: Scenario[];
  /** A leecher still running after this long (per GiB, at least this) is killed and its run reported as stuck. */
  timeoutSec: number;
  log: (line: string) => void;
  /** Checked between runs: set on Ctrl-C. */
  signal?: AbortSignal;
}

/** The payload's file name: the torrent's name, in every seeder and leecher folder. */
function payloadName(bytes: number): string {
  return `payload-${bytes / MiB}MiB.bin`;
}

/** Random bytes (incompressible, no repeated pieces), written once per bench run. */
function writeRandomFile(path: string, bytes: number): void {
  const chunk = Buffer.alloc(16 * MiB);
  const fd = openSync(path, 'w');
  try {
    for (let done = 0; done < bytes; done += chunk.length) {
      randomFillSync(chunk);
      writeSync(fd, chunk, 0, Math.min(chunk.length, bytes - done));
    }
  } finally {
    closeSync(fd);
  }
}

interface Prepared {
  torrent: string;
  /** One folder per seeder, each with a hard link to the same payload (its own .swarm resume folder). */
  seedDirs: string[];
}

/**
 * Writes each payload size once and one torrent per piece length (made by `swarm create`,
 * trackerless), and links the payload into up to four seeder folders.
 */
async function prepare(opts: DownloadOptions): Promise<Map<ScenarioKey, Prepared>> {
  const out = new Map<ScenarioKey, Prepared>();
  const written = new Set<string>();
  const torrents = new Map<string, string>();
  for (const s of opts.scenarios) {
    const name = payloadName(s.bytes);
    const original = join(opts.dir, 'data', name);
    if (!written.has(original)) {
      mkdirSync(join(opts.dir, 'data'), { recursive: true });
      const t0 = performance.now();
      writeRandomFile(original, s.bytes);
      opts.log(`wrote ${s.bytes / MiB} MiB of random data in ${((performance.now() - t0) / 1000).toFixed(1)} s`);
      written.add(original);
    }
    const seedDirs: string[] = [];
    for (let k = 0; k < s.seeders; k++) {
      const d = join(opts.dir, `seed-${k}`);
      mkdirSync(d, { recursive: true });
      try {
        linkSync(original, join(d, name));
      } catch (e) {
        if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      }
      seedDirs.push(d);
    }
    const torrentKey = `${name}@${s.pieceLength}`;
    let torrent = torrents.get(torrentKey);
    if (!torrent) {
      torrent = join(opts.dir, `${name}.${s.pieceLength / 1024}k.torrent`);
      const args = [swarmEntry(), 'create', original, '-o', torrent, '-l', `${s.pieceLength / 1024}K`, '--no-date', '-q'];
      const r = await run(process.execPath, args, { timeoutMs: 600_000 });
      if (r.code !== 0) throw new Error(`swarm create failed (${r.code}): ${r.stderr}`);
      torrents.set(torrentKey, torrent);
    }
    out.set(s.key, { torrent, seedDirs });
  }
  return out;
}

/** One run: fresh seeders, one leecher into a fresh folder, everything stopped and removed after. */
async function oneRun(opts: DownloadOptions, s: Scenario, p: Prepared, letter: Letter, round: number): Promise<Sample> {
  const { seeder, leecher } = RUNS[letter];
  const name = payloadName(s.bytes);
  const readyMs = 60_000 + (s.bytes / MiB) * 200;
  const seeders: Seeder[] = [];
  const outDir = join(opts.dir, `leech-${letter}`);
  try {
    const started = await Promise.allSettled(p.seedDirs.map((d) => startSeeder(seeder, p.torrent, join(d, name), d, readyMs)));
    for (const r of started) if (r.status === 'fulfilled') seeders.push(r.value);
    const failed = started.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) {
      const usage = { cpuSec: 0, peakRssMB: 0, peakAnonMB: 0, samples: 0 };
      return { round, ok: false, error: `seeder did not start: ${String(failed.reason).slice(0, 500)}`, wallSec: 0, usage };
    }
    rmSync(outDir, { recursive: true, force: true });
    mkdirSync(outDir);
    const ports = seeders.map((x) => x.port);
    const limitMs = opts.timeoutSec * 1000 * Math.max(1, s.bytes / 1024 ** 3);
    const r = await runLeecher(leecher, p.torrent, outDir, ports, { path: join(outDir, name), bytes: s.bytes }, limitMs);
    return { round, ...r };
  } finally {
    await Promise.all(seeders.map((x) => stopProc(x.proc)));
    rmSync(outDir, { recursive: true, force: true });
  }
}

function describe(x: Sample, bytes: number): string {
  if (!x.ok) return `FAILED: ${x.error}`;
  const mbps = bytes / 1e6 / x.wallSec;
  return `${x.wallSec.toFixed(2)} s, ${mbps.toFixed(0)} MB/s, CPU ${x.usage.cpuSec.toFixed(2)} s, peak RSS ${x.usage.peakRssMB.toFixed(0)} MB (anon ${x.usage.peakAnonMB.toFixed(0)} MB)`;
}

/** Every selected run of every selected scenario, interleaved, `rounds` times. */
export async function benchDownload(opts: DownloadOptions): Promise<RunRecord[]> {
  const records: RunRecord[] = [];
  for (const s of opts.scenarios) {
    for (const letter of opts.letters) records.push({ scenario: s.key, letter, ...RUNS[letter], samples: [] });
  }
  const prepared = await prepare(opts);
  for (let round = 1; round <= opts.rounds; round++) {
    for (const s of opts.scenarios) {
      for (const letter of opts.letters) {
        if (opts.signal?.aborted) return records;
        const { seeder, leecher } = RUNS[letter];
        const sample = await oneRun(opts, s, prepared.get(s.key)!, letter, round);
        // a run cut short by Ctrl-C measured nothing
        if (opts.signal?.aborted) return records;
        records.find((r) => r.scenario === s.key && r.letter === letter)!.samples.push(sample);
        opts.log(`round ${round}/${opts.rounds} ${s.key} ${letter} (${seeder} -> ${leecher}): ${describe(sample, s.bytes)}`);
      }
    }
  }
  return records;
}
