import assert from 'node:assert/strict';
import test from 'node:test';
import { PAGE_BYTES, allocPageAligned, startsOnPage } from '../../../src/util/aligned.js';
import { BufferPool } from '../../../src/util/buffer-pool.js';

test('allocPageAligned gives memory that starts on a page; views keep it only at page offsets', () => {
  const b = allocPageAligned(3 * PAGE_BYTES + 100);
  assert.equal(b.length, 3 * PAGE_BYTES + 100);
  assert.ok(startsOnPage(b));
  assert.ok(startsOnPage(b.subarray(PAGE_BYTES)));
  assert.ok(!startsOnPage(b.subarray(100)));
  // ordinary buffers are never taken for aligned, whatever their offset happens to be
  assert.ok(!startsOnPage(Buffer.allocUnsafeSlow(1 << 20)));
  assert.ok(!startsOnPage(Buffer.alloc(PAGE_BYTES)));
  b.fill(7);
  assert.equal(b[b.length - 1], 7);
});

test('an aligned pool hands out page-aligned buffers that never overlap, and reuses what comes back', () => {
  const size = 16 * 1024;
  const pool = new BufferPool(size, 2, true);
  const bufs = Array.from({ length: 600 }, () => pool.acquire()); // more than one 8 MiB slab
  bufs.forEach((b, i) => {
    assert.equal(b.length, size);
    assert.ok(startsOnPage(b), `buffer ${i} starts on a page`);
    b.fill(i & 0xff);
  });
  bufs.forEach((b, i) => assert.ok(b.every((x) => x === (i & 0xff)), `buffer ${i} kept its bytes`));
  for (const b of bufs) pool.release(b);
  // every aligned buffer is kept (its slab is shared), not just maxFree of them
  assert.equal(pool.freeCount, 600);
  assert.ok(bufs.includes(pool.acquire()));
  // foreign buffers are not taken in
  pool.release(Buffer.allocUnsafeSlow(size));
  assert.equal(pool.freeCount, 599);
  pool.trim();
  assert.equal(pool.freeCount, 0);
  assert.ok(startsOnPage(pool.acquire()));
});

test('odd sizes are padded to whole pages between buffers', () => {
  const pool = new BufferPool(5000, 4, true);
  const a = pool.acquire();
  const b = pool.acquire();
  assert.equal(a.length, 5000);
  assert.ok(startsOnPage(a) && startsOnPage(b));
  assert.equal(b.byteOffset - a.byteOffset, 2 * PAGE_BYTES);
});

test('a plain pool keeps at most maxFree buffers of its size', () => {
  const pool = new BufferPool(1024, 2);
  const bufs = [pool.acquire(), pool.acquire(), pool.acquire()];
  for (const b of bufs) pool.release(b);
  assert.equal(pool.freeCount, 2);
  pool.release(Buffer.alloc(10));
  assert.equal(pool.freeCount, 2);
});
