import assert from 'node:assert/strict';
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { tempDir } from '../helpers/tmp.js';
import { bytes, local, makeTorrent, sameFile, startPeer, whenDone, writePayload } from './harness.js';

test('1 seeder -> 1 leecher: 13 bytes, piece length 5, block length 2', async (t) => {
  const src = writePayload(t, { 'tiny.bin': Buffer.from('hello, swarm!') });
  const m = await makeTorrent(join(src, 'tiny.bin'), 5, 2);
  assert.equal(m.layout.pieceCount, 3);
  const seeder = await startPeer(t, m, src);
  assert.equal(seeder.torrent.phase, 'seeding');
  const out = tempDir(t);
  const leecher = await startPeer(t, m, out);
  assert.equal(leecher.torrent.phase, 'downloading');
  leecher.torrent.addPeers([local(seeder.port)], 'manual');
  await whenDone(leecher.torrent);
  assert.ok(sameFile(join(src, 'tiny.bin'), join(out, 'tiny.bin')));
  const s = leecher.torrent.stats();
  assert.equal(s.doneBytes, 13);
  assert.equal(s.failedPieces, 0);
});

test('multi-file: pieces across file boundaries, a 0-byte file, a file smaller than a block', async (t) => {
  const files = {
    'set/a.bin': bytes(70_001),
    'set/empty.txt': Buffer.alloc(0),
    'set/sub/b.bin': bytes(3),
    'set/sub/c.bin': bytes(150_000),
  };
  const src = writePayload(t, files);
  const m = await makeTorrent(join(src, 'set'), 32 * 1024);
  const seeder = await startPeer(t, m, src);
  const out = tempDir(t);
  const leecher = await startPeer(t, m, out);
  leecher.torrent.addPeers([local(seeder.port)], 'manual');
  await whenDone(leecher.torrent);
  for (const rel of Object.keys(files)) {
    assert.ok(existsSync(join(out, rel)), `${rel} exists`);
    assert.ok(sameFile(join(src, rel), join(out, rel)), `${rel} matches`);
  }
  assert.equal(statSync(join(out, 'set/empty.txt')).size, 0);
});

test('3 seeders -> 1 leecher: every seeder contributes', async (t) => {
  const src = writePayload(t, { 'big.bin': bytes(4 * 1024 * 1024 + 123) });
  const m = await makeTorrent(join(src, 'big.bin'), 64 * 1024);
  const seeders = [await startPeer(t, m, src), await startPeer(t, m, src), await startPeer(t, m, src)];
  const out = tempDir(t);
  const leecher = await startPeer(t, m, out);
  leecher.torrent.addPeers(seeders.map((s) => local(s.port)), 'manual');
  await whenDone(leecher.torrent);
  assert.ok(sameFile(join(src, 'big.bin'), join(out, 'big.bin')));
  const served = seeders.map((s) => s.torrent.stats().uploadedBytes);
  assert.ok(served.every((b) => b > 0), `uploads per seeder: ${served.join(', ')}`);
});

test('chain: seeder -> A -> B, where B can only reach A', async (t) => {
  const src = writePayload(t, { 'chain.bin': bytes(2 * 1024 * 1024) });
  const m = await makeTorrent(join(src, 'chain.bin'), 32 * 1024);
  const seeder = await startPeer(t, m, src, { uploadLimit: 1024 * 1024 });
  const a = await startPeer(t, m, tempDir(t));
  const outB = tempDir(t);
  const b = await startPeer(t, m, outB);
  a.torrent.addPeers([local(seeder.port)], 'manual');
  b.torrent.addPeers([local(a.port)], 'manual');
  await Promise.all([whenDone(a.torrent), whenDone(b.torrent)]);
  assert.ok(sameFile(join(src, 'chain.bin'), join(outB, 'chain.bin')));
  assert.ok(a.torrent.stats().uploadedBytes > 0, 'A uploaded to B');
});
