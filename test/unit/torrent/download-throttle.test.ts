import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DownloadThrottle } from '../../../src/torrent/download-throttle.js';
import { TokenBucket } from '../../../src/util/token-bucket.js';

/** The download limit holds reading while the bucket refills, and says when it lets go. */

test('an empty bucket holds reading until it has refilled, then lets go once', async () => {
  const changes: boolean[] = [];
  // 1 MB/s with a 16 KiB burst: 32 KiB received is 16 KiB of debt, about 16 ms
  const th = new DownloadThrottle(new TokenBucket(1_000_000, 16 * 1024), () => performance.now(), () => changes.push(th.holding()));
  th.received(8 * 1024);
  assert.equal(th.holding(), false, 'within the burst');
  th.received(24 * 1024);
  assert.equal(th.holding(), true);
  th.received(16 * 1024); // already held: no second timer, no second change
  assert.deepEqual(changes, [true]);
  const t0 = performance.now();
  while (th.holding() && performance.now() - t0 < 2000) await new Promise((r) => setTimeout(r, 5));
  assert.equal(th.holding(), false, 'let go');
  assert.deepEqual(changes, [true, false]);
});
