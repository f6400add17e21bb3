import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test, type TestContext } from 'node:test';
import { PEER_WIRE_DEFAULTS } from '../../src/net/peer-wire.js';
import type { PeerConnection } from '../../src/torrent/peer-connection.js';
import { encodeMessage, INTERESTED, NOT_INTERESTED, type Message } from '../../src/wire/messages.js';
import { dialPeer, sleep, until, type FakeConnection, type FakeOptions } from '../helpers/fake-peer.js';
import { local, whenDone } from './harness.js';
import { HOSTILE, idOf, swarm, watchPeers, type Swarm, type SwarmOptions } from './hostile-setup.js';

/**
 * Our seeder against one hostile leecher (the fake peer dials it) while an honest
 * leecher downloads: the seeder's queues and buffers stay bounded, the hostile peer gets
 * nothing it should not and is closed when it keeps at it, the honest leecher completes.
 */

const KB = 1024;

interface Setup extends Swarm {
  /** The fake's connection, handshake done. */
  c: FakeConnection;
  /** The seeder's side of the fake's connection. */
  peer: PeerConnection;
  log: ReturnType<typeof watchPeers>;
  /** Starts the honest leecher and waits for it to finish byte-identical. */
  honestCompletes(): Promise<void>;
}

async function hostileLeecher(t: TestContext, o: Partial<SwarmOptions> = {}, fake: Partial<FakeOptions> = {}): Promise<Setup> {
  const s = await swarm(t, { size: 256 * KB, pieceLength: 32 * KB, ...o });
  const log = watchPeers(s.seeder.torrent);
  const c = await dialPeer(t, s.seeder.port, { torrent: s.fake, ...fake });
  await until(() => log.attached.some((p) => idOf(p.peerId) === idOf(c.peerId)), 3000, 'the seeder to attach the fake');
  const peer = log.attached.find((p) => idOf(p.peerId) === idOf(c.peerId))!;
  return {
    ...s,
    c,
    peer,
    log,
    async honestCompletes() {
      s.leecher.torrent.addPeers([local(s.seeder.port)], 'manual');
      await whenDone(s.leecher.torrent);
      assert.ok(s.same(), 'the honest leecher got every byte right');
    },
  };
}

function closeReason(s: Setup): string | undefined {
  return s.log.closed.find((e) => e.peer === s.peer)?.reason;
}

/** Records the largest value `sample` takes after every message the seeder gets from the fake. */
function maxAfterEachMessage(peer: PeerConnection, sample: () => number): { max: number } {
  const m = { max: 0 };
  peer.transport.on('message', () => (m.max = Math.max(m.max, sample())));
  return m;
}

function request(index: number, begin: number, length = 16 * KB): Message {
  return { type: 'request', index, begin, length };
}

/** Many messages as one write, so they reach the seeder in one or a few chunks. */
function burst(c: FakeConnection, msgs: Message[]): void {
  c.write(Buffer.concat(msgs.map((m) => encodeMessage(m))));
}

async function unchoked(s: Setup): Promise<void> {
  s.c.send(INTERESTED);
  await s.c.waitFor((m) => m.type === 'unchoke', 3000, 'unchoke');
}

test('a flood of requests: the queue stops at maxQueuedRequests and the flooder is closed', async (t) => {
  const limits = { ...HOSTILE, maxQueuedRequests: 32 };
  const s = await hostileLeecher(t, { limits });
  const queue = maxAfterEachMessage(s.peer, () => s.peer.uploadQueue.length);
  await unchoked(s);
  const reqs: Message[] = [];
  for (let i = 0; i < 2000; i++) reqs.push(request(i % 8, 0));
  burst(s.c, reqs);
  await s.c.waitClosed(3000);
  assert.equal(queue.max, limits.maxQueuedRequests, 'the queue filled up to its limit and no further');
  assert.match(closeReason(s) ?? '', /too many protocol violations/);
  assert.ok(s.c.count('piece') <= limits.maxQueuedRequests, `served ${s.c.count('piece')} blocks`);
  await s.honestCompletes();
});

test('requests while choked are never served, and a stream of them closes the peer', async (t) => {
  const s = await hostileLeecher(t);
  const { maxQueuedRequests, maxViolations } = s.seeder.torrent.limits;
  // never interested, so never unchoked
  const reqs: Message[] = [];
  for (let i = 0; i < maxQueuedRequests + maxViolations + 10; i++) reqs.push(request(i % 8, 0));
  burst(s.c, reqs);
  await s.c.waitClosed(3000);
  assert.equal(s.c.count('piece'), 0, 'nothing served while choked');
  assert.match(closeReason(s) ?? '', /too many protocol violations/);
  await s.honestCompletes();
});

test('requests that crossed our choke on the wire are tolerated', async (t) => {
  const s = await hostileLeecher(t);
  for (let i = 0; i < 20; i++) s.c.send(request(i % 8, 0));
  await sleep(300);
  assert.equal(s.c.closed, false);
  assert.equal(s.peer.violations, 0);
  assert.equal(s.c.count('piece'), 0);
  await s.honestCompletes();
});

test('out-of-range and oversized requests are refused (rejected under the fast extension), then the peer is closed', async (t) => {
  const s = await hostileLeecher(t, {}, { fast: true });
  const { maxViolations } = s.seeder.torrent.limits;
  const n = s.m.layout.pieceCount;
  const size = 32 * KB;
  await unchoked(s);
  const bad: Message[] = [
    request(n, 0), // no such piece
    request(0xffffffff, 0),
    request(0, size), // begins past the piece
    request(0, size - 100, 16 * KB), // runs past the piece
    request(0, 0, 16 * KB + 1), // more than 16 KiB
    request(0, 0, 32 * KB),
    request(0, 0, 0), // empty
    request(n - 1, 0xfffffff0, 0x20), // begin + length beyond 2^32
  ].slice(0, maxViolations);
  burst(s.c, bad);
  await until(() => s.c.count('reject-request') === bad.length, 3000, 'a reject for every bad request');
  assert.equal(s.c.count('piece'), 0, 'nothing served for them');
  const rejected = s.c.received.filter((m) => m.type === 'reject-request');
  assert.deepEqual(
    rejected.map((m) => m.type === 'reject-request' && [m.index, m.begin, m.length]),
    bad.map((m) => m.type === 'request' && [m.index, m.begin, m.length]),
    'each reject names the request it refuses',
  );
  // still served for a good request
  s.c.send(request(1, 16 * KB));
  const piece = await s.c.waitFor((m) => m.type === 'piece', 3000, 'the good block');
  assert.ok(piece.type === 'piece' && piece.block.equals(s.data.subarray(48 * KB, 64 * KB)));
  // and closed once past the limit
  for (let i = 0; i <= maxViolations; i++) s.c.send(request(n + i, 0));
  await s.c.waitClosed(3000);
  assert.match(closeReason(s) ?? '', /too many protocol violations \(last: bad request/);
  await s.honestCompletes();
});

test('a peer that never reads its socket: our send buffer stays bounded and the upload stops', async (t) => {
  const s = await hostileLeecher(t, { size: 1024 * KB, leecherLimits: {} });
  await unchoked(s);
  s.c.stopReading();
  const wire = s.peer.transport;
  let maxBuffered = 0;
  const n = s.m.layout.pieceCount;
  let k = 0;
  let seen = 0;
  wire.on('message', (m) => m.type === 'request' && seen++);
  const started = Date.now();
  // keep about 100 requests queued for two seconds: far more than every buffer holds
  while (Date.now() - started < 2000 && !s.c.closed) {
    const queued = k - seen + s.peer.uploadQueue.length;
    for (let i = queued; i < 100; i++) s.c.send(request(k++ % n, 0));
    maxBuffered = Math.max(maxBuffered, wire.writableLength);
    await sleep(10);
  }
  const sent = wire.payloadSent;
  await sleep(300);
  assert.equal(wire.payloadSent, sent, 'the uploader stopped sending');
  assert.ok(s.peer.blocked, 'the peer is marked blocked');
  const cap = PEER_WIRE_DEFAULTS.writeHighWaterMark + 16 * KB + 13;
  t.diagnostic(`asked for ${k} blocks (${(k * 16) / 1024} MiB); sent ${sent} bytes; most buffered ${maxBuffered} (cap ${cap})`);
  assert.ok(k * 16 * KB > sent, 'it asked for more than was sent');
  assert.ok(maxBuffered <= cap, `buffered ${maxBuffered} bytes in user space, cap ${cap}`);
  assert.ok(s.peer.uploadQueue.length <= s.seeder.torrent.limits.maxQueuedRequests);
  await s.honestCompletes();
});

/** Stops reading, then asks for blocks until the seeder's socket buffer is full. */
async function clog(s: Setup): Promise<void> {
  s.c.stopReading();
  const n = s.m.layout.pieceCount;
  let k = 0;
  await until(
    () => {
      if (s.peer.uploadQueue.length < 8) for (let i = 0; i < 8; i++) s.c.send(request(k++ % n, 0));
      return s.peer.blocked;
    },
    5000,
    'the seeder to be blocked on the fake',
  );
}

test('a non-reading peer that makes us talk (interest toggles): our buffer stays bounded', async (t) => {
  const s = await hostileLeecher(t, { size: 1024 * KB }, { fast: true });
  await unchoked(s);
  await clog(s);
  const wire = s.peer.transport;
  const before = wire.writableLength;
  const buffered = maxAfterEachMessage(s.peer, () => wire.writableLength);
  const msgs: Message[] = [];
  for (let i = 0; i < 50_000; i++) msgs.push(NOT_INTERESTED, INTERESTED);
  for (let i = 0; i < 4 && !s.c.closed; i++) {
    burst(s.c, msgs);
    await sleep(200);
  }
  t.diagnostic(`seeder buffered ${before} bytes when blocked, at most ${buffered.max} while toggled; closed: ${closeReason(s)}`);
  const cap = s.seeder.torrent.limits.maxSendBuffer;
  assert.ok(buffered.max <= cap + 64, `buffered ${buffered.max} bytes, cap ${cap}`);
  assert.equal(closeReason(s), 'not reading what we send');
  await s.honestCompletes();
});

test('a non-reading fast peer flooding requests while choked: its rejects stay bounded, then it is closed', async (t) => {
  const s = await hostileLeecher(t, { size: 1024 * KB }, { fast: true });
  await unchoked(s);
  await clog(s);
  s.c.send(NOT_INTERESTED);
  await until(() => s.peer.amChoking, 3000, 'the seeder to choke the uninterested peer');
  const wire = s.peer.transport;
  const before = wire.writableLength;
  const buffered = maxAfterEachMessage(s.peer, () => wire.writableLength);
  const { maxQueuedRequests, maxViolations } = s.seeder.torrent.limits;
  const reqs: Message[] = [];
  for (let i = 0; i < 100_000; i++) reqs.push(request(i % 8, 0));
  burst(s.c, reqs);
  await until(() => closeReason(s) !== undefined, 3000, 'the flooder to be closed');
  const grew = buffered.max - before;
  t.diagnostic(`rejects buffered: ${grew} bytes; closed: ${closeReason(s)}`);
  assert.match(closeReason(s) ?? '', /too many protocol violations/);
  assert.ok(grew <= (maxQueuedRequests + maxViolations + 1) * 17, `${grew} bytes of rejects`);
  await s.honestCompletes();
});

test('cancels take queued requests out: cancelled blocks are never sent', async (t) => {
  const s = await hostileLeecher(t, { size: 128 * KB, seeder: { uploadLimit: 64 * KB } });
  await unchoked(s);
  const reqs: Message[] = [];
  for (let i = 0; i < 16; i++) reqs.push(request(i >> 1, (i & 1) * 16 * KB));
  burst(s.c, reqs);
  const cancels = reqs.slice(4).map((m) => ({ ...m, type: 'cancel' }) as Message);
  burst(s.c, cancels);
  await until(() => s.c.count('piece') >= 4, 5000, 'the four blocks not cancelled');
  await sleep(600); // at 64 KB/s, long enough for more blocks if any were still queued
  const got = s.c.received.filter((m) => m.type === 'piece').map((m) => m.type === 'piece' && `${m.index}:${m.begin}`);
  assert.deepEqual(got, ['0:0', '0:16384', '1:0', '1:16384']);
  assert.equal(s.peer.uploadQueue.length, 0);
  await s.honestCompletes();
});

test('an incoming handshake for a torrent we do not have is refused without our handshake', async (t) => {
  const s = await swarm(t, { size: 64 * KB, pieceLength: 32 * KB });
  const c = await dialPeer(t, s.seeder.port, { torrent: s.fake, raw: true });
  c.write(Buffer.concat([Buffer.from([19]), Buffer.from('BitTorrent protocol'), Buffer.alloc(8), randomBytes(40)]));
  await c.waitClosed(3000);
  assert.equal(c.bytesReceived, 0, 'not even our handshake was sent');
  assert.ok(c.remoteClosed);
});

test('a second connection with a peer id already connected is refused', async (t) => {
  const s = await hostileLeecher(t);
  const twin = await dialPeer(t, s.seeder.port, { torrent: s.fake, peerId: s.c.peerId });
  await twin.waitClosed(3000);
  assert.ok(twin.remoteClosed);
  assert.equal(s.c.closed, false, 'the first connection stays');
  assert.equal(s.seeder.torrent.peers.size, 1);
  await s.honestCompletes();
});
