import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import type { TestContext } from 'node:test';
import { test } from 'node:test';
import { encode } from '../../src/bencode/encode.js';
import { ANNOUNCE_TIMEOUT_MS } from '../../src/torrent/torrent-trackers.js';
import { freePort } from '../helpers/net.js';
import { startSwarm } from '../helpers/proc.js';
import { JsonProc, MiB } from '../helpers/resume-tools.js';
import { tempDir } from '../helpers/tmp.js';
import { createTorrent, sameBytes, startSeeder, writeFiles } from './torrent-helpers.js';

/**
 * Trackers that are dead, silent or slow never hold up a download: it goes on with --peer
 * peers and the other tiers, says which tracker is failing, and Ctrl-C does not wait on
 * a tracker for longer than the short stop timeout.
 */

/** An HTTP "tracker" on 127.0.0.1: `answer` returns a body, or undefined to never answer. */
async function fakeTracker(t: TestContext, answer: (event: string | null) => Buffer | undefined): Promise<{ url: string; events: string[] }> {
  const events: string[] = [];
  const sockets = new Set<Socket>();
  const server: Server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const event = new URL(req.url ?? '/', 'http://x').searchParams.get('event');
    events.push(event ?? 'update');
    const body = answer(event);
    if (body) res.end(body);
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  t.after(() => {
    for (const s of sockets) s.destroy();
    return new Promise<void>((r) => server.close(() => r()));
  });
  const { port } = server.address() as { port: number };
  return { url: `http://127.0.0.1:${port}/announce`, events };
}

const trackerFailing = (url: string) => (e: Record<string, unknown>) => e.event === 'tracker' && e.url === url && e.ok === false;

test('dead trackers (HTTP refused, UDP silent) do not hold up a --peer download; both are reported failing', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t);
  const data = writeFiles(join(dir, 'src'), { 'd.bin': 4 * MiB });
  const http = `http://127.0.0.1:${await freePort()}/announce`;
  const udp = `udp://127.0.0.1:${await freePort()}/announce`;
  const torrent = await createTorrent(join(dir, 'src', 'd.bin'), join(dir, 'd.torrent'), ['--announce', http, '--announce', udp]);
  const seeder = await startSeeder(t, torrent, join(dir, 'src'), ['--no-trackers']);
  // --seed keeps it running after the download, to watch the UDP tracker time out
  const dl = new JsonProc(['download', torrent, '-o', join(dir, 'out'), '--peer', `127.0.0.1:${seeder.port}`, '--json', '--seed']);
  t.after(() => dl.kill());
  const done = await dl.waitFor((e) => e.event === 'done', 20_000);
  assert.ok((done.e.seconds as number) < 10, `took ${String(done.e.seconds)} s`);
  assert.ok(sameBytes(join(dir, 'out', 'd.bin'), data['d.bin']!));
  const refused = await dl.waitFor(trackerFailing(http), 5_000);
  const silent = await dl.waitFor(trackerFailing(udp), ANNOUNCE_TIMEOUT_MS + 10_000);
  t.diagnostic(`HTTP failing after ${Math.round(refused.at - dl.startedAt)} ms (${String(refused.e.error)})`);
  t.diagnostic(`UDP failing after ${Math.round(silent.at - dl.startedAt)} ms (${String(silent.e.error)})`);
  await dl.waitFor((e) => e.event === 'progress' && (e.trackers as Array<{ error: string | null }>).every((x) => x.error !== null), 5_000, dl.events.indexOf(silent));
  // nobody ever answered, so nobody is owed a `stopped`: Ctrl-C is immediate
  const t0 = performance.now();
  process.kill(dl.pid, 'SIGINT');
  const { code } = await dl.proc.wait(10_000);
  assert.equal(code, 130, dl.proc.stderr);
  assert.ok(performance.now() - t0 < 3_000, `exit took ${Math.round(performance.now() - t0)} ms`);
});

test('a tracker that accepts and never answers gives way to the next tier, which finds the seeder', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t);
  const data = writeFiles(join(dir, 'src'), { 'tier.bin': 2 * MiB });
  const slow = await fakeTracker(t, () => undefined);
  const trackerPort = await freePort();
  const good = `http://127.0.0.1:${trackerPort}/announce`;
  const tracker = startSwarm(['tracker', '--port', String(trackerPort), '--json']);
  t.after(() => tracker.stop('SIGKILL'));
  await tracker.waitFor(/"event":"listening"/);
  // same data, same info hash: the seeder's copy names only the good tracker
  const forSeeder = await createTorrent(join(dir, 'src', 'tier.bin'), join(dir, 'seed.torrent'), ['--announce', good]);
  const forLeecher = await createTorrent(join(dir, 'src', 'tier.bin'), join(dir, 'leech.torrent'), ['--announce', slow.url, '--announce', good]);
  await startSeeder(t, forSeeder, join(dir, 'src'));
  await tracker.waitFor(/"kind":"started"/);
  const dl = new JsonProc(['download', forLeecher, '-o', join(dir, 'out'), '--json']);
  t.after(() => dl.kill());
  const failing = await dl.waitFor(trackerFailing(slow.url), ANNOUNCE_TIMEOUT_MS + 10_000);
  const done = await dl.waitFor((e) => e.event === 'done', 20_000);
  assert.equal((await dl.proc.wait(10_000)).code, 0, dl.proc.stderr);
  assert.ok(sameBytes(join(dir, 'out', 'tier.bin'), data['tier.bin']!));
  assert.ok(slow.events.length >= 1, 'the slow tracker was asked first');
  t.diagnostic(`slow tier-1 tracker given up after ${Math.round(failing.at - dl.startedAt)} ms (${String(failing.e.error)}); done after ${Math.round(done.at - dl.startedAt)} ms`);
});

test('Ctrl-C: the tracker hears `stopped`; one that then never answers holds the exit for the short stop timeout only', { timeout: 60_000 }, async (t) => {
  const dir = tempDir(t);
  const data = writeFiles(join(dir, 'src'), { 'stop.bin': 4 * MiB });
  // answers `started`, then swallows every later announce
  const hang = await fakeTracker(t, (event) => (event === 'started' ? encode({ interval: 1800, peers: Buffer.alloc(0) }) : undefined));
  const torrent = await createTorrent(join(dir, 'src', 'stop.bin'), join(dir, 's.torrent'), ['--announce', hang.url, '--piece-length', '64K']);
  const seeder = await startSeeder(t, torrent, join(dir, 'src'), ['--no-trackers', '--upload-limit', '1M']);
  const args = ['download', torrent, '-o', join(dir, 'out'), '--peer', `127.0.0.1:${seeder.port}`, '--json'];
  const dl = new JsonProc(args);
  t.after(() => dl.kill());
  await dl.waitFor((e) => e.event === 'progress' && (e.doneBytes as number) >= MiB, 20_000);
  assert.deepEqual(hang.events, ['started']);
  const t0 = performance.now();
  process.kill(dl.pid, 'SIGINT');
  const { code } = await dl.proc.wait(15_000);
  const ms = performance.now() - t0;
  assert.equal(code, 130, dl.proc.stderr);
  assert.deepEqual(hang.events, ['started', 'stopped']);
  assert.ok(ms < 6_000, `exit took ${Math.round(ms)} ms`);
  t.diagnostic(`Ctrl-C to exit with a tracker that never answers \`stopped\`: ${Math.round(ms)} ms`);

  // a clean stop saved the resume file after the last write: the rerun hashes nothing
  const again = new JsonProc(args);
  t.after(() => again.kill());
  const checked = await again.waitFor((e) => e.event === 'checked', 20_000);
  assert.equal(again.all('checking').length, 0, 'nothing re-hashed after a clean stop');
  assert.ok((checked.e.doneBytes as number) >= MiB);
  await again.waitFor((e) => e.event === 'done', 30_000);
  assert.equal((await again.proc.wait(10_000)).code, 0, again.proc.stderr);
  assert.ok(sameBytes(join(dir, 'out', 'stop.bin'), data['stop.bin']!));
});
