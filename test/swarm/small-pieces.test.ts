import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { UNCHOKE } from '../../src/wire/messages.js';
import { FakePeer, until } from '../helpers/fake-peer.js';
import { tempDir } from '../helpers/tmp.js';
import { TestBackend } from '../unit/storage/backends.js';
import { bytes, local, makeTorrent, sameFile, startPeer, whenDone, writePayload } from './harness.js';
import { swarm } from './hostile-setup.js';

/**
 * Per-piece costs that only show with many small pieces: what a leecher sends per
 * verified piece, and how many disk operations pieces cost.
 */

const KB = 1024;

test('a finished piece is announced to peers that lack it, never to a peer that has it', async (t) => {
  const s = await swarm(t, { size: 256 * KB, pieceLength: 16 * KB });
  const seed = await FakePeer.listen(t, { torrent: s.fake }, (c) => {
    c.sendFullBitfield();
    c.send(UNCHOKE);
    c.serve();
  });
  // has nothing and asks for nothing: every piece is news to it
  const empty = await FakePeer.listen(t, { torrent: s.fake }, () => undefined);
  s.leecher.torrent.addPeers([empty.address], 'manual');
  await until(() => empty.connections.length === 1, 3000, 'the leecher to dial the empty peer');
  s.leecher.torrent.addPeers([seed.address], 'manual');
  await whenDone(s.leecher.torrent);
  assert.ok(s.same());
  const pieces = s.m.layout.pieceCount;
  await until(() => empty.connections[0]!.count('have') === pieces, 3000, `${pieces} haves to the empty peer`);
  assert.equal(seed.connections[0]!.count('have'), 0, 'the seed was told nothing it has');
  const told = new Set(empty.connections[0]!.received.flatMap((m) => (m.type === 'have' ? [m.index] : [])));
  assert.equal(told.size, pieces, 'each piece announced once to the peer that lacks it');
});

test('16 KiB pieces: the leecher writes runs and the seeder reads runs, far fewer disk calls than pieces', async (t) => {
  const data = bytes(8 * 1024 * KB);
  const src = writePayload(t, { 'small.bin': data });
  const m = await makeTorrent(join(src, 'small.bin'), 16 * KB); // 512 pieces
  const seedDisk = new TestBackend();
  const leechDisk = new TestBackend();
  const seeder = await startPeer(t, m, src, { backend: seedDisk });
  const out = tempDir(t);
  const leecher = await startPeer(t, m, out, { backend: leechDisk });
  seedDisk.readCalls = 0;
  leecher.torrent.addPeers([local(seeder.port)], 'manual');
  await whenDone(leecher.torrent);
  assert.ok(sameFile(join(src, 'small.bin'), join(out, 'small.bin')));
  const pieces = m.layout.pieceCount;
  const writes = leechDisk.writeCalls + leechDisk.writevCalls;
  t.diagnostic(`${pieces} pieces: leecher ${writes} write calls (${leechDisk.writevCalls} writev), seeder ${seedDisk.readCalls} reads`);
  assert.ok(writes < pieces / 4, `${writes} write calls for ${pieces} pieces`);
  assert.ok(seedDisk.readCalls < pieces / 4, `${seedDisk.readCalls} reads for ${pieces} pieces`);
});
