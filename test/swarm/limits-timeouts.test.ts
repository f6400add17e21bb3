import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { connect, type Socket } from 'node:net';
import { test } from 'node:test';
import { encode } from '../../src/bencode/encode.js';
import type { PeerConnection } from '../../src/torrent/peer-connection.js';
import { INTERESTED, UNCHOKE, type Message } from '../../src/wire/messages.js';
import { dialPeer, FakePeer, sleep, until, type FakeConnection } from '../helpers/fake-peer.js';
import { PYTHON } from '../helpers/interop.js';
import { Proc } from '../helpers/proc.js';
import { FAST, local, startPeer, whenDone } from './harness.js';
import { HOSTILE, swarm, watchPeers } from './hostile-setup.js';

/** The timeouts and slot counts of src/torrent/defaults.ts, each shown to hold. */

const KB = 1024;

test('requestTimeoutMs: a peer that never answers loses its requests to another peer, then keeps one probe', async (t) => {
  const requestTimeoutMs = 1000;
  const s = await swarm(t, {
    size: 384 * KB,
    pieceLength: 32 * KB,
    limits: { ...HOSTILE, requestTimeoutMs },
    seeder: { uploadLimit: 128 * KB },
  });
  let mute: FakeConnection | undefined;
  const fake = await FakePeer.listen(t, { torrent: s.fake }, (c) => {
    mute = c;
    c.sendFullBitfield();
    c.send(UNCHOKE);
  });
  s.leecher.torrent.addPeers([fake.address], 'manual');
  const first = await until(() => (mute?.count('request') ?? 0) > 0, 3000, 'requests to the mute peer').then(() => Date.now());
  const asked = mute!.received.filter((m) => m.type === 'request').map(key);
  s.leecher.torrent.addPeers([local(s.seeder.port)], 'manual');
  await mute!.waitFor((m) => m.type === 'cancel', 3 * requestTimeoutMs, 'the requests to be taken back');
  const waited = Date.now() - first;
  await whenDone(s.leecher.torrent);
  assert.ok(s.same(), 'its blocks came from the honest seeder');

  const tick = s.leecher.torrent.limits.tickMs;
  assert.ok(waited >= requestTimeoutMs - 50 && waited <= requestTimeoutMs + 3 * tick + 1000, `taken back after ${waited} ms`);
  const cancelled = new Set(mute!.received.filter((m) => m.type === 'cancel').map(key));
  assert.ok(asked.every((k) => cancelled.has(k)), 'every first request was cancelled');
  // after the first time-out: a single probe at a time
  let outstanding = 0;
  let after = false;
  let most = 0;
  for (const m of mute!.received) {
    if (m.type === 'request') outstanding++;
    if (m.type === 'cancel') outstanding--;
    if (after) most = Math.max(most, outstanding);
    if (m.type === 'cancel' && outstanding === 0) after = true;
  }
  t.diagnostic(`first requests taken back after ${waited} ms; then at most ${most} in flight`);
  assert.ok(most <= 1, `${most} requests in flight to a snubbed peer`);
});

function key(m: Message): string {
  return m.type === 'request' || m.type === 'cancel' ? `${m.index}:${m.begin}` : '';
}

test('idleTimeoutMs: a silent peer is closed; one that sends keep-alives is not', async (t) => {
  const idleTimeoutMs = 800;
  const s = await swarm(t, { size: 64 * KB, pieceLength: 32 * KB, leecherLimits: { idleTimeoutMs } });
  const silent = await FakePeer.listen(t, { torrent: s.fake }, (c) => c.sendFullBitfield());
  const chatty = await FakePeer.listen(t, { torrent: s.fake }, (c) => {
    c.sendFullBitfield();
    c.every(200, () => c.send({ type: 'keep-alive' }));
  });
  const log = watchPeers(s.leecher.torrent);
  const started = Date.now();
  s.leecher.torrent.addPeers([silent.address, chatty.address], 'manual');
  await until(() => silent.connections[0]?.closed === true, 3000, 'the silent peer to be closed');
  const after = Date.now() - started;
  assert.equal(log.closed.find((e) => e.peer.addr.port === silent.port)?.reason, 'idle-timeout');
  assert.ok(after >= idleTimeoutMs && after < idleTimeoutMs + 1500, `closed after ${after} ms`);
  await sleep(idleTimeoutMs);
  assert.equal(chatty.connections[0]?.closed, false, 'keep-alives keep a peer');
});

test('uselessPeerMs: a connection where neither side wants anything is closed; two seeds part at once', async (t) => {
  const uselessPeerMs = 800;
  const s = await swarm(t, { size: 64 * KB, pieceLength: 32 * KB, limits: { ...HOSTILE, uselessPeerMs } });
  const log = watchPeers(s.seeder.torrent);
  // has nothing, wants nothing, talks (so the idle timeout is not what closes it)
  const idle = await dialPeer(t, s.seeder.port, { torrent: s.fake });
  idle.every(200, () => idle.send({ type: 'keep-alive' }));
  const started = Date.now();
  const seed = await dialPeer(t, s.seeder.port, { torrent: s.fake });
  seed.sendFullBitfield();
  const reasons = () => log.closed.map((e) => e.reason).join();
  await until(() => /both sides are seeds/.test(reasons()), 1000, 'the two seeds to part');
  await until(() => /neither side wants anything/.test(reasons()), 3000, 'the useless peer to be closed');
  const after = Date.now() - started;
  assert.ok(after >= uselessPeerMs - 100 && after < uselessPeerMs + 1500, `closed after ${after} ms`);
  assert.ok(seed.closed || seed.remoteClosed);
});

test('connectTimeoutMs: a dial into a black hole gives up and the next peer is tried', async (t) => {
  // a listener with a full backlog that never accepts: further SYNs are dropped, so a
  // connect() hangs as it would towards a host that is gone
  const pit = new Proc(PYTHON, [
    '-c',
    'import socket,time\ns=socket.socket()\ns.bind(("127.0.0.1",0))\ns.listen(0)\nprint(s.getsockname()[1],flush=True)\ntime.sleep(60)',
  ]);
  t.after(() => pit.stop('SIGKILL'));
  const port = Number((await pit.waitFor(/^(\d+)$/m, 5000))[1]);
  const filler: Socket = connect(port, '127.0.0.1');
  filler.on('error', () => {});
  t.after(() => filler.destroy());
  await once(filler, 'connect');
  const connectTimeoutMs = 700;
  const s = await swarm(t, { size: 64 * KB, pieceLength: 32 * KB, leecherLimits: { connectTimeoutMs, maxHalfOpen: 1 } });
  const started = Date.now();
  // one dial at a time: the honest seeder is only tried once the black hole gives up
  s.leecher.torrent.addPeers([{ host: '127.0.0.1', port }, local(s.seeder.port)], 'manual');
  await once(s.leecher.torrent.peers, 'peer');
  const after = Date.now() - started;
  assert.ok(after >= connectTimeoutMs - 50 && after < connectTimeoutMs + 2000, `next peer after ${after} ms`);
  await whenDone(s.leecher.torrent);
  assert.ok(s.same());
});

test('stopAnnounceTimeoutMs: a tracker that never answers "stopped" does not hold up shutdown', async (t) => {
  const requests: string[] = [];
  const server: Server = createServer((req, res) => {
    requests.push(req.url ?? '');
    // answer the first announce; let every later one hang
    if (requests.length === 1) res.end(encode({ interval: 1800, peers: Buffer.alloc(0) }));
  });
  t.after(() => {
    server.closeAllConnections();
    server.close();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as { port: number }).port;
  const s = await swarm(t, { size: 64 * KB, pieceLength: 32 * KB });
  const stopAnnounceTimeoutMs = 500;
  const m = { ...s.m, announceTiers: [[`http://127.0.0.1:${port}/announce`]] };
  const p = await startPeer(t, m, s.src, { trackers: true }, { ...FAST, stopAnnounceTimeoutMs });
  await until(() => p.torrent.stats().trackers.some((x) => x.ok), 3000, 'the started announce to be answered');
  const started = Date.now();
  await p.session.close();
  const took = Date.now() - started;
  assert.ok(requests.some((u) => /event=stopped/.test(u)), 'the stopped announce was sent');
  assert.ok(took >= stopAnnounceTimeoutMs - 50 && took < stopAnnounceTimeoutMs + 1500, `shutdown took ${took} ms`);
});

test('uploadSlots and optimisticIntervalMs: one regular slot plus one optimistic that rotates', async (t) => {
  const uploadSlots = 1;
  const optimisticIntervalMs = 300;
  const s = await swarm(t, {
    size: 64 * KB,
    pieceLength: 32 * KB,
    limits: { ...HOSTILE, uploadSlots, optimisticIntervalMs, chokeIntervalMs: 100 },
  });
  const fakes: FakeConnection[] = [];
  for (let i = 0; i < 5; i++) {
    const c = await dialPeer(t, s.seeder.port, { torrent: s.fake });
    c.send(INTERESTED);
    c.every(200, () => c.send({ type: 'keep-alive' }));
    fakes.push(c);
  }
  const peers = (): PeerConnection[] => [...s.seeder.torrent.peers.values()];
  let most = 0;
  const ever = new Set<number>();
  const deadline = Date.now() + 3000;
  while (Date.now() < deadline) {
    const open = peers().filter((p) => !p.amChoking);
    most = Math.max(most, open.length);
    for (const p of open) ever.add(p.key);
    await sleep(10);
  }
  t.diagnostic(`at most ${most} unchoked at once; ${ever.size} of 5 peers unchoked over 3 s`);
  assert.equal(most, uploadSlots + 1);
  assert.ok(ever.size >= 4, `the optimistic slot rotated: ${ever.size} peers had a turn`);
});
