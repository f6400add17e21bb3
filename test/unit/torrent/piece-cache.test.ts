import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DEFAULT_LIMITS } from '../../../src/torrent/defaults.js';
import { PieceCache } from '../../../src/torrent/piece-cache.js';

/** uploadCacheBytes: the upload cache never holds more than its byte cap. */

function cache(maxBytes: number, size: (i: number) => number = (i) => (i === 99 ? 10 : 100)) {
  const loads: number[] = [];
  const c = new PieceCache(
    maxBytes,
    async (i) => {
      loads.push(i);
      return Buffer.alloc(size(i), i);
    },
    size,
  );
  return { c, loads };
}

test('holds at most maxBytes, evicting the least recently used', async () => {
  const { c, loads } = cache(300);
  for (let i = 0; i < 10; i++) {
    await c.get(i);
    assert.ok(c.bytes <= 300, `${c.bytes} bytes after piece ${i}`);
  }
  assert.equal(c.bytes, 300);
  await c.get(8); // a hit: moves 8 to the recent end
  await c.get(10); // evicts 7, the oldest
  assert.deepEqual(loads, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
  await c.get(8);
  await c.get(7);
  assert.deepEqual(loads.slice(-1), [7], '8 was still cached, 7 was not');
});

test('a piece larger than the cache is read but never held', async () => {
  const { c } = cache(50);
  assert.equal((await c.get(3)).length, 100);
  assert.equal(c.bytes, 0);
  await c.get(99);
  assert.equal(c.bytes, 10);
});

test('a failed read is not kept', async () => {
  let fail = true;
  const c = new PieceCache(
    1000,
    async () => {
      if (fail) throw new Error('EIO');
      return Buffer.alloc(100);
    },
    () => 100,
  );
  await assert.rejects(c.get(1));
  await new Promise((r) => setImmediate(r));
  assert.equal(c.bytes, 0);
  fail = false;
  assert.equal((await c.get(1)).length, 100);
});

test(`the default cap (${DEFAULT_LIMITS.uploadCacheBytes} bytes) holds for 4 MiB pieces`, async () => {
  const piece = 4 * 1024 * 1024;
  const { c } = cache(DEFAULT_LIMITS.uploadCacheBytes, () => piece);
  for (let i = 0; i < 20; i++) await c.get(i);
  assert.equal(c.bytes, Math.floor(DEFAULT_LIMITS.uploadCacheBytes / piece) * piece);
});
