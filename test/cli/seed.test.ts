import assert from 'node:assert/strict';
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { test } from 'node:test';
import { startTracker } from '../../src/tracker/server/index.js';
import { runSwarm, startSwarm } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { createTorrent, KiB, MiB, ndjson, oneSentence, sameBytes, startSeeder, writeFiles } from './torrent-helpers.js';

test('the data itself or the folder that holds it, single and multi-file; the output says which', async (t) => {
  const dir = tempDir(t);
  writeFiles(join(dir, 'd'), { 'one.bin': 100 * KiB, 'tree/a.bin': 70 * KiB, 'tree/sub/b.bin': 30 * KiB });
  const single = await createTorrent(join(dir, 'd', 'one.bin'), join(dir, 'one.torrent'));
  const multi = await createTorrent(join(dir, 'd', 'tree'), join(dir, 'tree.torrent'));
  const cases: Array<[string, string, RegExp]> = [
    [single, join(dir, 'd', 'one.bin'), /from .*\/d\/one\.bin \(the path given\)/],
    [single, join(dir, 'd'), /from .*\/d\/one\.bin \(found in .*\/d\)/],
    [multi, join(dir, 'd', 'tree'), /from .*\/d\/tree \(the path given\)/],
    [multi, join(dir, 'd'), /from .*\/d\/tree \(found in .*\/d\)/],
  ];
  for (const [torrent, path, re] of cases) {
    const s = await startSeeder(t, torrent, path, ['--no-trackers']);
    assert.match(s.proc.stderr, re);
    assert.match(s.proc.stderr, /all \d+ pieces verified; serving until Ctrl-C/);
    await s.proc.stop('SIGINT');
  }
  const wrong: Array<[string, string, RegExp]> = [
    [single, join(dir, 'nowhere'), /nowhere does not exist/],
    [single, join(dir, 'd', 'tree'), /does not hold the torrent's file "one\.bin": give the file itself or the folder that contains it/],
    [multi, join(dir, 'd', 'one.bin'), /one\.bin is not the torrent's folder "tree"/],
  ];
  for (const [torrent, path, re] of wrong) {
    const r = await runSwarm(['seed', torrent, path, '--port', '0', '--no-trackers']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(oneSentence(r.stderr), re);
  }
});

test('data that does not match: exit 2 naming the first bad file and how many pieces fail', async (t) => {
  const dir = tempDir(t);
  writeFiles(join(dir, 'd'), { 'set/a.bin': 64 * KiB, 'set/b.bin': 64 * KiB, 'set/c.bin': 64 * KiB });
  const torrent = await createTorrent(join(dir, 'd', 'set'), join(dir, 'set.torrent'), ['--piece-length', '16K']);
  // one byte changed in b.bin: one of its four pieces fails
  const b = join(dir, 'd', 'set', 'b.bin');
  const bytes = readFileSync(b);
  bytes[20_000] = bytes[20_000]! ^ 0xff;
  writeFileSync(b, bytes);
  const r = await runSwarm(['seed', torrent, join(dir, 'd'), '--port', '0', '--no-trackers']);
  assert.equal(r.code, 2, r.stderr);
  const line = r.stderr.trim().split('\n').at(-1)!;
  assert.match(line, /^swarm: the data does not match the torrent: .*\/set\/b\.bin does not match \(1 of 12 pieces fail the hash check\); use --partial/);
  assert.doesNotMatch(r.stderr, /\n\s+at /);

  rmSync(join(dir, 'd', 'set', 'c.bin'));
  const missing = await runSwarm(['seed', torrent, join(dir, 'd', 'set'), '--port', '0', '--no-trackers', '-q']);
  assert.equal(missing.code, 2, missing.stderr);
  assert.match(oneSentence(missing.stderr), /b\.bin does not match \(5 of 12 pieces fail/);
  rmSync(b);
  const gone = await runSwarm(['seed', torrent, join(dir, 'd', 'set'), '--port', '0', '--no-trackers', '-q']);
  assert.equal(gone.code, 2, gone.stderr);
  assert.match(oneSentence(gone.stderr), /set\/b\.bin is missing \(8 of 12 pieces fail/);
});

test('--partial serves the pieces that verify: a download of the good file completes from it', async (t) => {
  const dir = tempDir(t);
  const data = writeFiles(join(dir, 'd'), { 'set/good.bin': 256 * KiB, 'set/bad.bin': 256 * KiB });
  const torrent = await createTorrent(join(dir, 'd', 'set'), join(dir, 'set.torrent'), ['--piece-length', '32K']);
  writeFileSync(join(dir, 'd', 'set', 'bad.bin'), Buffer.alloc(256 * KiB, 1));
  const s = await startSeeder(t, torrent, join(dir, 'd'), ['--partial', '--no-trackers']);
  assert.match(s.proc.stderr, /--partial: seeding the 8 of 16 pieces that verify; .*bad\.bin does not match/);
  // files in torrent order: 1 bad.bin, 2 good.bin
  const out = join(dir, 'out');
  const r = await runSwarm(['download', torrent, '-o', out, '--select', '2', '--peer', `127.0.0.1:${s.port}`, '--no-trackers', '-q'], {
    timeoutMs: 30_000,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(sameBytes(join(out, 'set', 'good.bin'), data['set/good.bin']!));
  // with no piece good at all, --partial refuses too
  const none = join(dir, 'none');
  writeFiles(none, { 'set/good.bin': 256 * KiB, 'set/bad.bin': 256 * KiB });
  const r2 = await runSwarm(['seed', torrent, none, '--partial', '--port', '0', '--no-trackers', '-q']);
  assert.equal(r2.code, 2);
  assert.match(oneSentence(r2.stderr), /no piece verifies, so this is not the data of this torrent/);
});

test('the default port is 6881, or a free one when 6881 is taken', async (t) => {
  const dir = tempDir(t);
  writeFiles(join(dir, 'd'), { 'p.bin': 32 * KiB });
  const torrent = await createTorrent(join(dir, 'd', 'p.bin'), join(dir, 'p.torrent'));
  // hold 6881 ourselves (if someone else already holds it, it is taken all the same)
  const blocker: Server = createServer();
  await new Promise<void>((resolve) => {
    blocker.once('error', () => resolve());
    blocker.listen(6881, '127.0.0.1', () => resolve());
  });
  t.after(() => new Promise<void>((r) => (blocker.listening ? blocker.close(() => r()) : r())));
  const p = startSwarm(['seed', torrent, join(dir, 'd'), '--no-trackers', '--json']);
  t.after(() => p.stop('SIGKILL'));
  await p.waitFor(/"event":"checked"/);
  const start = ndjson(p.stdout)[0]!;
  assert.equal(start.event, 'start');
  assert.notEqual(start.port, 6881);
  assert.ok((start.port as number) > 0);
  await p.stop('SIGTERM');
  assert.equal(p.child.exitCode, 143);
  // a port asked for that is taken is an error, not a silent change
  if (blocker.listening) {
    const r = await runSwarm(['seed', torrent, join(dir, 'd'), '--port', '6881', '--no-trackers']);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stderr, /cannot listen on 127\.0\.0\.1:6881/);
  }
});

test('with a tracker: seed announces, a download finds it there, Ctrl-C announces stopped and exits 130', async (t) => {
  const dir = tempDir(t);
  const announces: Array<{ kind: string; left: number }> = [];
  const tracker = await startTracker({
    host: '127.0.0.1',
    port: 0,
    interval: 60,
    log: (e) => {
      const a = e as { event: string; kind?: string; left?: number };
      if (a.event === 'announce') announces.push({ kind: a.kind ?? 'none', left: a.left ?? -1 });
    },
  });
  t.after(() => tracker.close());
  const data = writeFiles(join(dir, 'd'), { 'tracked.bin': 1 * MiB });
  const url = `http://127.0.0.1:${tracker.port}/announce`;
  const torrent = await createTorrent(join(dir, 'd', 'tracked.bin'), join(dir, 't.torrent'), ['--announce', url, '--piece-length', '32K']);
  const seeder = await startSeeder(t, torrent, join(dir, 'd'), ['--json']);
  // no --peer: the downloader learns the seeder from the tracker
  const r = await runSwarm(['download', torrent, '-o', join(dir, 'out'), '--json'], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(sameBytes(join(dir, 'out', 'tracked.bin'), data['tracked.bin']!));
  const { code } = await seeder.proc.stop('SIGINT');
  assert.equal(code, 130, seeder.proc.stderr);
  assert.deepEqual(ndjson(seeder.proc.stdout).at(-1), { event: 'stopped', reason: 'SIGINT', exitCode: 130 });
  const kinds = announces.map((a) => `${a.kind}:${a.left === 0 ? 'seed' : 'leech'}`);
  assert.ok(kinds.includes('started:seed'), kinds.join(' '));
  assert.ok(kinds.includes('started:leech'), kinds.join(' '));
  // the downloader's and the seeder's stopped announces
  assert.equal(kinds.filter((k) => k === 'stopped:seed').length, 2, kinds.join(' '));
  assert.equal(tracker.stats().peers, 0, 'both peers left the swarm');
});

test('SIGHUP (its terminal closed) stops a seed as cleanly as Ctrl-C: exit 129', async (t) => {
  const dir = tempDir(t);
  writeFiles(join(dir, 'd'), { 'hup.bin': 256 * KiB });
  const torrent = await createTorrent(join(dir, 'd', 'hup.bin'), join(dir, 't.torrent'), ['--piece-length', '32K']);
  const seeder = await startSeeder(t, torrent, join(dir, 'd'), ['--json', '--no-trackers']);
  const { code } = await seeder.proc.stop('SIGHUP');
  assert.equal(code, 129, seeder.proc.stderr);
  assert.deepEqual(ndjson(seeder.proc.stdout).at(-1), { event: 'stopped', reason: 'SIGHUP', exitCode: 129 });
});

test('seeding leaves the data as it is: a file longer than the torrent says keeps its extra bytes', async (t) => {
  const dir = tempDir(t);
  writeFiles(join(dir, 'd'), { 'keep.bin': 100 * KiB });
  const torrent = await createTorrent(join(dir, 'd', 'keep.bin'), join(dir, 'k.torrent'));
  const path = join(dir, 'd', 'keep.bin');
  writeFileSync(path, Buffer.from('trailing bytes the torrent does not know of'), { flag: 'a' });
  const before = readFileSync(path);
  const s = await startSeeder(t, torrent, path, ['--no-trackers']);
  const { code } = await s.proc.stop('SIGINT');
  assert.equal(code, 130);
  assert.ok(readFileSync(path).equals(before), 'the file was changed by seeding it');
});

test('--encryption: a seed that requires it serves a default download (plain refused, MSE with RC4 follows) and refuses one with it off', async (t) => {
  const dir = tempDir(t);
  const data = writeFiles(join(dir, 'd'), { 'enc.bin': 300 * KiB });
  const torrent = await createTorrent(join(dir, 'd', 'enc.bin'), join(dir, 'enc.torrent'));
  const s = await startSeeder(t, torrent, join(dir, 'd'), ['--no-trackers', '--encryption', 'require']);
  const out = join(dir, 'out');
  const r = await runSwarm(['download', torrent, '-o', out, '--peer', `127.0.0.1:${s.port}`, '--no-trackers', '-q'], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(sameBytes(join(out, 'enc.bin'), data['enc.bin']!));
  // off: the plain handshake is refused and no MSE follows, so nothing arrives in 3 s
  const never = join(dir, 'never');
  const p = startSwarm(['download', torrent, '-o', never, '--peer', `127.0.0.1:${s.port}`, '--no-trackers', '--json', '--encryption', 'off']);
  t.after(() => p.stop('SIGKILL'));
  await new Promise((res) => setTimeout(res, 3000));
  assert.ok(p.running, 'still waiting for a peer');
  const progress = ndjson(p.stdout).filter((e) => e.event === 'progress');
  assert.ok(progress.length > 0 && progress.every((e) => e.doneBytes === 0), p.stdout);
  const bad = await runSwarm(['seed', torrent, join(dir, 'd'), '--encryption', 'sometimes', '--port', '0', '--no-trackers']);
  assert.equal(bad.code, 2);
  assert.match(bad.stderr, /'sometimes' is invalid. Allowed choices are allow, require, off/);
});
