import assert from 'node:assert/strict';
import { test } from 'node:test';
import { SlabPool, SlabSegments } from '../../../src/net/send-slabs.js';

/** A segment list whose writes are recorded (copied) and completed only when the test says. */
function recorder(pool: SlabPool) {
  const writes: Buffer[] = [];
  const pending: Array<() => void> = [];
  const seg = new SlabSegments((bytes, done) => {
    writes.push(Buffer.from(bytes));
    pending.push(done);
  }, pool);
  const append = (bytes: Buffer) => {
    const slab = seg.reserve(bytes.length)!;
    bytes.copy(slab.buf, slab.used);
    seg.commit(slab, bytes.length);
  };
  const completeAll = () => pending.splice(0).forEach((done) => done());
  return { seg, writes, append, completeAll };
}

const bytes = (n: number, fill: number) => Buffer.alloc(n, fill);

test('adjacent appends of one connection leave as one write, in order, at flush', () => {
  const pool = new SlabPool(1024);
  const r = recorder(pool);
  r.append(bytes(10, 1));
  r.append(bytes(20, 2));
  r.append(bytes(30, 3));
  assert.equal(r.writes.length, 0, 'nothing written before flush');
  assert.equal(r.seg.pending, 60);
  r.seg.flush();
  assert.equal(r.seg.pending, 0);
  assert.deepEqual(r.writes, [Buffer.concat([bytes(10, 1), bytes(20, 2), bytes(30, 3)])]);
  r.seg.flush();
  assert.equal(r.writes.length, 1, 'a second flush writes nothing');
});

test('two connections on one slab: each writes only its own bytes, in its own order', () => {
  const pool = new SlabPool(1024);
  const a = recorder(pool);
  const b = recorder(pool);
  a.append(bytes(5, 0xa1));
  b.append(bytes(7, 0xb1));
  // a's segment is no longer at the slab's end: its next bytes start a second segment
  a.append(bytes(3, 0xa2));
  b.append(bytes(4, 0xb2));
  a.seg.flush();
  b.seg.flush();
  assert.deepEqual(a.writes, [bytes(5, 0xa1), bytes(3, 0xa2)]);
  assert.deepEqual(b.writes, [bytes(7, 0xb1), bytes(4, 0xb2)]);
});

test('a full slab is reused only once every write from it is done', () => {
  const pool = new SlabPool(100);
  const a = recorder(pool);
  const b = recorder(pool);
  const first = a.seg.reserve(60)!;
  a.append(bytes(60, 1));
  b.append(bytes(30, 2));
  a.seg.flush();
  // 40 more do not fit: a new slab, and the first one is retired with two writes out
  a.append(bytes(40, 3));
  assert.equal(pool.allocated, 2);
  b.seg.flush();
  a.completeAll();
  assert.equal(pool.freeCount, 0, 'b still has a write out of the first slab');
  b.completeAll();
  assert.equal(pool.freeCount, 1);
  // the second slab fills up: the next one is the first slab's memory again
  a.append(bytes(70, 4));
  assert.equal(pool.reused, 1);
  assert.equal(pool.allocated, 2);
  assert.equal(a.seg.reserve(1)!.buf, first.buf);
  a.seg.flush();
  assert.deepEqual(a.writes.slice(1), [bytes(40, 3), bytes(70, 4)]);
});

test('drop() gives a connection\'s unflushed bytes back without writing them', () => {
  const pool = new SlabPool(100);
  const r = recorder(pool);
  r.append(bytes(80, 1));
  r.seg.drop();
  assert.equal(r.seg.pending, 0);
  r.seg.flush();
  assert.equal(r.writes.length, 0);
  // retires the first slab: nothing holds it, so its memory is the next slab's
  r.append(bytes(50, 2));
  assert.deepEqual([pool.allocated, pool.reused], [1, 1]);
});

test('a message larger than a slab gets no room; the free list is bounded', () => {
  const pool = new SlabPool(64);
  assert.equal(pool.room(65), undefined);
  assert.ok(pool.room(64));
  const r = recorder(pool);
  for (let i = 0; i < 100; i++) {
    r.append(bytes(64, i));
    r.seg.flush();
  }
  r.completeAll();
  r.append(bytes(64, 0)); // retires the last one
  assert.ok(pool.freeCount <= 16, `${pool.freeCount} free slabs kept`);
  assert.ok(pool.freeCount > 0);
});
