import assert from 'node:assert/strict';
import { existsSync, mkdirSync, statSync, writeFileSync } from 'node:fs';
import { createServer as createHttpServer } from 'node:http';
import { join } from 'node:path';
import { test } from 'node:test';
import { freePort } from '../helpers/net.js';
import { runSwarm, startSwarm } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { createTorrent, KiB, MiB, ndjson, oneSentence, sameBytes, startSeeder, waitForEvent, writeFiles } from './torrent-helpers.js';

const local = (port: number) => `127.0.0.1:${port}`;

test('single file: create -> seed -> download gives the same bytes; --json is NDJSON start..progress..done..stopped', async (t) => {
  const dir = tempDir(t);
  const data = writeFiles(join(dir, 'src'), { 'payload.bin': 3 * MiB + 123 });
  const torrent = await createTorrent(join(dir, 'src', 'payload.bin'), join(dir, 'p.torrent'));
  // slowed so the download lasts long enough for progress events (one per second)
  const seeder = await startSeeder(t, torrent, join(dir, 'src'), ['--no-trackers', '--upload-limit', '1.5M']);
  const out = join(dir, 'out');
  const r = await runSwarm(['download', torrent, '-o', out, '--peer', local(seeder.port), '--no-trackers', '--json'], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(sameBytes(join(out, 'payload.bin'), data['payload.bin']!));
  assert.equal(r.stderr, '');
  const events = ndjson(r.stdout);
  const kinds = events.map((e) => e.event);
  assert.equal(kinds[0], 'start');
  assert.equal(kinds.at(-1), 'stopped');
  assert.ok(kinds.includes('progress'), kinds.join(' '));
  assert.ok(kinds.indexOf('done') > kinds.indexOf('progress'));
  const start = events[0]!;
  assert.equal(start.name, 'payload.bin');
  assert.equal(start.totalBytes, 3 * MiB + 123);
  assert.match(String(start.infoHash), /^[0-9a-f]{40}$/);
  const progress = events.filter((e) => e.event === 'progress');
  for (const p of progress) {
    assert.equal(p.totalBytes, 3 * MiB + 123);
    assert.ok(typeof p.doneBytes === 'number' && typeof p.downRate === 'number' && typeof p.peers === 'number');
  }
  const done = events.find((e) => e.event === 'done')!;
  assert.equal(done.alreadyComplete, false);
  assert.ok((done.downloadedBytes as number) >= 3 * MiB + 123);
  assert.deepEqual(events.at(-1), { event: 'stopped', reason: 'done', exitCode: 0 });
});

function multiFiles(): Record<string, number> {
  return {
    'set/a.bin': 100_001,
    'set/empty.txt': 0,
    'set/sub/b.bin': 3,
    'set/sub/c.bin': 300_000,
    'set/z.bin': 50_000,
  };
}

test('multi-file (a 0-byte file, pieces across file boundaries), then --select leaves the others absent', async (t) => {
  const dir = tempDir(t);
  const data = writeFiles(join(dir, 'src'), multiFiles());
  const torrent = await createTorrent(join(dir, 'src', 'set'), join(dir, 'set.torrent'), ['--piece-length', '16K']);
  const seeder = await startSeeder(t, torrent, join(dir, 'src', 'set'), ['--no-trackers']);

  const all = join(dir, 'all');
  // --peer repeats; a peer nobody listens on does not hold the download up
  const dead = local(await freePort());
  const r = await runSwarm(['download', torrent, '-o', all, '--peer', dead, '--peer', local(seeder.port), '--no-trackers'], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  for (const [rel, bytes] of Object.entries(data)) assert.ok(sameBytes(join(all, rel), bytes), rel);
  assert.equal(statSync(join(all, 'set/empty.txt')).size, 0);
  // not a TTY: plain lines; the summary on stdout
  assert.match(r.stderr, /downloading set \(439 KiB in 5 files\)/);
  assert.match(r.stdout, /set: 439 KiB verified; /);

  // files as --list numbers them: 1 a.bin, 2 empty.txt, 3 sub/b.bin, 4 sub/c.bin, 5 z.bin
  const some = join(dir, 'some');
  const s = await runSwarm(['download', torrent, '-o', some, '--peer', local(seeder.port), '--no-trackers', '--select', '3,5', '--json'], {
    timeoutMs: 30_000,
  });
  assert.equal(s.code, 0, s.stderr);
  assert.ok(sameBytes(join(some, 'set/sub/b.bin'), data['set/sub/b.bin']!));
  assert.ok(sameBytes(join(some, 'set/z.bin'), data['set/z.bin']!));
  for (const rel of ['set/a.bin', 'set/empty.txt', 'set/sub/c.bin']) assert.ok(!existsSync(join(some, rel)), `${rel} should be absent`);
  const start = ndjson(s.stdout)[0]!;
  assert.deepEqual(start.selectedFiles, [3, 5]);
  assert.equal(start.selectedBytes, 50_003);
});

test('--list prints the files with their numbers and exits 0 (text and --json)', async (t) => {
  const dir = tempDir(t);
  writeFiles(join(dir, 'src'), multiFiles());
  const torrent = await createTorrent(join(dir, 'src', 'set'), join(dir, 'set.torrent'));
  const r = await runSwarm(['download', torrent, '--list'], { cwd: dir });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(
    r.stdout,
    ['1    97.7 KiB  set/a.bin', '2         0 B  set/empty.txt', '3         3 B  set/sub/b.bin', '4     293 KiB  set/sub/c.bin', '5    48.8 KiB  set/z.bin', ''].join('\n'),
  );
  assert.ok(!existsSync(join(dir, 'set')), '--list downloads nothing');
  const j = await runSwarm(['download', torrent, '--list', '--json']);
  assert.equal(j.code, 0, j.stderr);
  const v = JSON.parse(j.stdout) as { files: Array<{ index: number; path: string; length: number }> };
  assert.deepEqual(v.files[3], { index: 4, path: 'set/sub/c.bin', length: 300_000 });
});

test('bad input: exit 2 and one sentence naming what is wrong', async (t) => {
  const dir = tempDir(t);
  writeFiles(dir, { 'f.bin': 40_000 });
  const torrent = await createTorrent(join(dir, 'f.bin'), join(dir, 'f.torrent'));
  writeFileSync(join(dir, 'junk.torrent'), 'this is not bencode');
  const hash = '0123456789abcdef0123456789abcdef01234567';
  const cases: Array<[string[], RegExp]> = [
    [['download', join(dir, 'missing.torrent')], /missing\.torrent does not exist/],
    [['download', join(dir, 'junk.torrent')], /junk\.torrent is not a \.torrent file/],
    [['download', dir], /is a folder, not a \.torrent file/],
    [['download', `magnet:?xt=urn:btih:${hash}&dn=x`], /magnet links .* not support.* yet: download with the \.torrent file instead/],
    [['download', hash], /magnet links and bare info hashes .* not support/],
    [['download', torrent, '--select', '2'], /--select "2" names file 2, but the torrent has 1 file/],
    [['download', torrent, '--select', '1-'], /--select "1-" has "1-", which is not a file number/],
    [['download', torrent, '--peer', '127.0.0.1'], /--peer "127\.0\.0\.1" is not host:port/],
    [['download', torrent, '--peer', '[::1]:99999'], /--peer "\[::1\]:99999" is not host:port/],
    [['download', torrent, '--upload-limit', '5 parsecs'], /--upload-limit "5 parsecs" is not a rate/],
    [['download', torrent, '--download-limit', '-1M'], /--download-limit "-1M" is not a rate/],
    [['download', torrent, '--port', '65536'], /--port "65536" is not a port/],
    [['download', torrent, '--seed-ratio', '0'], /--seed-ratio "0" is not a number above zero/],
  ];
  for (const [args, re] of cases) {
    const r = await runSwarm([...args, '-o', join(dir, 'out'), '--no-trackers'], { cwd: dir, timeoutMs: 15_000 });
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(oneSentence(r.stderr), re);
  }
  assert.ok(!existsSync(join(dir, 'out', 'f.bin')));
});

test('Ctrl-C: exit 130 with progress saved; the same command again continues and completes', async (t) => {
  const dir = tempDir(t);
  const data = writeFiles(join(dir, 'src'), { 'slow.bin': 4 * MiB });
  const torrent = await createTorrent(join(dir, 'src', 'slow.bin'), join(dir, 's.torrent'), ['--piece-length', '64K']);
  const seeder = await startSeeder(t, torrent, join(dir, 'src'), ['--no-trackers', '--upload-limit', '1M']);
  const out = join(dir, 'out');
  const args = ['download', torrent, '-o', out, '--peer', local(seeder.port), '--no-trackers', '--json'];
  const first = startSwarm(args);
  t.after(() => first.stop('SIGKILL'));
  await waitForEvent(first, (e) => e.event === 'progress' && (e.doneBytes as number) >= 512 * KiB);
  process.kill(first.pid!, 'SIGINT');
  const { code } = await first.wait(10_000);
  assert.equal(code, 130, first.stderr);
  const events = ndjson(first.stdout);
  assert.deepEqual(events.at(-1), { event: 'stopped', reason: 'SIGINT', exitCode: 130 });
  assert.ok(!events.some((e) => e.event === 'done'));

  const again = await runSwarm(args, { timeoutMs: 30_000 });
  assert.equal(again.code, 0, again.stderr);
  const checked = ndjson(again.stdout).find((e) => e.event === 'checked')!;
  assert.ok((checked.doneBytes as number) >= 512 * KiB, `the rerun kept what was verified: ${JSON.stringify(checked)}`);
  assert.ok((checked.doneBytes as number) < 4 * MiB);
  assert.ok(sameBytes(join(out, 'slow.bin'), data['slow.bin']!));
});

test('SIGTERM: exit 143; and a download whose only peer vanishes keeps waiting', async (t) => {
  const dir = tempDir(t);
  writeFiles(join(dir, 'src'), { 'slow.bin': 4 * MiB });
  const torrent = await createTorrent(join(dir, 'src', 'slow.bin'), join(dir, 's.torrent'), ['--piece-length', '64K']);
  const seeder = await startSeeder(t, torrent, join(dir, 'src'), ['--no-trackers', '--upload-limit', '1M']);
  const dl = startSwarm(['download', torrent, '-o', join(dir, 'out'), '--peer', local(seeder.port), '--no-trackers', '--json']);
  t.after(() => dl.stop('SIGKILL'));
  await waitForEvent(dl, (e) => e.event === 'progress' && (e.doneBytes as number) > 0);
  await seeder.proc.stop('SIGKILL');
  await waitForEvent(dl, (e) => e.event === 'peers' && e.peers === 0);
  // a few seconds with nobody to download from: still running, still reporting
  await new Promise((r) => setTimeout(r, 2_500));
  assert.ok(dl.running, `exited while waiting for peers:\n${dl.stderr}`);
  const last = ndjson(dl.stdout).filter((e) => e.event === 'progress').at(-1)!;
  assert.equal(last.peers, 0);
  assert.ok((last.doneBytes as number) < 4 * MiB);
  process.kill(dl.pid!, 'SIGTERM');
  const { code } = await dl.wait(10_000);
  assert.equal(code, 143, dl.stderr);
  assert.deepEqual(ndjson(dl.stdout).at(-1), { event: 'stopped', reason: 'SIGTERM', exitCode: 143 });
});

test('data already complete: exit 0 at once, nothing downloaded, no peer needed', async (t) => {
  const dir = tempDir(t);
  writeFiles(join(dir, 'src'), { 'done.bin': 2 * MiB });
  const torrent = await createTorrent(join(dir, 'src', 'done.bin'), join(dir, 'd.torrent'));
  const r = await runSwarm(['download', torrent, '-o', join(dir, 'src'), '--no-trackers', '--json'], { timeoutMs: 20_000 });
  assert.equal(r.code, 0, r.stderr);
  const done = ndjson(r.stdout).find((e) => e.event === 'done')!;
  assert.equal(done.alreadyComplete, true);
  assert.equal(done.downloadedBytes, 0);
  const text = await runSwarm(['download', torrent, '-o', join(dir, 'src'), '--no-trackers'], { timeoutMs: 20_000 });
  assert.equal(text.code, 0, text.stderr);
  assert.match(text.stdout, /done\.bin: already complete: every byte is on disk and verified/);
});

test('a disk error is one sentence naming the file, exit 1', async (t) => {
  const dir = tempDir(t);
  writeFiles(join(dir, 'src'), { 'blocked.bin': 512 * KiB });
  const torrent = await createTorrent(join(dir, 'src', 'blocked.bin'), join(dir, 'b.torrent'));
  const seeder = await startSeeder(t, torrent, join(dir, 'src'), ['--no-trackers']);
  const out = join(dir, 'out');
  // a folder where the file must go: every write fails (and root cannot override it)
  mkdirSync(join(out, 'blocked.bin'), { recursive: true });
  const r = await runSwarm(['download', torrent, '-o', out, '--peer', local(seeder.port), '--no-trackers', '-q'], { timeoutMs: 20_000 });
  assert.equal(r.code, 1, r.stderr);
  assert.match(oneSentence(r.stderr), /out\/blocked\.bin" is a folder, not a file/);
});

test('a tracker that does not answer is reported; the download still completes from --peer', async (t) => {
  const dir = tempDir(t);
  const data = writeFiles(join(dir, 'src'), { 't.bin': 2 * MiB });
  const dead = `http://127.0.0.1:${await freePort()}/announce`;
  const torrent = await createTorrent(join(dir, 'src', 't.bin'), join(dir, 't.torrent'), ['--announce', dead]);
  const seeder = await startSeeder(t, torrent, join(dir, 'src'), ['--no-trackers', '--upload-limit', '1M']);
  const r = await runSwarm(['download', torrent, '-o', join(dir, 'out'), '--peer', local(seeder.port)], { timeoutMs: 30_000 });
  assert.equal(r.code, 0, r.stderr);
  assert.ok(sameBytes(join(dir, 'out', 't.bin'), data['t.bin']!));
  assert.ok(r.stderr.includes(`swarm: tracker ${dead} is not answering`), r.stderr);
});

test('a second Ctrl-C exits at once, even while the stopped announce hangs', async (t) => {
  const dir = tempDir(t);
  writeFiles(join(dir, 'src'), { 'x.bin': 256 * KiB });
  // a tracker that answers the first announce, then never answers again
  let answered = 0;
  const tracker = createHttpServer((_req, res) => {
    if (answered++ > 0) return; // hang: the stopped announce waits for its timeout
    res.end(Buffer.from('d8:intervali60e5:peers0:e'));
  });
  await new Promise<void>((r) => tracker.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => (tracker.closeAllConnections(), tracker.close(() => r()))));
  const url = `http://127.0.0.1:${(tracker.address() as { port: number }).port}/announce`;
  const torrent = await createTorrent(join(dir, 'src', 'x.bin'), join(dir, 'x.torrent'), ['--announce', url]);
  // no seeder: the download waits for peers
  const dl = startSwarm(['download', torrent, '-o', join(dir, 'out'), '--json']);
  t.after(() => dl.stop('SIGKILL'));
  await waitForEvent(dl, (e) => e.event === 'tracker' && e.ok === true);
  process.kill(dl.pid!, 'SIGINT');
  await new Promise((r) => setTimeout(r, 300));
  assert.ok(dl.running, 'the first Ctrl-C waits for the stopped announce');
  const t0 = Date.now();
  process.kill(dl.pid!, 'SIGINT');
  const { code } = await dl.wait(5_000);
  assert.equal(code, 130);
  assert.ok(Date.now() - t0 < 1_000, `took ${Date.now() - t0} ms`);
  assert.match(dl.stderr, /stopped at once/);
});

test('IPv6: seed on ::1, download with --peer [::1]:port', async (t) => {
  const dir = tempDir(t);
  const data = writeFiles(join(dir, 'src'), { 'six.bin': 300 * KiB });
  const torrent = await createTorrent(join(dir, 'src', 'six.bin'), join(dir, 'six.torrent'));
  const seeder = startSwarm(['seed', torrent, join(dir, 'src'), '--bind', '::1', '--port', '0', '--no-trackers']);
  t.after(() => seeder.stop('SIGKILL'));
  const m = await seeder.waitFor(/listening on \[::1\]:(\d+)/);
  await seeder.waitFor(/serving until Ctrl-C/);
  const r = await runSwarm(['download', torrent, '-o', join(dir, 'out'), '--peer', `[::1]:${m[1]}`, '--bind', '::1', '--no-trackers', '-q'], {
    timeoutMs: 20_000,
  });
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout + r.stderr, '', '--quiet prints nothing');
  assert.ok(sameBytes(join(dir, 'out', 'six.bin'), data['six.bin']!));
});

test('--seed-ratio: seeds after the download until it has uploaded that much; --seed-time: for that long', async (t) => {
  const dir = tempDir(t);
  const data = writeFiles(join(dir, 'src'), { 'r.bin': 1 * MiB });
  const torrent = await createTorrent(join(dir, 'src', 'r.bin'), join(dir, 'r.torrent'), ['--piece-length', '32K']);
  const seeder = await startSeeder(t, torrent, join(dir, 'src'), ['--no-trackers']);
  // A downloads from the seeder, then seeds until it has given one full copy away
  const a = startSwarm(['download', torrent, '-o', join(dir, 'a'), '--peer', local(seeder.port), '--no-trackers', '--seed-ratio', '1', '--json']);
  t.after(() => a.stop('SIGKILL'));
  const aStart = await waitForEvent(a, (e) => e.event === 'start');
  await waitForEvent(a, (e) => e.event === 'done');
  await seeder.proc.stop('SIGINT');
  // B can only reach A
  const b = await runSwarm(['download', torrent, '-o', join(dir, 'b'), '--peer', local(aStart.port as number), '--no-trackers', '--seed-time', '0.05', '--json'], {
    timeoutMs: 30_000,
  });
  assert.equal(b.code, 0, b.stderr);
  assert.ok(sameBytes(join(dir, 'b', 'r.bin'), data['r.bin']!));
  const bEvents = ndjson(b.stdout);
  assert.deepEqual(bEvents.at(-1), { event: 'stopped', reason: 'seed-time', exitCode: 0 });
  const bDone = bEvents.findIndex((e) => e.event === 'done');
  assert.ok(bEvents.slice(bDone).some((e) => e.event === 'progress' && e.phase === 'seeding'), 'B seeded after its download');
  const { code } = await a.wait(15_000);
  assert.equal(code, 0, a.stderr);
  // A's ratio was reached by B alone: the seeder was gone before B started
  assert.deepEqual(ndjson(a.stdout).at(-1), { event: 'stopped', reason: 'seed-ratio', exitCode: 0 });
});
