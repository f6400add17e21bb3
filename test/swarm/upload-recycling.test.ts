import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { sharedSlabs } from '../../src/net/send-slabs.js';
import type { Message } from '../../src/wire/messages.js';
import { dialPeer, type FakeConnection } from '../helpers/fake-peer.js';
import { TestBackend } from '../unit/storage/backends.js';
import { bytes, FAST, makeTorrent, startPeer, writePayload, type Peer } from './harness.js';

/**
 * The seeder reuses the memory its blocks are sent from while other blocks in it still
 * wait to be sent: the buffers it reads pieces into (blocks cut from them go out without a
 * copy), and the slabs it reads blocks straight into. Three leechers over real sockets, one of them stalled so that
 * blocks wait in the seeder's socket queue, ask for every piece in different orders
 * through a small upload cache (constant eviction, constant reuse): every block must be
 * the torrent's bytes.
 */

const KB = 1024;
const PIECE = 16 * KB;

/** Interested, then unchoked. */
async function unchoked(c: FakeConnection): Promise<void> {
  c.send({ type: 'interested' });
  await c.waitFor((m) => m.type === 'unchoke', 5000, 'unchoke');
}

/** Requests every piece in `order`, `depth` at a time; resolves with how many blocks were wrong. */
async function fetchAll(c: FakeConnection, data: Buffer, order: number[], depth: number): Promise<{ got: number; wrong: number }> {
  let next = 0;
  let got = 0;
  let wrong = 0;
  const ask = () => {
    while (next < order.length && next - got < depth) c.send({ type: 'request', index: order[next++]!, begin: 0, length: PIECE });
  };
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`timed out with ${got} of ${order.length} pieces`)), 20_000);
    const onMessage = (m: Message) => {
      if (m.type !== 'piece') return;
      const want = data.subarray(m.index * PIECE, m.index * PIECE + PIECE);
      if (m.begin !== 0 || !m.block.equals(want)) wrong++;
      got++;
      if (got === order.length) {
        clearTimeout(timer);
        c.off('message', onMessage);
        resolve();
      } else ask();
    };
    c.on('message', onMessage);
    ask();
  });
  return { got, wrong };
}

function shuffled(n: number, seed: number): number[] {
  const a = Array.from({ length: n }, (_, i) => i);
  let x = seed;
  for (let i = n - 1; i > 0; i--) {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    const j = x % (i + 1);
    [a[i], a[j]] = [a[j]!, a[i]!];
  }
  return a;
}

/**
 * Three leechers ask for everything, one of them reading nothing until the others are
 * done; returns what the stalled one had waiting in the seeder meanwhile.
 */
async function threeLeechers(t: TestContext, seederOptions: { backend?: TestBackend }): Promise<{ seeder: Peer; queued: number }> {
  const data = bytes(16 * 1024 * KB);
  const src = writePayload(t, { 'payload.bin': data });
  const m = await makeTorrent(join(src, 'payload.bin'), PIECE);
  // a quarter of the torrent: each leecher's reads evict the others' pieces
  const seeder = await startPeer(t, m, src, seederOptions, { ...FAST, uploadCacheBytes: 4 * 1024 * KB });
  const fake = { infoHash: m.infoHash, layout: m.layout, data };
  const n = m.layout.pieceCount;
  const [random, sequential, stalled] = await Promise.all([0, 1, 2].map(() => dialPeer(t, seeder.port, { torrent: fake })));
  await Promise.all([random!, sequential!, stalled!].map(unchoked));
  // asks for everything, then reads nothing until the others are done: the kernel's
  // buffers fill, then the seeder's queue for it, with blocks in memory that the others'
  // sends reuse meanwhile
  const late = fetchAll(stalled!, data, shuffled(n, 3), n);
  stalled!.socket.pause();
  const early = await Promise.all([
    fetchAll(random!, data, shuffled(n, 1), 100),
    // in order: read in runs, into the larger size classes
    fetchAll(sequential!, data, shuffled(n, 2).sort((a, b) => a - b), 250),
  ]);
  const queued = Math.max(...[...seeder.torrent.peers.values()].map((p) => p.transport.writableLength));
  stalled!.socket.resume();
  const results = [...early, await late];
  for (const [k, r] of results.entries()) assert.deepEqual(r, { got: n, wrong: 0 }, `leecher ${k}`);
  assert.ok(queued > 0, `the stalled leecher's blocks waited in the seeder (${queued} bytes)`);
  return { seeder, queued };
}

test('recycled read buffers: three leechers, one stalled, get every block right', async (t) => {
  // a backend that cannot read on the main thread: every block is cut from a piece read
  // into a recycled buffer and sent without a copy
  const { seeder } = await threeLeechers(t, { backend: new TestBackend() });
  const rb = seeder.torrent.readBuffers;
  assert.ok(rb.reused > rb.allocated, `buffers recycled: ${rb.reused} reused, ${rb.allocated} new`);
});

test('shared send slabs: three leechers, one stalled, get every block right', async (t) => {
  // the real backend reads blocks straight into slabs that all connections append to; a
  // stalled connection's writes keep its slabs from reuse while the others' recycle
  const before = { allocated: sharedSlabs.allocated, reused: sharedSlabs.reused };
  const { seeder } = await threeLeechers(t, {});
  const allocated = sharedSlabs.allocated - before.allocated;
  const reused = sharedSlabs.reused - before.reused;
  t.diagnostic(`slabs: ${allocated} new, ${reused} reused; read buffers: ${seeder.torrent.readBuffers.allocated} new`);
  assert.ok(reused > allocated, `slabs recycled: ${reused} reused, ${allocated} new`);
});
