import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { DEFAULT_LIMITS } from '../../src/torrent/defaults.js';
import type { Proc } from '../helpers/proc.js';
import { JsonProc, matchingPieces, MiB, piecesBytes, sleep, writeRandomFile } from '../helpers/resume-tools.js';
import { tempDir } from '../helpers/tmp.js';
import { createTorrent, ndjson, startSeeder } from './torrent-helpers.js';

/**
 * kill -9 a `swarm download` of a 256 MiB torrent at five random moments. After each kill
 * the test counts the pieces on disk that match the source, and the restart must report
 * exactly those as verified (nothing verified is lost). The seeder's upload counter gives
 * what each run was sent; sent minus gained on disk is what the kill threw away.
 */

const SIZE = Number(process.env.SWARM_KILL_MIB ?? 256) * MiB;
const KILLS = 5;
// about 20 s of transfer for 256 MiB
const RATE = Math.max(1, Math.round(SIZE / MiB / 20));

/** The seeder's uploaded counter once it has stopped moving (the only leecher is dead). */
async function settledUpload(seeder: Proc): Promise<number> {
  const progress = () => ndjson(seeder.stdout).filter((e) => e.event === 'progress');
  const start = progress().length;
  const deadline = Date.now() + 10_000;
  // two fresh progress events (one per second) after the kill, the last two equal
  for (;;) {
    const p = progress();
    if (p.length >= start + 2 && p.at(-1)!.uploadedBytes === p.at(-2)!.uploadedBytes) return p.at(-1)!.uploadedBytes as number;
    if (Date.now() > deadline) throw new Error(`seeder upload counter did not settle:\n${seeder.stdout.slice(-1000)}`);
    await sleep(100);
  }
}

test(`kill -9 at ${KILLS} random moments: every restart keeps what was verified, the last completes with the right bytes`, { timeout: 180_000 }, async (t) => {
  const dir = tempDir(t);
  const src = join(dir, 'src');
  mkdirSync(src);
  const source = join(src, 'big.bin');
  writeRandomFile(source, SIZE);
  const torrent = await createTorrent(source, join(dir, 'big.torrent'), ['--piece-length', '256K']);
  const pieceLength = 256 * 1024;
  const seeder = await startSeeder(t, torrent, src, ['--no-trackers', '--json', '--upload-limit', `${RATE}M`]);
  const out = join(dir, 'out');
  const target = join(out, 'big.bin');
  const args = ['download', torrent, '-o', out, '--peer', `127.0.0.1:${seeder.port}`, '--no-trackers', '--json'];

  // five kill points, as fractions of the torrent, in random order of size; then a random delay.
  // The last point leaves at least a fifth of the torrent (about 4 s at RATE) so the kill
  // lands before the run completes.
  const fractions = Array.from({ length: KILLS }, () => 0.02 + Math.random() * 0.78).sort((a, b) => a - b);
  let uploadedBefore = 0;
  let diskBefore = 0;
  const rows: string[] = [];
  let lostTotal = 0;
  let hashedRestarts = 0;
  for (let k = 0; k <= KILLS; k++) {
    const run = new JsonProc(args);
    t.after(() => run.kill());
    const checked = await run.waitFor((e) => e.event === 'checked', 30_000);
    const checkMs = Math.round(checked.at - run.first('start')!.at);
    const hashed = run.all('checking').length > 0;
    if (k > 0) {
      // the restart found exactly the pieces that are on disk: nothing verified was lost
      assert.equal(checked.e.doneBytes, diskBefore, `restart ${k}: verified bytes found on disk`);
      if (hashed) hashedRestarts++;
    }
    if (k === KILLS) {
      const done = await run.waitFor((e) => e.event === 'done', 120_000);
      const exit = await run.proc.wait(15_000);
      assert.equal(exit.code, 0, run.proc.stderr);
      assert.equal(done.e.alreadyComplete, false);
      const uploaded = await settledUpload(seeder.proc);
      const sent = uploaded - uploadedBefore;
      const lost = sent - (SIZE - diskBefore);
      rows.push(`final run: check ${checkMs} ms (${hashed ? 'hashed' : 'trusted'}), sent ${mib(sent)}, wasted ${mib(lost)}`);
      lostTotal += lost;
      uploadedBefore = uploaded;
      break;
    }
    const threshold = fractions[k]! * SIZE;
    const reached = await run.waitFor((e) => e.event === 'progress' && (e.doneBytes as number) >= threshold, 60_000);
    // at most a quarter of the time the rest would take at RATE, and never over a second
    const restMs = ((SIZE - (reached.e.doneBytes as number)) / (RATE * MiB)) * 1000;
    await sleep(Math.random() * Math.min(1000, restMs / 4));
    assert.ok(run.proc.running, `run ${k + 1} ended before its kill:\n${run.proc.stderr}`);
    process.kill(run.pid, 'SIGKILL');
    const exit = await run.proc.wait(10_000);
    assert.equal(exit.signal, 'SIGKILL');

    const onDisk = matchingPieces(source, target, pieceLength);
    const disk = piecesBytes(onDisk, pieceLength, SIZE);
    const uploaded = await settledUpload(seeder.proc);
    const sent = uploaded - uploadedBefore;
    const gained = disk - diskBefore;
    const lost = sent - gained;
    const lastSeen = run.all('progress').at(-1)?.e;
    rows.push(
      `kill ${k + 1} at ${(disk / SIZE * 100).toFixed(1)}%: check ${checkMs} ms (${k === 0 ? 'fresh' : hashed ? 'hashed' : 'trusted'}), ` +
        `sent ${mib(sent)}, on disk +${mib(gained)}, lost in flight ${mib(lost)} (${(lost / pieceLength).toFixed(1)} pieces; ` +
        `last progress: ${String(lastSeen?.piecesDone)} pieces)`,
    );
    assert.ok(gained >= 0, `kill ${k + 1}: pieces on disk went down by ${-gained} bytes`);
    // what a kill can throw away: the blocks requested or received but not yet a written piece.
    // Requests in flight are capped by the pipeline; add the pieces being assembled or written.
    const bound = DEFAULT_LIMITS.maxPipeline * 16 * 1024 + 8 * pieceLength;
    assert.ok(lost <= bound, `kill ${k + 1}: ${lost} bytes lost, more than the ${bound} that can be in flight`);
    lostTotal += lost;
    uploadedBefore = uploaded;
    diskBefore = disk;
  }

  assert.ok(readFileSync(target).equals(readFileSync(source)), 'the downloaded file matches the source');
  const total = uploadedBefore;
  const excess = total - SIZE;
  assert.equal(excess, lostTotal, 'everything sent beyond the torrent size is accounted for by the kills and the last run');
  const summary = [
    `${mib(SIZE)} torrent at ${RATE} MiB/s, ${KILLS} kill -9: ${mib(total)} sent in all, ${mib(excess)} (${((excess / SIZE) * 100).toFixed(2)}%) more than the torrent`,
    `restarts that re-hashed the file (it changed after the last resume save): ${hashedRestarts} of ${KILLS}`,
    ...rows,
  ];
  for (const line of summary) t.diagnostic(line);
});

function mib(n: number): string {
  return `${(n / MiB).toFixed(2)} MiB`;
}
