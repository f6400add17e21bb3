import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PieceLayout } from '../../../src/metainfo/layout.js';
import { BlockBlame } from '../../../src/torrent/block-blame.js';

// 3 pieces of 8 bytes in blocks of 2 (the last piece is 4 bytes: 2 blocks)
const layout = new PieceLayout([{ path: ['f'], length: 20 }], 8, 2);
const good = Buffer.from('abcdefgh');
const A = { host: '10.0.0.1', port: 1 };
const B = { host: '10.0.0.2', port: 2 };
const C = { host: '10.0.0.3', port: 3 };

function withBlock(data: Buffer, block: number, bytes: string): Buffer {
  const d = Buffer.from(data);
  d.write(bytes, block * 2, 'latin1');
  return d;
}

test('only the senders of blocks that differ from the passing piece are blamed', () => {
  const bb = new BlockBlame(layout);
  // B's block 2 was bad; A and C sent good ones
  bb.recordFailure(0, withBlock(good, 2, 'XX'), [A, A, B, C]);
  assert.equal(bb.size, 1);
  assert.deepEqual(bb.passed(0, good), [B]);
  assert.equal(bb.size, 0, 'forgotten once resolved');
  assert.deepEqual(bb.passed(0, good), [], 'nothing left to blame');
});

test('several failed attempts: every liar of any attempt is found, each once', () => {
  const bb = new BlockBlame(layout);
  bb.recordFailure(1, withBlock(withBlock(good, 0, '11'), 3, '22'), [B, A, A, B]);
  bb.recordFailure(1, withBlock(good, 1, '33'), [A, C, A, A]);
  const guilty = bb.passed(1, good).map((a) => a.host).sort();
  assert.deepEqual(guilty, ['10.0.0.2', '10.0.0.3']);
});

test('an unknown sender (gone before the piece failed) is skipped', () => {
  const bb = new BlockBlame(layout);
  bb.recordFailure(0, withBlock(good, 0, 'ZZ'), [undefined, A, A, A]);
  assert.deepEqual(bb.passed(0, good), []);
});

test('the short last piece compares its own blocks', () => {
  const bb = new BlockBlame(layout);
  const last = Buffer.from('wxyz');
  bb.recordFailure(2, Buffer.from('wxQQ'), [A, B]);
  assert.deepEqual(bb.passed(2, last), [B]);
});

test('memory is bounded: oldest pieces and attempts are forgotten', () => {
  const bb = new BlockBlame(new PieceLayout([{ path: ['f'], length: 8 * 100 }], 8, 2), 3, 2);
  for (let i = 0; i < 10; i++) bb.recordFailure(i, Buffer.alloc(8, 1), [A, A, A, A]);
  assert.equal(bb.size, 3);
  assert.deepEqual(bb.passed(0, good), [], 'piece 0 was forgotten');
  assert.deepEqual(bb.passed(9, good), [A]);
  // attempts: only the last two of one piece are kept
  bb.recordFailure(5, Buffer.from(good), [B, B, B, B]);
  bb.recordFailure(5, withBlock(good, 0, '!!'), [A, A, A, A]);
  bb.recordFailure(5, withBlock(good, 0, '!!'), [C, C, C, C]);
  bb.recordFailure(5, withBlock(good, 0, '!!'), [C, A, A, A]);
  assert.deepEqual(bb.passed(5, good).map((a) => a.host), ['10.0.0.3']);
});

test('a piece that failed with several senders is retried by one active peer alone', () => {
  const bb = new BlockBlame(layout);
  const active = new Set([1, 2]);
  const isActive = (k: number) => active.has(k);
  assert.ok(bb.mayTake(0, 1, isActive) && bb.mayTake(0, 2, isActive), 'anyone before a failure');
  bb.recordFailure(0, withBlock(good, 2, 'XX'), [A, A, B, B]);
  assert.ok(bb.mayTake(0, 2, isActive));
  bb.took(0, 2);
  assert.equal(bb.mayTake(0, 1, isActive), false, 'peer 2 retries it alone');
  assert.ok(bb.mayTake(0, 2, isActive));
  assert.ok(bb.mayTake(1, 1, isActive), 'other pieces are not affected');
  // peer 2 fails it alone: still a solo piece, open to the next taker
  bb.failedAlone(0);
  assert.ok(bb.mayTake(0, 1, isActive));
  bb.took(0, 1);
  assert.equal(bb.mayTake(0, 2, isActive), false);
  // the owner goes away: the piece is free for another peer
  active.delete(1);
  assert.ok(bb.mayTake(0, 2, isActive));
  bb.took(0, 2);
  assert.equal(bb.mayTake(0, 3, (k) => k === 2), false);
  // it passes: no longer restricted
  bb.passed(0, good);
  assert.ok(bb.mayTake(0, 3, isActive));
  bb.clear();
  assert.equal(bb.size, 0);
});
