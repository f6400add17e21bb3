import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PieceCache } from '../../../src/torrent/piece-cache.js';
import { runLength } from '../../../src/torrent/uploader.js';

/** Runs: small pieces a peer asked for in a row are read together, and held and evicted whole. */

const SIZE = 100;

function cache(maxBytes: number, o: { fail?: () => boolean; maxRunBytes?: number } = {}) {
  const loads: number[] = [];
  const runLoads: Array<[number, number]> = [];
  const c = new PieceCache(
    maxBytes,
    async (i) => {
      loads.push(i);
      if (o.fail?.()) throw new Error('EIO');
      return Buffer.alloc(SIZE, i);
    },
    () => SIZE,
    async (first, count) => {
      runLoads.push([first, count]);
      if (o.fail?.()) throw new Error('EIO');
      return Buffer.concat(Array.from({ length: count }, (_, k) => Buffer.alloc(SIZE, first + k)));
    },
    o.maxRunBytes,
  );
  return { c, loads, runLoads };
}

test('a miss reads the run asked for in one call; its pieces are then hits, each its own bytes', async () => {
  const { c, loads, runLoads } = cache(10_000);
  let asked = 0;
  const first = await c.get(10, () => (asked++, 5));
  assert.equal(asked, 1);
  assert.deepEqual(runLoads, [[10, 5]]);
  assert.deepEqual(first, Buffer.alloc(SIZE, 10));
  for (let i = 11; i < 15; i++) assert.deepEqual(await c.get(i, () => (asked++, 9)), Buffer.alloc(SIZE, i));
  assert.equal(asked, 1, 'ahead() is asked only on a miss');
  assert.deepEqual(loads, []);
  assert.equal(c.bytes, 5 * SIZE);
  assert.deepEqual([9, 10, 11, 14, 15].map((i) => c.state(i)), ['no', 'first', 'yes', 'yes', 'no']);
});

test('a run stops before a piece already cached, and at maxRunBytes', async () => {
  const { c, runLoads } = cache(10_000, { maxRunBytes: 3 * SIZE });
  await c.get(4);
  await c.get(2, () => 10);
  assert.deepEqual(runLoads, [[2, 2]], 'pieces 2 and 3: 4 is cached already');
  await c.get(5, () => 10);
  assert.deepEqual(runLoads.at(-1), [5, 3], 'at most 3 pieces of 100 bytes');
});

test('held bytes never exceed the cap; a run is evicted whole, even when one of its pieces was just used', async () => {
  const { c, runLoads } = cache(1600); // runs of at most 400 bytes (a quarter of the cache)
  for (let r = 0; r < 20; r++) {
    await c.get(r * 10, () => 4);
    // keep touching a piece of the oldest run still held: its run must not outlive the cap
    await c.get(r * 10 + 1);
    assert.ok(c.bytes <= 1600, `${c.bytes} bytes after run ${r}`);
  }
  assert.ok(runLoads.every(([, n]) => n === 4));
  assert.equal(c.bytes, 1600);
  assert.equal(c.state(0), 'no', 'the first run is gone');
  c.evict(191);
  assert.deepEqual([190, 191, 192, 193].map((i) => c.state(i)), ['no', 'no', 'no', 'no'], 'evicting one piece evicts its run');
  assert.equal(c.bytes, 1200);
});

test('a run that fails to read is not kept; every waiting caller gets the error, unused pieces raise nothing', async () => {
  let fail = true;
  const { c } = cache(10_000, { fail: () => fail });
  const unhandled: unknown[] = [];
  const onUnhandled = (e: unknown) => unhandled.push(e);
  process.on('unhandledRejection', onUnhandled);
  try {
    await assert.rejects(c.get(0, () => 4), /EIO/);
    await new Promise((r) => setImmediate(r));
    assert.equal(c.bytes, 0);
    assert.equal(c.state(1), 'no');
    fail = false;
    assert.deepEqual(await c.get(1, () => 2), Buffer.alloc(SIZE, 1));
    await new Promise((r) => setTimeout(r, 10));
    assert.deepEqual(unhandled, []);
  } finally {
    process.off('unhandledRejection', onUnhandled);
  }
});

test('runLength: pieces in a row from a queue entry, the blocks of one piece together, at most max', () => {
  const q = [5, 5, 6, 7, 7, 8, 10, 11].map((index) => ({ index }));
  assert.equal(runLength(q, 0, 64), 4, '5, 6, 7, 8');
  assert.equal(runLength(q, 0, 2), 2);
  assert.equal(runLength(q, 6, 64), 2, '10, 11');
  assert.equal(runLength([{ index: 3 }, { index: 2 }], 0, 64), 1, 'descending is no run');
  assert.equal(runLength([], 0, 64), 1);
});

test('copyOut: the bytes of a piece read, single or in a run, until it is evicted', async () => {
  // runs of up to 3 pieces (a quarter of the cache)
  const { c } = cache(1200);
  const into = Buffer.alloc(30, 0xee);
  const reading = c.get(10, () => 3);
  assert.equal(c.copyOut(10, 0, 10, into, 0), false, 'not read yet');
  await reading;
  assert.equal(c.copyOut(12, 40, 20, into, 5), true);
  assert.deepEqual(into, Buffer.concat([Buffer.alloc(5, 0xee), Buffer.alloc(20, 12), Buffer.alloc(5, 0xee)]));
  assert.equal(c.copyOut(13, 0, 10, into, 0), false, 'never read');
  await c.get(20, () => 1);
  assert.equal(c.copyOut(20, 90, 10, into, 0), true);
  assert.deepEqual(into.subarray(0, 10), Buffer.alloc(10, 20));
  // 900 more bytes: the run of 10 is the oldest and goes
  for (const first of [30, 40, 50]) await c.get(first, () => 3);
  assert.equal(c.copyOut(11, 0, 10, into, 0), false, 'evicted');
  assert.equal(c.copyOut(31, 0, 10, into, 0), true);
});
