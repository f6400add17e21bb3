import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { createTorrent, sameBytes, startSeeder, writeFiles } from '../cli/torrent-helpers.js';
import { freePort } from '../helpers/net.js';
import { startSwarm } from '../helpers/proc.js';
import { JsonProc, KiB, MiB, sleep } from '../helpers/resume-tools.js';
import { tempDir } from '../helpers/tmp.js';

/**
 * Soak: a tracker, one seeder and three leechers, all real `swarm` processes on 127.0.0.1.
 * For SWARM_SOAK_SECONDS (default 60) leechers are killed with SIGKILL at random moments
 * and restarted with the same command; then the ones still running get Ctrl-C, everyone
 * is restarted without a speed limit and must finish with every byte right.
 */

const SOAK_MS = Number(process.env.SWARM_SOAK_SECONDS ?? 60) * 1000;
const LEECHERS = 3;

const FILES = {
  'soak/a.bin': 7 * MiB + 1,
  'soak/empty.txt': 0,
  'soak/sub/b.bin': 12 * KiB + 5,
  'soak/sub/c.bin': 3 * MiB,
  'soak/z.bin': 9 * MiB + 333,
};
const TOTAL = Object.values(FILES).reduce((a, b) => a + b, 0);

interface Leecher {
  name: string;
  limit: number;
  out: string;
  proc: JsonProc | undefined;
  runs: number;
  kills: number;
  /** Runs that started by hashing data (the resume file could not vouch for it). */
  hashed: number;
  /** Runs that found the download complete and exited 0 at once. */
  alreadyComplete: number;
  /** Verified bytes when the soak ended; -1 if it was stopped before it had checked. */
  atEnd?: number;
}

function soakEnd(atEnd: number | undefined): string {
  if (atEnd === undefined) return 'done before the soak ended';
  if (atEnd < 0) return 'just restarted when the soak ended';
  return `${((100 * atEnd) / TOTAL).toFixed(0)}% when the soak ended`;
}

test(`soak: a tracker, a seeder and ${LEECHERS} leechers killed and restarted at random for ${SOAK_MS / 1000} s; every byte right in the end`, { timeout: SOAK_MS + 240_000 }, async (t) => {
  const dir = tempDir(t);
  const data = writeFiles(join(dir, 'src'), FILES);
  const trackerPort = await freePort();
  const tracker = startSwarm(['tracker', '--port', String(trackerPort)]);
  t.after(() => tracker.stop('SIGKILL'));
  await tracker.waitFor(/announce: http/);
  const torrent = await createTorrent(join(dir, 'src', 'soak'), join(dir, 'soak.torrent'), [
    '--announce',
    `http://127.0.0.1:${trackerPort}/announce`,
    '--piece-length',
    '64K',
  ]);
  await startSeeder(t, torrent, join(dir, 'src', 'soak'));

  // speed limits for the soak: the first leecher could finish in 60% of it (and is then
  // restarted on complete data), the others not before the soak is over
  const limits = [0.6, 1.2, 1.5].map((f) => Math.max(64 * KiB, Math.round(TOTAL / ((SOAK_MS / 1000) * f))));
  const leechers: Leecher[] = Array.from({ length: LEECHERS }, (_, i) => {
    const out = join(dir, `leecher${i + 1}`);
    mkdirSync(out);
    return { name: `leecher${i + 1}`, limit: limits[i % limits.length]!, out, proc: undefined, runs: 0, kills: 0, hashed: 0, alreadyComplete: 0 };
  });
  const problems: string[] = [];
  t.after(() => Promise.all(leechers.map((l) => l.proc?.kill())));

  const launch = (l: Leecher, limited: boolean): JsonProc => {
    const args = ['download', torrent, '-o', l.out, '--json'];
    if (limited) args.push('--download-limit', String(l.limit));
    const p = new JsonProc(args);
    l.proc = p;
    l.runs++;
    return p;
  };
  /** What a run that has ended tells us; a run must end by our kill, Ctrl-C, or done. */
  const account = (l: Leecher, p: JsonProc, how: 'killed' | 'sigint' | 'own') => {
    if (p.all('checking').length > 0) l.hashed++;
    if (p.first('done')?.e.alreadyComplete === true) l.alreadyComplete++;
    const code = p.proc.child.exitCode;
    if (how === 'own' && code !== 0) problems.push(`${l.name} run ${l.runs} exited ${code}: ${p.proc.stderr.trim()}`);
    if (how === 'sigint') {
      // before its handlers are installed (the `start` event), Node's default ends it: fine,
      // nothing was fetched yet; after, it must stop cleanly with 130 (or 0 if it had just finished)
      const early = p.proc.child.signalCode === 'SIGINT' && !p.first('start');
      if (code !== 130 && code !== 0 && !early) problems.push(`${l.name} run ${l.runs}: Ctrl-C gave exit ${code} (${p.proc.child.signalCode}): ${p.proc.stderr.trim()}`);
    }
  };

  for (const l of leechers) launch(l, true);
  const deadline = Date.now() + SOAK_MS;
  while (Date.now() < deadline) {
    await sleep(500 + Math.random() * 2500);
    const l = leechers[Math.floor(Math.random() * LEECHERS)]!;
    const p = l.proc!;
    if (p.proc.running) {
      process.kill(p.pid, 'SIGKILL');
      await p.proc.wait(10_000);
      l.kills++;
      account(l, p, 'killed');
    } else {
      account(l, p, 'own');
    }
    // back after a moment, with the same command
    await sleep(Math.random() * 1000);
    launch(l, true);
  }

  // the end: Ctrl-C for the ones still running, then everyone again at full speed
  for (const l of leechers) {
    const p = l.proc!;
    // a run restarted a moment ago: let it install its signal handlers, so this is a clean stop
    await p.waitFor((e) => e.event === 'start', 10_000).catch(() => undefined);
    if (p.proc.running) {
      process.kill(p.pid, 'SIGINT');
      await p.proc.wait(15_000);
      account(l, p, 'sigint');
      const seen = [...p.all('checked'), ...p.all('progress')].map((x) => x.e.doneBytes as number);
      l.atEnd = seen.length > 0 ? Math.max(...seen) : -1;
    } else account(l, p, 'own');
  }
  const finishedAt = Date.now();
  const last = leechers.map((l) => launch(l, false));
  await Promise.all(
    last.map(async (p, i) => {
      await p.proc.wait(120_000);
      account(leechers[i]!, p, 'own');
      assert.ok(p.first('done'), `${leechers[i]!.name} finished: ${p.proc.stderr}`);
    }),
  );
  const tail = Date.now() - finishedAt;

  assert.deepEqual(problems, []);
  for (const l of leechers) {
    for (const [rel, bytes] of Object.entries(data)) assert.ok(sameBytes(join(l.out, rel), bytes), `${l.name}: ${rel}`);
  }
  t.diagnostic(`${(TOTAL / MiB).toFixed(1)} MiB in ${Object.keys(FILES).length} files, ${Math.round(SOAK_MS / 1000)} s soak`);
  for (const l of leechers) {
    t.diagnostic(`${l.name} (${Math.round(l.limit / KiB)} KiB/s in the soak): ${l.runs} runs, ${l.kills} kill -9, ${l.hashed} runs re-hashed at start, ${l.alreadyComplete} found it complete; ${soakEnd(l.atEnd)}`);
  }
  t.diagnostic(`after the soak, everyone finished in ${tail} ms; all files byte-identical`);
  const kills = leechers.reduce((s, l) => s + l.kills, 0);
  assert.ok(kills >= Math.min(5, SOAK_MS / 10_000), `only ${kills} kills`);
});
