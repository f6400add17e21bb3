import assert from 'node:assert/strict';
import { test } from 'node:test';
import { WriteQueue } from '../../../src/storage/write-queue.js';
import { StorageError } from '../../../src/util/errors.js';

/** A write function whose writes finish only when the test says so. */
function manualWrites() {
  const pending: Array<{ index: number; resolve: () => void; reject: (e: unknown) => void }> = [];
  const write = (index: number) =>
    new Promise<void>((resolve, reject) => {
      pending.push({ index, resolve, reject });
    });
  const tick = () => new Promise<void>((r) => setImmediate(r));
  return { pending, write, tick };
}

test('push returns false at the high mark; onLowWater fires once below the low mark', async () => {
  const w = manualWrites();
  let lows = 0;
  const written: number[] = [];
  const q = new WriteQueue({
    write: w.write,
    highWater: 100,
    lowWater: 40,
    concurrency: 2,
    onLowWater: () => lows++,
    onWritten: (i) => written.push(i),
  });
  assert.equal(q.push(0, Buffer.alloc(30)), true);
  assert.equal(q.push(1, Buffer.alloc(30)), true);
  assert.equal(q.push(2, Buffer.alloc(30)), true);
  assert.equal(q.pendingBytes, 90);
  assert.equal(q.push(3, Buffer.alloc(30)), false, '120 bytes >= high 100');
  assert.ok(q.paused);
  assert.equal(w.pending.length, 2, 'two in flight, two queued');
  w.pending.shift()!.resolve();
  await w.tick();
  assert.equal(q.pendingBytes, 90);
  assert.equal(lows, 0, '90 is above the low mark');
  assert.equal(q.push(4, Buffer.alloc(1)), false, 'still paused between the marks');
  w.pending.shift()!.resolve();
  await w.tick();
  w.pending.shift()!.resolve();
  await w.tick();
  assert.equal(q.pendingBytes, 31);
  assert.equal(lows, 1, 'resumed at 31 <= 40');
  assert.ok(!q.paused);
  assert.equal(q.push(5, Buffer.alloc(1)), true);
  while (w.pending.length > 0) {
    w.pending.shift()!.resolve();
    await w.tick();
  }
  await q.drain();
  assert.equal(lows, 1, 'onLowWater once per pause');
  assert.deepEqual(written.sort(), [0, 1, 2, 3, 4, 5]);
  assert.equal(q.pendingBytes, 0);
});

test('a push past the hard limit throws: backpressure ignored is a bug, not a memory leak', () => {
  const w = manualWrites();
  const q = new WriteQueue({ write: w.write, highWater: 10, lowWater: 5, maxBytes: 25 });
  assert.equal(q.push(0, Buffer.alloc(10)), false);
  q.push(1, Buffer.alloc(10));
  assert.throws(() => q.push(2, Buffer.alloc(10)), (e: unknown) => e instanceof StorageError && e.code === 'QUEUE_FULL');
  assert.equal(q.pendingBytes, 20);
  assert.throws(() => new WriteQueue({ write: w.write, highWater: 10, maxBytes: 5 }), RangeError);
});

test('writes in flight never exceed the concurrency bound', async () => {
  let now = 0;
  let peak = 0;
  const written: number[] = [];
  const q = new WriteQueue({
    concurrency: 3,
    highWater: 1 << 20,
    write: async (i) => {
      now++;
      peak = Math.max(peak, now);
      await new Promise((r) => setTimeout(r, (i * 7) % 5));
      now--;
    },
    onWritten: (i) => written.push(i),
  });
  for (let i = 0; i < 30; i++) q.push(i, Buffer.alloc(100));
  assert.equal(q.inFlight, 3);
  await q.drain();
  assert.equal(peak, 3);
  assert.deepEqual(written.sort((a, b) => a - b), Array.from({ length: 30 }, (_, i) => i));
});

test('the first write error stops the queue: reported once, later pushes and drain fail fast', async () => {
  const w = manualWrites();
  const errors: StorageError[] = [];
  const written: number[] = [];
  const q = new WriteQueue({ write: w.write, concurrency: 2, onError: (e) => errors.push(e), onWritten: (i) => written.push(i) });
  for (let i = 0; i < 5; i++) q.push(i, Buffer.alloc(10));
  const full = new StorageError('ENOSPC', 'disk full writing "/d/t/a.bin"');
  w.pending.shift()!.resolve(); // piece 0 fine
  await w.tick();
  w.pending.shift()!.reject(full); // piece 1 fails
  await w.tick();
  assert.equal(errors.length, 1);
  assert.equal(errors[0], full);
  assert.equal(q.error, full);
  assert.throws(() => q.push(9, Buffer.alloc(1)), (e: unknown) => e === full);
  // Piece 2 was already in flight; its failure is not reported again.
  assert.equal(w.pending.length, 1);
  const draining = q.drain();
  w.pending.shift()!.reject(new StorageError('ENOSPC', 'again'));
  await assert.rejects(draining, (e: unknown) => e === full);
  await w.tick();
  assert.equal(errors.length, 1);
  assert.equal(w.pending.length, 0, 'pieces 3 and 4 were dropped, never written');
  assert.deepEqual(written, [0]);
  assert.equal(q.pendingBytes, 0);
  await assert.rejects(q.drain(), (e: unknown) => e === full);
});

test('a non-storage error from the write function becomes a StorageError', async () => {
  const q = new WriteQueue({ write: () => Promise.reject(new Error('boom')) });
  q.push(7, Buffer.alloc(1));
  await assert.rejects(q.drain(), (e: unknown) => e instanceof StorageError && /piece 7.*boom/.test(e.message));
});

test('peek serves a piece until it is written; drain on an idle queue resolves at once', async () => {
  const w = manualWrites();
  const q = new WriteQueue({ write: w.write });
  await q.drain();
  const d = Buffer.from('abc');
  q.push(3, d);
  assert.equal(q.peek(3), d);
  w.pending.shift()!.resolve();
  await q.drain();
  assert.equal(q.peek(3), undefined);
});
