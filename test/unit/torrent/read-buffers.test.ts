import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PieceCache } from '../../../src/torrent/piece-cache.js';
import { ReadBuffers } from '../../../src/torrent/read-buffers.js';

/**
 * Upload read buffers are recycled, but never while a socket may still hold a block cut
 * from them, nor before the microtask turn in which they left the cache is over.
 */

const turn = () => new Promise((r) => setImmediate(r));

test('sizes come in classes of the unit times a power of two', () => {
  const b = new ReadBuffers(16, 1024);
  assert.deepEqual(
    [1, 16, 17, 32, 33, 64, 100].map((n) => b.sizeFor(n)),
    [16, 16, 32, 32, 64, 64, 128],
  );
  assert.equal(b.take(40).length, 64);
});

test('a buffer given back is reused once the turn is over, not before', async () => {
  const b = new ReadBuffers(16, 1024);
  const first = b.take(16);
  b.give(first);
  assert.notEqual(b.take(16), first, 'same turn: a new buffer');
  await turn();
  assert.equal(b.take(16), first, 'next turn: the same memory again');
  assert.deepEqual([b.reused, b.allocated], [1, 2]);
});

test('a buffer with blocks still in a socket is reused only after the last is written', async () => {
  const b = new ReadBuffers(16, 1024);
  const buf = b.take(16);
  const written1 = b.lend(buf.subarray(0, 8))!;
  b.give(buf);
  // sent in the same turn as the drop (a request that got the piece before it)
  const written2 = b.lend(buf.subarray(8, 16))!;
  await turn();
  assert.notEqual(b.take(16), buf, 'two blocks out');
  written1();
  assert.notEqual(b.take(16), buf, 'one block out');
  written2();
  assert.equal(b.take(16), buf, 'all written');
});

test('blocks written while the buffer is still cached do not free it', async () => {
  const b = new ReadBuffers(16, 1024);
  const buf = b.take(16);
  b.lend(buf)!();
  await turn();
  assert.notEqual(b.take(16), buf, 'still in the cache');
  b.give(buf);
  await turn();
  assert.equal(b.take(16), buf);
});

test('memory that is not ours is never lent', () => {
  const b = new ReadBuffers(16, 1024);
  assert.equal(b.lend(Buffer.alloc(16)), undefined);
});

test('each size class recycles only its own buffers', async () => {
  const b = new ReadBuffers(16, 1024);
  const small = b.take(16);
  const big = b.take(64);
  b.give(small);
  b.give(big);
  await turn();
  assert.equal(b.take(50), big);
  assert.equal(b.take(3), small);
});

test('at most maxBytes are kept; free buffers of an unused size make room for new ones', async () => {
  const b = new ReadBuffers(16, 64);
  const [x, y] = [b.take(32), b.take(32)];
  b.give(x);
  b.give(y);
  assert.equal(b.kept, 64);
  await turn();
  const small = b.take(16); // new: only 32s are free
  b.give(small); // a 32 is let go for it
  assert.equal(b.kept, 32 + 16);
  await turn();
  const got32 = b.take(32);
  assert.ok(got32 === x || got32 === y);
  assert.notEqual(b.take(32), x === got32 ? y : x, 'the other 32 was let go');
  assert.equal(b.take(16), small, 'the 16 was kept');
  const tooBig = b.take(128);
  b.give(tooBig);
  assert.ok(b.kept <= 64, 'a buffer larger than the cap is not kept');
  b.give(Buffer.alloc(16)); // not from take(): ignored
  assert.ok(b.kept <= 64);
});

/** A cache of 16-byte pieces (piece i filled with i) over recycled buffers. */
function recycling(maxBytes: number) {
  const buffers = new ReadBuffers(16, 1024);
  const reads: { index: number; into: Buffer | undefined; finish: () => void; fail: () => void }[] = [];
  const load = (index: number, count: number, into?: Buffer) =>
    new Promise<Buffer>((resolve, reject) => {
      reads.push({
        index,
        into,
        finish: () => {
          const out = into ? into.subarray(0, 16 * count) : Buffer.alloc(16 * count);
          for (let k = 0; k < count; k++) out.fill(index + k, 16 * k, 16 * (k + 1));
          resolve(out);
        },
        fail: () => reject(new Error('EIO')),
      });
    });
  const c = new PieceCache(maxBytes, (i, into) => load(i, 1, into), () => 16, (first, count, into) => load(first, count, into), undefined, buffers);
  return { c, buffers, reads };
}

test('the cache reads into recycled buffers and gives each back once its read is done', async () => {
  const { c, buffers, reads } = recycling(32);
  const p0 = c.get(0);
  reads[0]!.finish();
  assert.equal((await p0)[0], 0);
  c.get(1);
  c.get(2); // evicts 0 (its read is done): given back
  await turn();
  assert.equal(buffers.kept, 16);
  c.get(3);
  assert.equal(reads[3]!.into, reads[0]!.into, "piece 3 is read into piece 0's buffer");
});

test('a run is read into one recycled buffer of its size class, and held at that size', async () => {
  const { c, reads } = recycling(1024);
  const p = c.get(10, () => 3);
  assert.equal(reads.length, 1);
  assert.equal(reads[0]!.into?.length, 64, 'three pieces in a 64-byte buffer');
  assert.equal(c.bytes, 64);
  reads[0]!.finish();
  assert.equal((await p)[0], 10);
  assert.equal((await c.get(12))[15], 12);
});

test('a buffer dropped while its read is in flight is given back only after the read', async () => {
  const { c, buffers, reads } = recycling(16);
  c.get(0);
  c.get(1); // evicts 0, still being read
  await turn();
  assert.equal(buffers.kept, 0, 'not given back: the read still writes into it');
  reads[0]!.finish();
  await turn();
  assert.equal(buffers.kept, 16);
  c.get(2);
  assert.equal(reads[2]!.into, reads[0]!.into);
});

test('a buffer whose read failed is never given back', async () => {
  const { c, buffers, reads } = recycling(16);
  const p = c.get(0);
  reads[0]!.fail();
  await assert.rejects(p, /EIO/);
  await turn();
  c.get(1);
  await turn();
  assert.equal(buffers.kept, 0);
});
