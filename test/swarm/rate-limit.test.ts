import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/tmp.js';
import { bytes, local, makeTorrent, startPeer, whenDone, writePayload } from './harness.js';

const LIMIT = 1024 * 1024; // 1 MiB/s
const WINDOW_MS = 10_000;

/** Bytes per second over a 10 s window that starts once the first burst is over. */
async function measure(read: () => number): Promise<number> {
  await new Promise((r) => setTimeout(r, 2_000));
  const a = read();
  const t0 = performance.now();
  await new Promise((r) => setTimeout(r, WINDOW_MS));
  return ((read() - a) * 1000) / (performance.now() - t0);
}

test('an upload limited to 1 MiB/s measures 0.9-1.1 MiB/s over 10 s', async (t) => {
  const src = writePayload(t, { 'r.bin': bytes(20 * 1024 * 1024) });
  const m = await makeTorrent(join(src, 'r.bin'), 64 * 1024);
  const seeder = await startPeer(t, m, src, { uploadLimit: LIMIT });
  const leecher = await startPeer(t, m, tempDir(t));
  leecher.torrent.addPeers([local(seeder.port)], 'manual');
  const rate = await measure(() => seeder.torrent.stats().uploadedBytes);
  t.diagnostic(`upload ${(rate / LIMIT).toFixed(3)} x the limit (${Math.round(rate)} B/s)`);
  assert.ok(rate >= 0.9 * LIMIT && rate <= 1.1 * LIMIT, `${rate} B/s`);
});

test('a download limited to 1 MiB/s measures 0.9-1.1 MiB/s over 10 s, and then completes', async (t) => {
  const src = writePayload(t, { 'r.bin': bytes(16 * 1024 * 1024) });
  const m = await makeTorrent(join(src, 'r.bin'), 64 * 1024);
  const seeders = [await startPeer(t, m, src), await startPeer(t, m, src)];
  const leecher = await startPeer(t, m, tempDir(t), { downloadLimit: LIMIT });
  leecher.torrent.addPeers(seeders.map((s) => local(s.port)), 'manual');
  const rate = await measure(() => leecher.torrent.stats().downloadedBytes);
  t.diagnostic(`download ${(rate / LIMIT).toFixed(3)} x the limit (${Math.round(rate)} B/s)`);
  assert.ok(rate >= 0.9 * LIMIT && rate <= 1.1 * LIMIT, `${rate} B/s`);
  await whenDone(leecher.torrent, 30_000);
});

test('a download limit holds even while the disk keeps catching up (a write queue that drains all the time)', async (t) => {
  const size = 6 * 1024 * 1024;
  const limit = 2 * 1024 * 1024;
  const src = writePayload(t, { 'r.bin': bytes(size) });
  const m = await makeTorrent(join(src, 'r.bin'), 64 * 1024);
  const seeder = await startPeer(t, m, src);
  // a tiny write queue: backpressure starts and ends every few pieces, and each end used
  // to resume reading that the limit was holding
  const leecher = await startPeer(t, m, tempDir(t), { downloadLimit: limit }, { writeQueueHighBytes: 384 * 1024, writeQueueLowBytes: 128 * 1024 });
  const t0 = performance.now();
  leecher.torrent.addPeers([local(seeder.port)], 'manual');
  await whenDone(leecher.torrent, 30_000);
  const seconds = (performance.now() - t0) / 1000;
  // the burst is a quarter second of the limit; the rest comes at the limit
  const least = (size - limit / 4) / limit;
  t.diagnostic(`${seconds.toFixed(2)} s for ${size} B at ${limit} B/s (at least ${least.toFixed(2)} s)`);
  assert.ok(seconds >= 0.9 * least, `${seconds.toFixed(2)} s: the limit did not hold`);
});
