import assert from 'node:assert/strict';
import { chmodSync, chownSync, mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadTorrentFile } from '../../src/metainfo/metainfo.js';
import { loadResume } from '../../src/storage/resume.js';
import { swarmEntry } from '../helpers/paths.js';
import { run, runSwarm } from '../helpers/proc.js';
import { KiB, matchingPieces, MiB } from '../helpers/resume-tools.js';
import { tempDir } from '../helpers/tmp.js';
import { createTorrent, ndjson, oneSentence, sameBytes, startSeeder, writeFiles } from './torrent-helpers.js';

/**
 * Real disk faults for `swarm download`: a small file system that fills up, and a file the
 * user may not write. Each stops the download with one sentence naming the file, keeps
 * what was verified, and the same command finishes once the fault is gone.
 */

const isRoot = process.getuid?.() === 0;

test('a small file system fills up: one sentence naming the file, verified pieces kept, the same command resumes', { timeout: 60_000 }, async (t) => {
  if (process.platform !== 'linux' || !isRoot) {
    t.skip('needs root on Linux to mount an 8 MiB tmpfs (the in-process disk-full test in test/swarm/resume-faults runs everywhere)');
    return;
  }
  const mnt = mkdtempSync(join(tmpdir(), 'swarm-tmpfs-'));
  const mounted = await run('mount', ['-t', 'tmpfs', '-o', 'size=8m', 'tmpfs', mnt]);
  if (mounted.code !== 0) {
    rmSync(mnt, { recursive: true, force: true });
    t.skip(`mounting a tmpfs is not permitted here: ${mounted.stderr.trim()}`);
    return;
  }
  t.after(async () => {
    const u = await run('umount', [mnt]);
    if (u.code !== 0) await run('umount', ['-l', mnt]);
    rmSync(mnt, { recursive: true, force: true });
  });
  const dir = tempDir(t);
  const data = writeFiles(join(dir, 'src'), { 'f.bin': 16 * MiB });
  const torrent = await createTorrent(join(dir, 'src', 'f.bin'), join(dir, 'f.torrent'), ['--piece-length', '64K']);
  const seeder = await startSeeder(t, torrent, join(dir, 'src'), ['--no-trackers']);
  const args = ['download', torrent, '-o', mnt, '--peer', `127.0.0.1:${seeder.port}`, '--no-trackers'];

  const full = await runSwarm([...args, '-q'], { timeoutMs: 30_000 });
  assert.equal(full.code, 1, full.stderr);
  const line = oneSentence(full.stderr);
  const m = line.match(/^swarm: disk full writing "(.+)"; the verified pieces \((\d+)\) stay on disk: run the same command again to continue$/);
  assert.ok(m, line);
  assert.equal(m[1], join(mnt, 'f.bin'));
  const kept = Number(m[2]);
  assert.ok(kept > 0 && kept < 256, `${kept} pieces kept`);

  const meta = await loadTorrentFile(torrent);
  const resume = await loadResume(mnt, meta.infoHashHex, meta.layout);
  assert.ok(!('ignored' in resume), `the resume file was saved on the full disk: ${JSON.stringify(resume)}`);
  assert.deepEqual(resume.have, matchingPieces(join(dir, 'src', 'f.bin'), join(mnt, 'f.bin'), 64 * KiB), 'it lists exactly the pieces on disk');
  assert.equal(resume.have.filter(Boolean).length, kept);
  assert.deepEqual(readdirSync(join(mnt, '.swarm')), [`${meta.infoHashHex}.resume`]);

  // room again: the same command continues where it stopped, hashing nothing
  assert.equal((await run('mount', ['-o', 'remount,size=64m', mnt])).code, 0);
  const again = await runSwarm([...args, '--json'], { timeoutMs: 30_000 });
  assert.equal(again.code, 0, again.stderr);
  const events = ndjson(again.stdout);
  assert.equal(events.filter((e) => e.event === 'checking').length, 0, 'trusted the resume file');
  assert.equal(events.find((e) => e.event === 'checked')!.piecesDone, kept);
  const done = events.find((e) => e.event === 'done')!;
  assert.equal(done.downloadedBytes, 16 * MiB - kept * 64 * KiB, 'fetched only the missing pieces');
  assert.ok(sameBytes(join(mnt, 'f.bin'), data['f.bin']!));
  t.diagnostic(`disk full after ${kept} of 256 pieces; the rerun fetched ${(16 * MiB - kept * 64 * KiB) / MiB} MiB`);
});

test('permission denied on one file: one sentence naming it, the other files keep their pieces, the same command finishes once allowed', { timeout: 60_000 }, async (t) => {
  // root may write anything: run the download as nobody (file permissions then count)
  if (isRoot && (await run('setpriv', ['--version'])).code !== 0) {
    t.skip('running as root without setpriv: cannot make a permission error');
    return;
  }
  const asUser = (args: string[]) =>
    isRoot
      ? run('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath, swarmEntry(), ...args], { timeoutMs: 30_000 })
      : runSwarm(args, { timeoutMs: 30_000 });
  const dir = tempDir(t);
  chmodSync(dir, 0o755);
  const data = writeFiles(join(dir, 'src'), { 'set/a.bin': 2 * MiB, 'set/locked.bin': 64 * KiB, 'set/z.bin': 2 * MiB });
  const torrent = await createTorrent(join(dir, 'src', 'set'), join(dir, 'set.torrent'), ['--piece-length', '64K']);
  chmodSync(torrent, 0o644);
  const seeder = await startSeeder(t, torrent, join(dir, 'src', 'set'), ['--no-trackers']);
  const out = join(dir, 'out');
  const locked = join(out, 'set', 'locked.bin');
  mkdirSync(join(out, 'set'), { recursive: true });
  writeFileSync(locked, '');
  chmodSync(locked, 0o444);
  if (isRoot) {
    chownSync(out, 65534, 65534);
    chownSync(join(out, 'set'), 65534, 65534);
  }
  const args = ['download', torrent, '-o', out, '--peer', `127.0.0.1:${seeder.port}`, '--no-trackers'];

  const denied = await asUser([...args, '-q']);
  assert.equal(denied.code, 1, denied.stderr);
  const line = oneSentence(denied.stderr);
  const m = line.match(/^swarm: permission denied opening for writing "(.+)"(?:; the verified pieces \((\d+)\) stay on disk: run the same command again to continue)?$/);
  assert.ok(m, line);
  assert.equal(m[1], locked);
  const kept = Number(m[2] ?? 0);

  chmodSync(locked, 0o666);
  const again = await asUser([...args, '--json']);
  assert.equal(again.code, 0, again.stderr);
  const events = ndjson(again.stdout);
  assert.equal(events.find((e) => e.event === 'checked')!.piecesDone, kept, 'every verified piece was kept');
  for (const [rel, bytes] of Object.entries(data)) assert.ok(sameBytes(join(out, rel), bytes), rel);
  t.diagnostic(`${kept} pieces verified before the permission error (as ${isRoot ? 'nobody, via setpriv' : 'this user'})`);
});
