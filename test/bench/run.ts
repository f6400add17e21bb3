/**
 * `npm run bench`: every figure measured in this one run, side by side, printed as a table
 * and written as JSON. It measures and reports; it never judges a build by a time. It exits
 * 1 only when a measurement could not be made (a run failed or was stuck, a part threw).
 *
 *   node dist/test/bench/run.js [--rounds N] [--size MiB] [--only LIST] [--quick] [--big]
 *                               [--timeout S] [--out FILE]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, loadavg, tmpdir, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PYTHON, haveLibtorrent } from '../helpers/interop.js';
import { benchCreate } from './create.js';
import { stopAll } from './download-peers.js';
import { RUNS, benchDownload, scenarios, type RunRecord, type ScenarioKey } from './download.js';
import { HELP, parseOptions, type Options, type Part } from './options.js';
import { downloadTable, flatten, goalTable, goals, resultsTable, summarize, type BenchResult, type Goal, type Summary } from './report.js';

function log(line: string): void {
  console.log(`[${new Date().toISOString().slice(11, 19)}] ${line}`);
}

function uptime(): string {
  const r = spawnSync('uptime', { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : `load average: ${loadavg().map((x) => x.toFixed(2)).join(', ')}`;
}

function libtorrentVersion(): string | null {
  if (!haveLibtorrent()) return null;
  const r = spawnSync(PYTHON, ['-c', 'import libtorrent; print(libtorrent.__version__)'], { encoding: 'utf8' });
  return r.stdout.trim() || 'unknown version';
}

type Module = { [k: string]: ((opts: Record<string, number>) => Promise<BenchResult[]>) | undefined };

/** A bench module of another part that may not be there yet (imported only if its build file exists). */
async function optional(file: string, fn: string, args: Record<string, number>): Promise<BenchResult[] | string> {
  const url = new URL(file, import.meta.url);
  if (!existsSync(fileURLToPath(url))) return `not present (test/bench/${file.replace(/^\.\//, '').replace(/\.js$/, '.ts')} not written yet)`;
  const mod = (await import(url.href)) as Module;
  const f = mod[fn];
  if (typeof f !== 'function') return `${file} has no ${fn}()`;
  return f(args);
}

async function main(opts: Options): Promise<number> {
  const startedAt = new Date().toISOString();
  const loadStart = uptime();
  const lt = libtorrentVersion();
  const cpu = cpus()[0]?.model ?? 'unknown cpu';
  log(`swarm bench on ${availableParallelism()} cores (${cpu}), ${Math.round(totalmem() / 2 ** 20)} MiB RAM, node ${process.version}`);
  log(`load at start: ${loadStart}`);
  let letters = opts.letters;
  if (!lt) {
    const dropped = letters.filter((l) => RUNS[l].seeder === 'libtorrent' || RUNS[l].leecher === 'libtorrent');
    letters = letters.filter((l) => !dropped.includes(l));
    if (dropped.length) log(`libtorrent is missing (${PYTHON} cannot import libtorrent; install python3-libtorrent or run: npm run setup:interop): runs ${dropped.join(', ')} are not measured`);
  } else {
    log(`libtorrent ${lt} (${PYTHON})`);
  }
  const scens = scenarios(opts.sizeMiB, letters.length ? opts.scenarioKeys : []);
  const failures: string[] = [];
  const ctl = new AbortController();
  const onSignal = () => {
    if (ctl.signal.aborted) return;
    log('interrupted: stopping every seeder and leecher, removing the data');
    ctl.abort();
    void stopAll();
  };
  process.on('SIGINT', onSignal);
  process.on('SIGTERM', onSignal);

  let records: RunRecord[] = [];
  if (scens.length) {
    const dir = mkdtempSync(join(tmpdir(), 'swarm-bench-dl-'));
    log(`download runs ${letters.join(' ')} x ${scens.map((s) => s.key).join(', ')}, ${opts.rounds} round(s), interleaved; seeders restarted for every run, checked before the leecher starts; data in ${dir}`);
    try {
      records = await benchDownload({ dir, rounds: opts.rounds, letters, scenarios: scens, timeoutSec: opts.timeoutSec, log, signal: ctl.signal });
    } catch (e) {
      failures.push(`download: ${(e as Error).message}`);
      log(`download bench failed: ${(e as Error).message}`);
    } finally {
      await stopAll();
      rmSync(dir, { recursive: true, force: true });
    }
  }

  const other: BenchResult[] = [];
  const part = async (name: Part, f: () => Promise<BenchResult[] | string>) => {
    if (!opts.parts.includes(name) || ctl.signal.aborted) return;
    log(`${name} bench...`);
    try {
      const r = await f();
      if (typeof r === 'string') {
        log(`${name} bench: ${r}`);
        other.push({ name: `${name}: skipped`, value: 0, unit: '-', note: r });
      } else {
        other.push(...r);
        for (const x of r) log(`  ${x.name}: ${x.value} ${x.unit}`);
      }
    } catch (e) {
      failures.push(`${name}: ${(e as Error).message}`);
      log(`${name} bench failed: ${(e as Error).message}`);
      other.push({ name: `${name}: failed`, value: 0, unit: '-', note: (e as Error).message.slice(0, 300) });
    }
  };
  await part('create', () => benchCreate({ sizeMiB: opts.sizeMiB }));
  await part('tracker', () => optional('./tracker.js', 'benchTracker', { seconds: opts.rounds === 1 && opts.sizeMiB < 1024 ? 1 : 3 }));
  await part('restart', () => optional('./restart.js', 'benchRestart', { sizeMiB: opts.sizeMiB }));
  process.off('SIGINT', onSignal);
  process.off('SIGTERM', onSignal);

  const loadEnd = uptime();
  const summaries: Array<{ key: ScenarioKey; sums: Summary[] }> = scens.map((s) => ({
    key: s.key,
    sums: records.filter((r) => r.scenario === s.key).map((r) => summarize(r, s.bytes)),
  }));
  const allGoals: Goal[] = summaries.flatMap((x) => goals(x.key, x.sums)).filter((g) => g.needs.every((l) => letters.includes(l)));
  for (const x of summaries) for (const s of x.sums) for (const e of s.errors) failures.push(`download ${x.key} ${s.letter} ${e}`);

  const text: string[] = ['', `swarm bench, ${startedAt}; load at start: ${loadStart}; at end: ${loadEnd}`];
  scens.forEach((s, i) => text.push('', downloadTable(s, summaries[i]!.sums, opts.rounds)));
  if (allGoals.length) text.push('', goalTable(allGoals));
  if (other.length) text.push('', resultsTable('other measures (same run)', other));
  if (!lt) text.push('', 'libtorrent missing: only runs without it were measured; no ratios to libtorrent.');
  if (failures.length) text.push('', 'not measured:', ...failures.map((f) => `  ${f}`));
  console.log(text.join('\n'));

  const results = [...scens.flatMap((s, i) => flatten(s, summaries[i]!.sums)), ...other];
  const json = {
    startedAt,
    finishedAt: new Date().toISOString(),
    machine: { cores: availableParallelism(), cpu, memMiB: Math.round(totalmem() / 2 ** 20), node: process.version, loadAtStart: loadStart, loadAtEnd: loadEnd },
    libtorrent: lt,
    options: { ...opts, letters, scenarios: scens, seeders: 'restarted for every run; checked and serving before the leecher starts' },
    download: scens.map((s, i) => ({ scenario: s, summaries: summaries[i]!.sums, runs: records.filter((r) => r.scenario === s.key) })),
    goals: allGoals,
    results,
    failures,
  };
  writeFileSync(opts.out, JSON.stringify(json, null, 2) + '\n');
  log(`JSON written to ${opts.out}`);
  if (ctl.signal.aborted) return 130;
  return failures.length ? 1 : 0;
}

// The test runner runs every .js under test/ and sets NODE_TEST_CONTEXT: then do nothing.
if (!process.env.NODE_TEST_CONTEXT) {
  let opts: Options | undefined;
  try {
    opts = parseOptions(process.argv.slice(2));
    if (!opts) console.log(HELP);
  } catch (e) {
    console.error(`bench: ${(e as Error).message}\n${HELP}`);
    process.exitCode = 2;
  }
  if (opts) process.exitCode = await main(opts);
}
