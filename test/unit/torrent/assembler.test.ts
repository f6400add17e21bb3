import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import fc from 'fast-check';
import { PieceLayout } from '../../../src/metainfo/layout.js';
import { PieceAssembler } from '../../../src/torrent/assembler.js';

const sha1 = (b: Buffer) => createHash('sha1').update(b).digest().toString('latin1');

test('assembles a piece from blocks in any order and hashes it', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 60 }), fc.integer({ min: 1, max: 7 }), fc.nat(), (size, blockLen, seed) => {
      const data = Buffer.from(Array.from({ length: size }, (_, i) => (i * 31 + seed) & 0xff));
      const layout = new PieceLayout([{ path: ['f'], length: size }], size, blockLen);
      const a = new PieceAssembler(layout);
      const blocks = Array.from({ length: layout.blockCount(0) }, (_, b) => b);
      // deterministic shuffle from the seed
      let s = seed;
      for (let i = blocks.length - 1; i > 0; i--) {
        s = (s * 1103515245 + 12345) >>> 0;
        const j = s % (i + 1);
        [blocks[i], blocks[j]] = [blocks[j]!, blocks[i]!];
      }
      let done;
      for (const [n, b] of blocks.entries()) {
        const begin = b * layout.blockLength;
        const block = Buffer.from(data.subarray(begin, begin + layout.blockSize(0, b)));
        done = a.add(0, begin, block);
        if (n < blocks.length - 1) assert.equal(done, undefined);
      }
      assert.ok(done);
      assert.deepEqual(done.data, data);
      assert.equal(done.sha1, sha1(data));
      assert.equal(a.bytes, 0);
      assert.equal(a.count, 0);
    }),
    { numRuns: 300 },
  );
});

test('counts the bytes it holds, ignores a repeated block, forgets dropped pieces', () => {
  const layout = new PieceLayout([{ path: ['f'], length: 13 }], 5, 2);
  const a = new PieceAssembler(layout);
  assert.equal(a.add(0, 0, Buffer.from('ab')), undefined);
  assert.equal(a.add(2, 0, Buffer.from('xy')), undefined);
  assert.equal(a.bytes, 5 + 3);
  assert.equal(a.add(0, 0, Buffer.from('zz')), undefined, 'repeat ignored');
  a.drop(2);
  assert.equal(a.bytes, 5);
  assert.equal(a.add(0, 2, Buffer.from('cd')), undefined);
  const done = a.add(0, 4, Buffer.from('e'));
  assert.equal(done?.data.toString(), 'abcde');
  assert.equal(a.bytes, 0);
});

test('pieces of one block (and the short last one) come back at once, copied, with who sent them', () => {
  const layout = new PieceLayout([{ path: ['f'], length: 10 }], 4, 4);
  const a = new PieceAssembler(layout);
  for (const [index, text] of [[0, 'abcd'], [2, 'ij'], [1, 'efgh']] as const) {
    const block = Buffer.from(text);
    const done = a.add(index, 0, block, 7 + index);
    block.fill(0); // the socket's buffer is reused: the piece must not change
    assert.ok(done);
    assert.equal(done.data.toString(), text);
    assert.equal(done.sha1, sha1(Buffer.from(text)));
    assert.deepEqual(done.from, [7 + index]);
    assert.equal(a.bytes, 0);
    assert.equal(a.count, 0);
    a.release(done.data);
  }
});
