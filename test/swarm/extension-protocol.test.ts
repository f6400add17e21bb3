import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { DEFAULT_LIMITS } from '../../src/torrent/defaults.js';
import { VERSION } from '../../src/version.js';
import { decodeExtendedHandshake, encodeExtendedHandshake } from '../../src/wire/extension.js';
import { HAVE_NONE, UNCHOKE, type Message } from '../../src/wire/messages.js';
import { dialPeer, FakePeer, sleep, until } from '../helpers/fake-peer.js';
import { idOf, swarm, watchPeers } from './hostile-setup.js';

/**
 * The extension protocol (BEP 10): we offer it, send our extended handshake after the
 * bitfield, and keep to the request queue (reqq) a peer announces in its own.
 */

const KB = 1024;

function extendedHandshake(msgs: Message[]) {
  const m = msgs.find((x) => x.type === 'extended' && x.id === 0);
  return m?.type === 'extended' ? decodeExtendedHandshake(m.payload) : undefined;
}

test('a peer that offers the extension protocol gets our extended handshake, after the bitfield; others never do', async (t) => {
  const s = await swarm(t, { size: 256 * KB, pieceLength: 32 * KB });
  const ext = await dialPeer(t, s.seeder.port, { torrent: s.fake, extensions: true });
  const plain = await dialPeer(t, s.seeder.port, { torrent: s.fake });
  assert.equal((await ext.readHandshake()).reserved[5]! & 0x10, 0x10, 'we offer BEP 10 in our handshake');
  await ext.waitFor((m) => m.type === 'extended', 3000, 'the extended handshake');
  assert.equal(ext.received[0]!.type, 'bitfield', 'the bitfield comes first');
  const h = extendedHandshake(ext.received)!;
  assert.equal(h.reqq, 500);
  assert.ok(h.reqq! < DEFAULT_LIMITS.maxQueuedRequests, 'room for requests that cross our blocks on the wire');
  assert.equal(h.v, `swarm ${VERSION}`);
  assert.equal(h.p, s.seeder.port);
  assert.equal(h.m.size, 0, 'no extension messages offered yet');
  await plain.waitFor((m) => m.type === 'bitfield', 3000, 'the bitfield');
  await sleep(200);
  assert.equal(plain.count('extended'), 0);
});

/**
 * A seeder that answers nothing, so every request we send stays in flight; `reqq` goes in
 * its extended handshake, which it sends before its bitfield.
 */
async function silentSeeder(t: TestContext, reqq: number | undefined) {
  const s = await swarm(t, { size: 1024 * KB, pieceLength: 64 * KB });
  const log = watchPeers(s.leecher.torrent);
  const seed = await FakePeer.listen(t, { torrent: s.fake, extensions: true, fast: true }, (c) => {
    c.send({ type: 'extended', id: 0, payload: encodeExtendedHandshake({ m: { ut_pex: 1 }, v: 'Fake 1.0', ...(reqq ? { reqq } : {}) }) });
    c.sendFullBitfield();
    c.send(UNCHOKE);
  });
  s.leecher.torrent.addPeers([seed.address], 'manual');
  await until(() => (seed.connections[0]?.count('request') ?? 0) > 0, 3000, 'requests');
  await sleep(300);
  const peer = log.attached.find((p) => idOf(p.peerId) === idOf(seed.peerId))!;
  return { requests: seed.connections[0]!.count('request'), peer };
}

test("a seeder's reqq caps how many requests we keep in flight to it, and its handshake may come before its bitfield", async (t) => {
  const capped = await silentSeeder(t, 3);
  assert.equal(capped.requests, 3, 'no more than the seeder queues');
  assert.equal(capped.peer.reqq, 3);
  assert.equal(capped.peer.client, 'Fake 1.0');
  assert.ok(capped.peer.has.isComplete(), 'its bitfield, after the extended handshake, was taken');
  assert.equal(capped.peer.violations, 0);
  const free = await silentSeeder(t, undefined);
  assert.equal(free.requests, DEFAULT_LIMITS.minPipeline, 'without reqq: our own starting pipeline');
});

test('a broken extended handshake counts against the peer; extended messages we did not offer are ignored', async (t) => {
  const s = await swarm(t, { size: 256 * KB, pieceLength: 32 * KB });
  const log = watchPeers(s.seeder.torrent);
  const c = await dialPeer(t, s.seeder.port, { torrent: s.fake, extensions: true, fast: true });
  await until(() => log.attached.length === 1, 3000, 'the seeder to attach the fake');
  const peer = log.attached[0]!;
  c.send({ type: 'extended', id: 0, payload: Buffer.from('l4:spame') });
  // still its first message: an extended handshake before it does not count
  c.send(HAVE_NONE);
  c.send({ type: 'extended', id: 7, payload: Buffer.from('whatever') });
  c.send({ type: 'extended', id: 0, payload: encodeExtendedHandshake({ reqq: 40 }) });
  await until(() => peer.reqq === 40, 3000, 'the good handshake to count');
  assert.equal(peer.violations, 1, 'the list instead of a dictionary, and nothing else');
  assert.equal(peer.closed, false);
});
