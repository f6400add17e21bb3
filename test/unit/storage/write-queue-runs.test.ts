import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MAX_RUN_PIECES, WriteQueue, type WriteQueueOptions } from '../../../src/storage/write-queue.js';
import { StorageError } from '../../../src/util/errors.js';

/**
 * WriteQueue with writeRun: pieces waiting together that follow each other go to the disk
 * in one call. Every call is recorded and finishes only when the test says so.
 */

interface Call {
  first: number;
  count: number;
  bytes: number;
  resolve: () => void;
  reject: (e: unknown) => void;
}

function recorder(o: Partial<WriteQueueOptions> = {}) {
  const calls: Call[] = [];
  const pending: Call[] = [];
  const written: number[] = [];
  const errors: StorageError[] = [];
  let inFlight = 0;
  let peak = 0;
  const start = (first: number, data: readonly Buffer[]) =>
    new Promise<void>((resolve, reject) => {
      inFlight++;
      peak = Math.max(peak, inFlight);
      const end = (f: () => void) => () => {
        inFlight--;
        f();
      };
      const c: Call = { first, count: data.length, bytes: data.reduce((n, d) => n + d.length, 0), resolve: end(resolve), reject: (e) => end(() => reject(e))() };
      calls.push(c);
      pending.push(c);
    });
  const q = new WriteQueue({
    write: (i, d) => start(i, [d]),
    writeRun: start,
    highWater: 1 << 20,
    onWritten: (i) => written.push(i),
    onError: (e) => errors.push(e),
    ...o,
  });
  const tick = () => new Promise<void>((r) => setImmediate(r));
  /** Finish every call (and the ones they lead to) until the queue is idle. */
  const finishAll = async () => {
    await tick();
    while (pending.length > 0) {
      pending.shift()!.resolve();
      await tick();
    }
  };
  return { q, calls, pending, written, errors, tick, finishAll, peak: () => peak };
}

const piece = (n = 100) => Buffer.alloc(n);

test('adjacent pieces queued in one turn go down in one call, in piece order, each reported written', async () => {
  const r = recorder({ concurrency: 2 }); // two runs, both started at once
  for (const i of [5, 3, 4, 9, 7, 8]) r.q.push(i, piece());
  assert.equal(r.calls.length, 0, 'writes start on the next turn, so a burst can be merged');
  await r.tick();
  assert.deepEqual(
    r.calls.map((c) => [c.first, c.count]),
    [
      [3, 3],
      [7, 3],
    ],
  );
  await r.finishAll();
  await r.q.drain();
  assert.deepEqual([...r.written].sort((a, b) => a - b), [3, 4, 5, 7, 8, 9]);
  assert.equal(r.q.pendingBytes, 0);
});

test('a merged write holds at most maxRunBytes (and MAX_RUN_PIECES pieces); a single larger piece still goes alone', async () => {
  const r = recorder({ maxRunBytes: 300 });
  for (let i = 0; i < 10; i++) r.q.push(i, piece());
  r.q.push(20, piece(1000));
  await r.finishAll();
  await r.q.drain();
  assert.ok(r.calls.every((c) => c.bytes <= 300 || c.count === 1), JSON.stringify(r.calls.map((c) => [c.first, c.count, c.bytes])));
  assert.equal(r.calls.filter((c) => c.first < 20).reduce((n, c) => n + c.count, 0), 10, 'every piece exactly once');
  assert.deepEqual(r.calls.find((c) => c.first === 20)?.count, 1);

  const many = recorder({ maxRunBytes: 1 << 30 });
  for (let i = 0; i < MAX_RUN_PIECES + 10; i++) many.q.push(i, piece(1));
  await many.finishAll();
  assert.ok(many.calls.every((c) => c.count <= MAX_RUN_PIECES));
  assert.equal(many.written.length, MAX_RUN_PIECES + 10);
});

test('pieces that arrive while writes are under way join the next call; calls in flight never exceed the concurrency', async () => {
  const r = recorder({ concurrency: 2 });
  r.q.push(0, piece());
  r.q.push(10, piece());
  await r.tick();
  assert.equal(r.calls.length, 2);
  for (const i of [1, 2, 3, 11, 12, 20]) r.q.push(i, piece());
  await r.tick();
  assert.equal(r.pending.length, 2, 'both slots busy: the rest waits');
  r.pending.shift()!.resolve();
  await r.tick();
  // the oldest waiting piece (1) goes next, with its queued neighbours 2 and 3
  assert.deepEqual([r.calls[2]!.first, r.calls[2]!.count], [1, 3]);
  await r.finishAll();
  await r.q.drain();
  assert.equal(r.peak(), 2);
  assert.deepEqual([...r.written].sort((a, b) => a - b), [0, 1, 2, 3, 10, 11, 12, 20]);
});

test('water marks count bytes, merged or not: pause at high, resume once the merged write is done', async () => {
  let lows = 0;
  const r = recorder({ highWater: 250, lowWater: 50, onLowWater: () => lows++ });
  assert.equal(r.q.push(0, piece()), true);
  assert.equal(r.q.push(1, piece()), true);
  assert.equal(r.q.push(2, piece()), false, '300 bytes >= 250');
  assert.ok(r.q.paused);
  await r.tick();
  assert.equal(r.calls.length, 1);
  assert.equal(r.q.pendingBytes, 300, 'bytes being written still count');
  r.pending.shift()!.resolve();
  await r.tick();
  assert.equal(lows, 1);
  assert.equal(r.q.pendingBytes, 0);
  assert.ok(!r.q.paused);
});

test('peek serves every piece of a merged write until the write is done', async () => {
  const r = recorder();
  const data = [Buffer.from('a'), Buffer.from('b'), Buffer.from('c')];
  data.forEach((d, i) => r.q.push(i, d));
  await r.tick();
  assert.equal(r.calls.length, 1);
  data.forEach((d, i) => assert.equal(r.q.peek(i), d));
  r.pending.shift()!.resolve();
  await r.q.drain();
  data.forEach((_, i) => assert.equal(r.q.peek(i), undefined));
});

test('a merged write that fails: its pieces are written again one by one; those that make it are reported, the first error stops the queue', async () => {
  const r = recorder({ concurrency: 1 });
  for (let i = 0; i < 3; i++) r.q.push(i, piece());
  for (let i = 10; i < 12; i++) r.q.push(i, piece());
  await r.tick();
  assert.deepEqual([r.calls[0]!.first, r.calls[0]!.count], [0, 3]);
  const draining = r.q.drain();
  draining.catch(() => undefined);
  r.pending.shift()!.reject(new Error('boom'));
  await r.tick();
  // piece 0 was on disk whole: rewriting it succeeds; piece 1 did not fit
  assert.deepEqual([r.calls[1]!.first, r.calls[1]!.count], [0, 1]);
  r.pending.shift()!.resolve();
  await r.tick();
  const full = new StorageError('ENOSPC', 'disk full writing "/d/f"');
  r.pending.shift()!.reject(full);
  await r.tick();
  r.pending.shift()!.reject(new StorageError('ENOSPC', 'again'));
  await assert.rejects(draining, (e: unknown) => e === full);
  assert.deepEqual(r.errors, [full], 'reported once');
  assert.deepEqual(r.written, [0]);
  assert.deepEqual(
    r.calls.map((c) => c.first),
    [0, 0, 1, 2],
    'pieces 10 and 11 were dropped, never written',
  );
  assert.equal(r.q.pendingBytes, 0);
  assert.throws(() => r.q.push(5, piece()), (e: unknown) => e === full);
});

test('a merged write that fails, then every piece on its own succeeds: all written, no error', async () => {
  const r = recorder();
  for (let i = 0; i < 4; i++) r.q.push(i, piece());
  await r.tick();
  r.pending.shift()!.reject(new Error('EAGAIN'));
  await r.finishAll();
  await r.q.drain();
  assert.deepEqual(r.written, [0, 1, 2, 3]);
  assert.deepEqual(r.errors, []);
});

test('the same piece queued twice is written twice, never merged with itself', async () => {
  const r = recorder();
  r.q.push(1, piece());
  r.q.push(1, piece());
  r.q.push(2, piece());
  await r.finishAll();
  await r.q.drain();
  assert.equal(r.calls.reduce((n, c) => n + c.count, 0), 3);
  assert.ok(r.calls.every((c) => c.count <= 2));
  assert.deepEqual([...r.written].sort(), [1, 1, 2]);
});

test('by default two writes are in flight; what waits meanwhile goes down together next', async () => {
  const r = recorder();
  for (const i of [5, 3, 4, 9, 7, 8, 12, 11]) r.q.push(i, piece());
  await r.tick();
  assert.deepEqual(r.calls.map((c) => [c.first, c.count]), [[3, 3], [7, 3]]);
  r.q.push(13, piece());
  r.q.push(10, piece());
  await r.finishAll();
  assert.deepEqual(r.calls.map((c) => [c.first, c.count]), [[3, 3], [7, 3], [10, 4]]);
  assert.equal(r.peak(), 2);
});
