import { randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { availableParallelism, tmpdir } from 'node:os';
import { join } from 'node:path';
import { haveCommand } from '../helpers/interop.js';
import { swarmEntry } from '../helpers/paths.js';
import { run } from '../helpers/proc.js';
import { envMiB, isMain, printResults } from './standalone.js';

export interface BenchResult {
  name: string;
  value: number;
  unit: string;
  note?: string;
}

const ROUNDS = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

async function timed(cmd: string, args: string[]): Promise<number> {
  const t0 = performance.now();
  const r = await run(cmd, args, { timeoutMs: 600_000 });
  const ms = performance.now() - t0;
  if (r.code !== 0) throw new Error(`${cmd} ${args.join(' ')} failed (${r.code}): ${r.stderr}`);
  return ms;
}

/**
 * `swarm create` (the CLI, a fresh process each time) against `sha1sum` on the same file,
 * interleaved, three rounds each, medians. Both read the same bytes from the page cache
 * after the first pass; the file is written first, so neither pays for a cold disk alone.
 */
export async function benchCreate(opts: { sizeMiB?: number } = {}): Promise<BenchResult[]> {
  const sizeMiB = opts.sizeMiB ?? 1024;
  const dir = mkdtempSync(join(tmpdir(), 'swarm-bench-create-'));
  try {
    const file = join(dir, 'payload.bin');
    const chunk = Buffer.alloc(16 * 1024 * 1024);
    const fd = openSync(file, 'w');
    try {
      for (let written = 0; written < sizeMiB * 1024 * 1024; written += chunk.length) {
        randomFillSync(chunk);
        writeSync(fd, chunk, 0, Math.min(chunk.length, sizeMiB * 1024 * 1024 - written));
      }
    } finally {
      closeSync(fd);
    }
    const out = join(dir, 'payload.torrent');
    const contenders: Array<[string, string, string[]]> = [
      ['swarm create', process.execPath, [swarmEntry(), 'create', file, '-o', out, '--force', '--no-date', '-q']],
      ['sha1sum', 'sha1sum', [file]],
    ];
    if (haveCommand('mktorrent')) {
      contenders.push(['mktorrent', 'mktorrent', ['-l', '20', '-d', '-a', 'http://127.0.0.1:1/a', '-o', `${out}.mk`, file]]);
    }
    const times = new Map<string, number[]>(contenders.map(([n]) => [n, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, cmd, args] of contenders) {
        if (name === 'mktorrent') rmSync(`${out}.mk`, { force: true });
        times.get(name)!.push(await timed(cmd, args));
      }
    }
    const size = `${sizeMiB} MiB`;
    const bytes = sizeMiB * 1024 * 1024;
    const swarmMs = median(times.get('swarm create')!);
    const shaMs = median(times.get('sha1sum')!);
    const results: BenchResult[] = [];
    for (const [name] of contenders) {
      const ms = median(times.get(name)!);
      results.push({
        name: `${name} ${size}`,
        value: Math.round(ms),
        unit: 'ms',
        note: `median of ${ROUNDS}, interleaved; ${Math.round(bytes / 1e6 / (ms / 1000))} MB/s; runs ${times.get(name)!.map((x) => Math.round(x)).join('/')} ms`,
      });
    }
    results.push({
      name: 'swarm create speed-up over sha1sum',
      value: Math.round((shaMs / swarmMs) * 100) / 100,
      unit: 'x',
      note: `${availableParallelism()} cores; goal > 1 (faster than sha1sum)`,
    });
    return results;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

// Run directly: node dist/test/bench/create.js
if (isMain(import.meta.url)) printResults(await benchCreate({ sizeMiB: envMiB() }));
