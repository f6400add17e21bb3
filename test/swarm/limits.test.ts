import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import { DEFAULT_LIMITS } from '../../src/torrent/defaults.js';
import type { PeerConnection } from '../../src/torrent/peer-connection.js';
import { encodeMessage, INTERESTED, UNCHOKE, type Message } from '../../src/wire/messages.js';
import { dialPeer, FakePeer, sleep, until, type FakeConnection } from '../helpers/fake-peer.js';
import { FAST, local, whenDone } from './harness.js';
import { HOSTILE, swarm, watchPeers } from './hostile-setup.js';

/**
 * Each count or byte limit of src/torrent/defaults.ts, shown to hold with real sockets.
 * (maxSendBuffer: hostile-seeder.test.ts; the timeouts: limits-timeouts.test.ts.)
 */

const KB = 1024;

/** Samples `f` every 10 ms until the returned stop() is called; keeps the largest value. */
function sampleMax(f: () => number): { max: number; stop: () => void } {
  const r = { max: f(), stop: () => clearInterval(timer) };
  const timer = setInterval(() => (r.max = Math.max(r.max, f())), 10);
  return r;
}

test('maxConnections, outgoing: never more than the cap connected or connecting, and the download completes', async (t) => {
  const maxConnections = 2;
  const s = await swarm(t, { size: 512 * KB, pieceLength: 32 * KB, leecherLimits: { maxConnections } });
  const fakes = await Promise.all(
    Array.from({ length: 5 }, () =>
      FakePeer.listen(t, { torrent: s.fake }, (c) => {
        c.sendFullBitfield();
        c.send(UNCHOKE);
        c.serve({ bytesPerSecond: 256 * KB });
      }),
    ),
  );
  const sockets = sampleMax(() => fakes.reduce((n, f) => n + f.open, 0));
  const peers = sampleMax(() => s.leecher.torrent.peers.size);
  // connected plus dialling, as the leecher counts them (the connector is internal)
  const connector = (s.leecher.torrent as unknown as { connector: { halfOpen: number } }).connector;
  const both = sampleMax(() => s.leecher.torrent.peers.size + connector.halfOpen);
  t.after(() => (sockets.stop(), peers.stop(), both.stop()));
  const log = watchPeers(s.leecher.torrent);
  s.leecher.torrent.addPeers(fakes.map((f) => f.address), 'manual');
  await whenDone(s.leecher.torrent);
  sockets.stop();
  peers.stop();
  both.stop();
  assert.ok(s.same());
  assert.equal(peers.max, maxConnections, 'the cap was reached and held');
  assert.ok(both.max <= maxConnections, `${both.max} connected or dialling at once`);
  // a fake sees a new connection before the close of one the leecher just dropped
  const dropped = log.closed.length;
  assert.ok(sockets.max <= maxConnections + dropped, `${sockets.max} TCP connections at once, ${dropped} dropped by the leecher`);
});

test('maxConnections, incoming: connections past the cap are closed', async (t) => {
  const maxConnections = 2;
  const s = await swarm(t, { size: 64 * KB, pieceLength: 32 * KB, limits: { ...HOSTILE, maxConnections } });
  const conns: FakeConnection[] = [];
  for (let i = 0; i < 4; i++) {
    const c = await dialPeer(t, s.seeder.port, { torrent: s.fake });
    c.every(100, () => c.send({ type: 'keep-alive' }));
    conns.push(c);
  }
  await until(() => conns.filter((c) => c.closed).length === 2, 3000, 'two connections to be refused');
  await sleep(300);
  assert.deepEqual(
    conns.map((c) => c.closed),
    [false, false, true, true],
  );
  assert.equal(s.seeder.torrent.peers.size, maxConnections);
});

test('maxHalfOpen: at most that many dials in flight, even when every peer is a tarpit', async (t) => {
  const maxHalfOpen = 2;
  const s = await swarm(t, { size: 256 * KB, pieceLength: 32 * KB, leecherLimits: { maxHalfOpen, handshakeTimeoutMs: 500 } });
  // accept the TCP connection, never answer the handshake
  const tarpits = await Promise.all(Array.from({ length: 6 }, () => FakePeer.listen(t, { torrent: s.fake, raw: true }, () => {})));
  const open = sampleMax(() => tarpits.reduce((n, f) => n + f.open, 0));
  t.after(() => open.stop());
  s.leecher.torrent.addPeers(tarpits.map((f) => f.address), 'manual');
  s.leecher.torrent.addPeers([local(s.seeder.port)], 'manual');
  await whenDone(s.leecher.torrent, 10_000);
  await until(() => tarpits.every((f) => f.connections.length > 0), 5000, 'every tarpit to be tried');
  open.stop();
  assert.ok(s.same());
  assert.equal(open.max, maxHalfOpen, `${open.max} handshakes pending at once`);
});

test('incoming half-open connections: the listener caps them, and each is cut at the handshake timeout', async (t) => {
  const s = await swarm(t, { size: 64 * KB, pieceLength: 32 * KB, limits: { ...HOSTILE, handshakeTimeoutMs: 800 } });
  const cap = 32; // PeerListener's DEFAULT_MAX_HALF_OPEN: the session's listener uses it
  const silent: FakeConnection[] = [];
  for (let i = 0; i < cap + 8; i++) silent.push(await dialPeer(t, s.seeder.port, { torrent: s.fake, raw: true }));
  await until(() => silent.filter((c) => c.closed).length >= 8, 2000, 'connections past the cap to be dropped');
  await sleep(100);
  assert.equal(silent.filter((c) => c.closed).length, 8, 'exactly those past the cap, at once');
  const started = Date.now();
  await until(() => silent.every((c) => c.closed), 3000, 'the silent ones to time out');
  assert.ok(Date.now() - started < 3000);
  // and the seeder still serves
  s.leecher.torrent.addPeers([local(s.seeder.port)], 'manual');
  await whenDone(s.leecher.torrent);
  assert.ok(s.same());
});

test(`maxQueuedRequests (default ${DEFAULT_LIMITS.maxQueuedRequests}) and maxViolations (default ${DEFAULT_LIMITS.maxViolations}) hold at their defaults`, async (t) => {
  const limits = { ...FAST, maxQueuedRequests: DEFAULT_LIMITS.maxQueuedRequests, maxViolations: DEFAULT_LIMITS.maxViolations };
  const s = await swarm(t, { size: 256 * KB, pieceLength: 32 * KB, limits });
  const log = watchPeers(s.seeder.torrent);
  const c = await dialPeer(t, s.seeder.port, { torrent: s.fake });
  await until(() => log.attached.length === 1, 3000, 'attach');
  const peer = log.attached[0]!;
  let maxQueue = 0;
  peer.transport.on('message', () => (maxQueue = Math.max(maxQueue, peer.uploadQueue.length)));
  c.send(INTERESTED);
  await c.waitFor((m) => m.type === 'unchoke', 3000, 'unchoke');
  const n = 2 * (limits.maxQueuedRequests + limits.maxViolations);
  const frames: Buffer[] = [];
  for (let i = 0; i < n; i++) frames.push(encodeMessage({ type: 'request', index: i % 8, begin: 0, length: 16 * KB }));
  c.write(Buffer.concat(frames));
  await c.waitClosed(5000);
  assert.equal(maxQueue, limits.maxQueuedRequests);
  assert.equal(peer.violations, limits.maxViolations + 1, 'closed on the first violation past the limit');
  assert.match(peer.closeReason, /too many protocol violations/);
});

test('maxViolations: a peer at the limit stays, one more and it is closed', async (t) => {
  const maxViolations = DEFAULT_LIMITS.maxViolations;
  const s = await swarm(t, { size: 256 * KB, pieceLength: 32 * KB, leecherLimits: { maxViolations } });
  let conn: FakeConnection | undefined;
  const pusher = await FakePeer.listen(t, { torrent: s.fake }, (c) => {
    conn = c;
    c.sendFullBitfield();
  });
  const log = watchPeers(s.leecher.torrent);
  s.leecher.torrent.addPeers([pusher.address], 'manual');
  await until(() => log.attached.length === 1 && conn !== undefined, 3000, 'attach');
  const peer = log.attached[0]!;
  const junk = (i: number): Message => ({ type: 'piece', index: i % 8, begin: 0, block: randomBytes(16 * KB) });
  for (let i = 0; i < maxViolations; i++) conn!.send(junk(i));
  await until(() => peer.violations === maxViolations, 3000, 'the violations to be counted');
  await sleep(200);
  assert.equal(peer.closed, false, 'still connected at the limit');
  conn!.send(junk(0));
  await conn!.waitClosed(3000);
  assert.equal(peer.violations, maxViolations + 1);
});

test('minPipeline and maxPipeline: requests in flight to one peer stay within them', async (t) => {
  const minPipeline = 3;
  const maxPipeline = 12;
  const s = await swarm(t, { size: 2048 * KB, pieceLength: 64 * KB, leecherLimits: { minPipeline, maxPipeline } });
  const fast = await FakePeer.listen(t, { torrent: s.fake }, (c) => {
    c.sendFullBitfield();
    c.send(UNCHOKE);
    c.serve();
  });
  const log = watchPeers(s.leecher.torrent);
  let max = 0;
  let firstBatch = -1;
  s.leecher.torrent.peers.on('peer', (p: PeerConnection) =>
    p.transport.on('message', () => {
      if (firstBatch < 0 && p.requested.size > 0) firstBatch = p.requested.size;
      max = Math.max(max, p.requested.size);
    }),
  );
  s.leecher.torrent.addPeers([fast.address], 'manual');
  await whenDone(s.leecher.torrent);
  assert.ok(s.same());
  assert.equal(log.attached.length, 1);
  t.diagnostic(`first pipeline ${firstBatch}, largest ${max}`);
  assert.equal(firstBatch, minPipeline, 'a new peer starts at minPipeline');
  assert.equal(max, maxPipeline, 'a fast peer is pipelined up to maxPipeline and no further');
});

test('maxUnverifiedBytes: the assembler holds at most the cap plus one piece', async (t) => {
  const pieceLength = 64 * KB;
  const cap = 3 * pieceLength;
  const s = await swarm(t, { size: 768 * KB, pieceLength, leecherLimits: { maxUnverifiedBytes: cap } });
  // four slow sources, each pipelined with blocks of two pieces (8 blocks of 16 KiB):
  // without the cap, eight pieces would be under way at once
  const slow = await Promise.all(
    Array.from({ length: 4 }, () =>
      FakePeer.listen(t, { torrent: s.fake }, (c) => {
        c.sendFullBitfield();
        c.send(UNCHOKE);
        c.serve({ bytesPerSecond: 128 * KB, random: true });
      }),
    ),
  );
  const held = { max: 0 };
  const dl = s.leecher.torrent.downloader;
  s.leecher.torrent.peers.on('peer', (p: PeerConnection) =>
    p.transport.on('message', () => (held.max = Math.max(held.max, dl.unverifiedBytes))),
  );
  s.leecher.torrent.addPeers(slow.map((f) => f.address), 'manual');
  await whenDone(s.leecher.torrent);
  assert.ok(s.same());
  t.diagnostic(`most unverified bytes held: ${held.max} (cap ${cap}, piece ${pieceLength})`);
  assert.ok(held.max <= cap + pieceLength, `held ${held.max} bytes`);
  assert.ok(held.max >= cap, 'the cap was reached: the test measured something');
});
