import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { encodeHandshake } from '../../src/wire/handshake.js';
import type { PeerConnection } from '../../src/torrent/peer-connection.js';
import { encodeMessage, UNCHOKE } from '../../src/wire/messages.js';
import { FakePeer, frameHeader, sleep, until, type FakeConnection } from '../helpers/fake-peer.js';
import { local, whenDone } from './harness.js';
import { idOf, swarm, watchPeers } from './hostile-setup.js';

/**
 * Our leecher against one hostile peer and one honest seeder: the download completes
 * byte-identical, the hostile one is dropped (or banned), nothing crashes.
 */

const KB = 1024;

/** Bitfield with everything, then unchoke: the peer looks like a perfect seed. */
function seedLike(c: FakeConnection): void {
  c.sendFullBitfield();
  c.send(UNCHOKE);
}

test('wrong data for every piece: the liar is struck, banned, and never dialled again', async (t) => {
  const s = await swarm(t, { size: 1024 * KB, pieceLength: 32 * KB, seeder: { uploadLimit: 512 * KB } });
  const liar = await FakePeer.listen(t, { torrent: s.fake }, (c) => {
    seedLike(c);
    c.serve({ corrupt: true });
  });
  const log = watchPeers(s.leecher.torrent);
  s.leecher.torrent.addPeers([liar.address, local(s.seeder.port)], 'manual');
  await whenDone(s.leecher.torrent);
  assert.ok(s.same(), 'the download is byte-identical');

  const st = s.leecher.torrent.stats();
  assert.ok(st.failedPieces >= 2, `pieces failed their hash: ${st.failedPieces}`);
  const book = s.leecher.torrent.book;
  assert.ok(book.isBanned(liar.address), 'the liar is banned');
  assert.equal(book.has(liar.address), false, 'and forgotten by the PeerBook');
  assert.equal(book.isBanned(local(s.seeder.port)), false, 'the honest seeder is not banned');
  const closed = log.closed.find((e) => e.peer.addr.port === liar.port);
  assert.match(closed?.reason ?? '', /banned/);

  // offered again (a tracker would): refused without a dial
  s.leecher.torrent.addPeers([liar.address], 'tracker');
  s.leecher.torrent.addPeers([liar.address], 'manual');
  await sleep(500);
  assert.equal(liar.connections.length, 1, 'the banned peer was dialled once');
});

test('a liar that mixes its blocks into the pieces the honest seeder fills: only the liar is banned', async (t) => {
  // 16 blocks per piece: the liar's blocks end up inside pieces the honest peer is filling
  const s = await swarm(t, { size: 2048 * KB, pieceLength: 256 * KB, seeder: { uploadLimit: 1024 * KB } });
  const liar = await FakePeer.listen(t, { torrent: s.fake }, (c) => {
    seedLike(c);
    c.serve({ corrupt: true, bytesPerSecond: 1024 * KB });
  });
  const log = watchPeers(s.leecher.torrent);
  s.leecher.torrent.addPeers([liar.address, local(s.seeder.port)], 'manual');
  await whenDone(s.leecher.torrent);
  assert.ok(s.same());
  const book = s.leecher.torrent.book;
  assert.ok(book.isBanned(liar.address), 'the liar is banned');
  assert.equal(book.isBanned(local(s.seeder.port)), false, 'the honest seeder is not');
  // (once done, the seeder hangs up on us as a fellow seed: that close is fine)
  const honest = log.closed.find((e) => e.peer.addr.port === s.seeder.port && /banned|violation/.test(e.reason));
  assert.equal(honest, undefined, `the honest seeder was not dropped for bad data (${honest?.reason})`);
  t.diagnostic(`pieces failed before the ban: ${s.leecher.torrent.stats().failedPieces}`);
});

test('an oversized length prefix closes the connection at once, before any buffering', async (t) => {
  const s = await swarm(t, { size: 256 * KB, pieceLength: 32 * KB });
  const big = await FakePeer.listen(t, { torrent: s.fake }, (c) => {
    seedLike(c);
    // 2 GiB claimed; the leecher must not wait for (or allocate) any of it. Sent a moment
    // later so the peer is attached by then (in the handshake's packet it dies even earlier).
    c.after(100, () => c.write(frameHeader(0x7fffffff, 7)));
  });
  const log = watchPeers(s.leecher.torrent);
  s.leecher.torrent.addPeers([big.address], 'manual');
  await until(() => big.connections[0]?.closed === true, 3000, 'the oversized frame to close the connection');
  assert.ok(big.connections[0]!.remoteClosed, 'the leecher hung up');
  assert.equal(log.closed.find((e) => e.peer.addr.port === big.port)?.reason, 'protocol-error');
  s.leecher.torrent.addPeers([local(s.seeder.port)], 'manual');
  await whenDone(s.leecher.torrent);
  assert.ok(s.same());
});

test('pieces never requested are dropped, counted as violations, and the sender is closed', async (t) => {
  const s = await swarm(t, { size: 256 * KB, pieceLength: 32 * KB });
  const limits = s.leecher.torrent.limits;
  const pusher = await FakePeer.listen(t, { torrent: s.fake }, (c) => {
    c.sendFullBitfield();
    // never unchoke, so nothing is ever requested; push garbage at real block positions
    for (let i = 0; i < 3 * limits.maxViolations; i++) {
      const index = i % s.m.layout.pieceCount;
      c.send({ type: 'piece', index, begin: 0, block: randomBytes(s.m.layout.blockSize(index, 0)) });
    }
  });
  const log = watchPeers(s.leecher.torrent);
  s.leecher.torrent.addPeers([pusher.address], 'manual');
  await until(() => pusher.connections[0]?.closed === true, 3000, 'the pusher to be closed');
  const closed = log.closed.find((e) => e.peer.addr.port === pusher.port);
  assert.match(closed?.reason ?? '', /too many protocol violations \(last: unrequested block/);
  assert.equal(closed!.peer.violations, limits.maxViolations + 1, 'closed on the first violation past the limit');
  assert.equal(s.leecher.torrent.downloader.unverifiedBytes, 0, 'no unrequested byte was kept');

  s.leecher.torrent.addPeers([local(s.seeder.port)], 'manual');
  await whenDone(s.leecher.torrent);
  assert.ok(s.same());
  assert.equal(s.leecher.torrent.stats().failedPieces, 0, 'no pushed block reached a piece');
});

test('a bitfield of the wrong length closes the connection', async (t) => {
  const s = await swarm(t, { size: 256 * KB, pieceLength: 32 * KB });
  assert.equal(s.m.layout.pieceCount, 8);
  const bad = await FakePeer.listen(t, { torrent: s.fake }, (c) => {
    c.send({ type: 'bitfield', bits: Buffer.alloc(2, 0xff) });
    c.send(UNCHOKE);
  });
  const log = watchPeers(s.leecher.torrent);
  s.leecher.torrent.addPeers([bad.address], 'manual');
  await until(() => bad.connections[0]?.closed === true, 3000, 'the bad bitfield to close the connection');
  assert.match(log.closed.find((e) => e.peer.addr.port === bad.port)?.reason ?? '', /bitfield of 2 bytes for 8 pieces/);
  assert.equal(bad.connections[0]!.count('request'), 0);
  s.leecher.torrent.addPeers([local(s.seeder.port)], 'manual');
  await whenDone(s.leecher.torrent);
  assert.ok(s.same());
});

test('a bitfield with spare bits set closes the connection', async (t) => {
  const s = await swarm(t, { size: 256 * KB + 1000, pieceLength: 32 * KB });
  assert.equal(s.m.layout.pieceCount, 9);
  const bad = await FakePeer.listen(t, { torrent: s.fake }, (c) => {
    // 9 pieces: byte 1 may only have its top bit set
    c.send({ type: 'bitfield', bits: Buffer.from([0xff, 0xff]) });
    c.send(UNCHOKE);
  });
  const log = watchPeers(s.leecher.torrent);
  s.leecher.torrent.addPeers([bad.address], 'manual');
  await until(() => bad.connections[0]?.closed === true, 3000, 'the bad bitfield to close the connection');
  assert.match(log.closed.find((e) => e.peer.addr.port === bad.port)?.reason ?? '', /spare bits/);
  s.leecher.torrent.addPeers([local(s.seeder.port)], 'manual');
  await whenDone(s.leecher.torrent);
  assert.ok(s.same());
});

test('a have with an index out of range closes the connection', async (t) => {
  const s = await swarm(t, { size: 256 * KB, pieceLength: 32 * KB });
  for (const index of [8, 0xffffffff]) {
    const bad = await FakePeer.listen(t, { torrent: s.fake }, (c) => {
      c.send({ type: 'have', index: 0 });
      c.send({ type: 'have', index });
    });
    const log = watchPeers(s.leecher.torrent);
    s.leecher.torrent.addPeers([bad.address], 'manual');
    await until(() => bad.connections[0]?.closed === true, 3000, `have ${index} to close the connection`);
    assert.match(log.closed.find((e) => e.peer.addr.port === bad.port)?.reason ?? '', /out of range/);
  }
  s.leecher.torrent.addPeers([local(s.seeder.port)], 'manual');
  await whenDone(s.leecher.torrent);
  assert.ok(s.same());
});

test('a peer that never unchokes: the download completes from the honest one', async (t) => {
  const s = await swarm(t, { size: 512 * KB, pieceLength: 32 * KB });
  const tease = await FakePeer.listen(t, { torrent: s.fake }, (c) => c.sendFullBitfield());
  s.leecher.torrent.addPeers([tease.address], 'manual');
  await until(() => tease.connections[0]?.count('interested') === 1, 3000, 'the leecher to be interested');
  s.leecher.torrent.addPeers([local(s.seeder.port)], 'manual');
  await whenDone(s.leecher.torrent);
  assert.ok(s.same());
  assert.equal(tease.connections[0]!.count('request'), 0, 'nothing was requested while choked');
});

test('unknown message ids are ignored: the connection stays up and the peer serves the whole download', async (t) => {
  const s = await swarm(t, { size: 256 * KB, pieceLength: 32 * KB });
  const odd = await FakePeer.listen(t, { torrent: s.fake }, (c) => {
    c.sendFullBitfield();
    c.send({ type: 'unknown', id: 21, payload: Buffer.alloc(0) });
    c.send({ type: 'unknown', id: 99, payload: randomBytes(100) });
    c.send({ type: 'unknown', id: 255, payload: randomBytes(64 * KB) });
    c.send(UNCHOKE);
    c.serve();
    c.every(10, () => c.send({ type: 'unknown', id: 42, payload: randomBytes(7) }));
  });
  const log = watchPeers(s.leecher.torrent);
  // the odd peer is the only source: if an unknown id closed it, the download would stall
  s.leecher.torrent.addPeers([odd.address], 'manual');
  await whenDone(s.leecher.torrent);
  assert.ok(s.same());
  assert.equal(odd.connections.length, 1);
  assert.ok(odd.connections[0]!.count('request') > 0);
  const peer = log.attached.find((p) => p.addr.port === odd.port)!;
  assert.equal(peer.violations, 0, 'unknown ids are not violations');
  assert.equal(log.closed.find((e) => e.peer === peer), undefined, 'not closed before the download was done');
});

test('a handshake with the wrong info hash is refused before the peer is attached', async (t) => {
  const s = await swarm(t, { size: 256 * KB, pieceLength: 32 * KB });
  const other = await FakePeer.listen(t, { torrent: s.fake, handshakeInfoHash: randomBytes(20) }, (c) => seedLike(c));
  const log = watchPeers(s.leecher.torrent);
  s.leecher.torrent.addPeers([other.address], 'manual');
  await until(() => other.connections[0]?.closed === true, 3000, 'the wrong-hash connection to close');
  assert.ok(other.connections[0]!.remoteClosed, 'the leecher hung up');
  s.leecher.torrent.addPeers([local(s.seeder.port)], 'manual');
  await whenDone(s.leecher.torrent);
  assert.ok(s.same());
  assert.equal(log.attached.filter((p) => idOf(p.peerId) === idOf(other.peerId)).length, 0, 'never attached');
});

test('a handshake with our own peer id is dropped as self, and the address forgotten', async (t) => {
  const s = await swarm(t, { size: 256 * KB, pieceLength: 32 * KB });
  const mirror = await FakePeer.listen(t, { torrent: s.fake, peerId: s.leecher.session.peerId }, (c) => seedLike(c));
  const log = watchPeers(s.leecher.torrent);
  s.leecher.torrent.addPeers([mirror.address], 'manual');
  await until(() => mirror.connections[0]?.closed === true, 3000, 'the self connection to close');
  assert.ok(mirror.connections[0]!.remoteClosed);
  assert.equal(log.attached.length, 0, 'never attached');
  await until(() => !s.leecher.torrent.book.has(mirror.address), 1000, 'the PeerBook to forget our own address');
  s.leecher.torrent.addPeers([local(s.seeder.port)], 'manual');
  await whenDone(s.leecher.torrent);
  assert.ok(s.same());
  assert.equal(mirror.connections.length, 1, 'never dialled again');
});

test('slowloris before the handshake: one byte at a time is cut off by the handshake timeout', async (t) => {
  const s = await swarm(t, { size: 256 * KB, pieceLength: 32 * KB });
  const hs = encodeHandshake({ infoHash: s.m.infoHash, peerId: randomBytes(20) });
  const drip = await FakePeer.listen(t, { torrent: s.fake, raw: true }, (c) => {
    let i = 0;
    c.every(200, () => c.write(hs.subarray(i, ++i)));
  });
  s.leecher.torrent.addPeers([drip.address, local(s.seeder.port)], 'manual');
  const started = Date.now();
  await whenDone(s.leecher.torrent);
  assert.ok(s.same(), 'the honest peer finished the download');
  await drip.connections[0]!.waitClosed(5000);
  const held = Date.now() - started;
  const limit = s.leecher.torrent.limits.handshakeTimeoutMs;
  assert.ok(drip.connections[0]!.remoteClosed, 'the leecher hung up');
  assert.ok(held < limit + 3000, `held ${held} ms with a handshake timeout of ${limit} ms`);
  assert.ok(drip.connections[0]!.bytesSent < hs.length, 'the handshake never completed');
});

test('slowloris after the handshake: its requests time out and go to the honest peer', async (t) => {
  const s = await swarm(t, { size: 512 * KB, pieceLength: 32 * KB, seeder: { uploadLimit: 256 * KB } });
  const drip = await FakePeer.listen(t, { torrent: s.fake }, (c) => {
    seedLike(c);
    c.serve({ bytesPerSecond: 2 });
  });
  const log = watchPeers(s.leecher.torrent);
  let snubbed = false;
  const probe = setInterval(() => {
    const p = log.attached.find((x) => x.addr.port === drip.port);
    if (p?.snubbed) snubbed = true;
  }, 20);
  t.after(() => clearInterval(probe));
  s.leecher.torrent.addPeers([drip.address], 'manual');
  await until(() => (drip.connections[0]?.count('request') ?? 0) > 0, 3000, 'requests to the slow peer');
  s.leecher.torrent.addPeers([local(s.seeder.port)], 'manual');
  await whenDone(s.leecher.torrent);
  assert.ok(s.same());
  assert.ok(snubbed, 'the slow peer was snubbed by the request timeout');
  assert.ok(drip.connections[0]!.count('cancel') > 0, 'its requests were taken back');
  assert.equal(s.leecher.torrent.stats().failedPieces, 0);
});

test('a peer that sends data slowly forever does not hold the download back', async (t) => {
  const size = 512 * KB;
  const s = await swarm(t, { size, pieceLength: 32 * KB, seeder: { uploadLimit: 512 * KB } });
  const rate = 4 * KB;
  const slow = await FakePeer.listen(t, { torrent: s.fake }, (c) => {
    seedLike(c);
    c.serve({ bytesPerSecond: rate });
  });
  s.leecher.torrent.addPeers([slow.address], 'manual');
  await until(() => (slow.connections[0]?.count('request') ?? 0) > 0, 3000, 'requests to the slow peer');
  const started = Date.now();
  s.leecher.torrent.addPeers([local(s.seeder.port)], 'manual');
  await whenDone(s.leecher.torrent);
  const took = Date.now() - started;
  assert.ok(s.same());
  // the slow peer alone would need size / rate = 128 s; the honest one about 1 s
  assert.ok(took < 10_000, `took ${took} ms`);
  t.diagnostic(`done in ${took} ms; the slow peer alone would need ${Math.round(size / rate)} s`);
});

test('repeated have-all messages cost nothing once the peer has everything', async (t) => {
  // 65,536 pieces: anything done per piece per message shows at once
  const s = await swarm(t, { size: 1024 * KB, pieceLength: 16, blockLength: 16 });
  const n = 20_000;
  const flood = await FakePeer.listen(t, { torrent: s.fake, fast: true }, (c) => {
    const haveAll = encodeMessage({ type: 'have-all' });
    c.write(Buffer.concat(Array.from({ length: n }, () => haveAll)));
  });
  const log = watchPeers(s.leecher.torrent);
  let seen = 0;
  s.leecher.torrent.peers.on('peer', (p: PeerConnection) => p.transport.on('message', (m) => m.type === 'have-all' && seen++));
  const started = performance.now();
  s.leecher.torrent.addPeers([flood.address], 'manual');
  await until(() => seen === n, 20_000, 'the have-all flood to be read');
  const ms = performance.now() - started;
  t.diagnostic(`${n} have-all messages for ${s.m.layout.pieceCount} pieces handled in ${ms.toFixed(0)} ms`);
  assert.ok(ms < 5000, `took ${ms.toFixed(0)} ms`);
  assert.equal(log.attached.length, 1);
});

test('a peer that toggles choke/unchoke and never reads: our requests to it stay bounded, then it is closed', async (t) => {
  const s = await swarm(t, { size: 1024 * KB, pieceLength: 64 * KB });
  const choke = encodeMessage({ type: 'choke' });
  const unchoke = encodeMessage(UNCHOKE);
  const flip = Buffer.concat(Array.from({ length: 20_000 }, (_, i) => (i % 2 ? choke : unchoke)));
  const toggler = await FakePeer.listen(t, { torrent: s.fake }, (c) => {
    c.sendFullBitfield();
    c.stopReading();
    // every unchoke makes the leecher write a pipeline of requests
    for (let i = 0; i < 20; i++) c.after(50 * i, () => c.write(flip));
  });
  const log = watchPeers(s.leecher.torrent);
  let most = 0;
  s.leecher.torrent.peers.on('peer', (p: PeerConnection) =>
    p.transport.on('message', () => (most = Math.max(most, p.transport.writableLength))),
  );
  s.leecher.torrent.addPeers([toggler.address], 'manual');
  await until(() => log.closed.length === 1, 10_000, 'the toggler to be closed');
  const cap = s.leecher.torrent.limits.maxSendBuffer;
  t.diagnostic(`most buffered for it: ${most} bytes (cap ${cap}); closed: ${log.closed[0]!.reason}`);
  assert.equal(log.closed[0]!.reason, 'not reading what we send');
  assert.ok(most <= cap + 64 * 17, `${most} bytes buffered`);
  s.leecher.torrent.addPeers([local(s.seeder.port)], 'manual');
  await whenDone(s.leecher.torrent);
  assert.ok(s.same());
});
