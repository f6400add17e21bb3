import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { PieceLayout } from '../../../src/metainfo/layout.js';

test('tiny torrent: 13 bytes, piece length 5, block length 2', () => {
  const l = new PieceLayout([{ path: ['a'], length: 13 }], 5, 2);
  assert.equal(l.pieceCount, 3);
  assert.equal(l.lastPieceLength, 3);
  assert.deepEqual([0, 1, 2].map((i) => l.pieceSize(i)), [5, 5, 3]);
  assert.deepEqual([0, 1, 2].map((i) => l.blockCount(i)), [3, 3, 2]);
  assert.equal(l.blockSize(0, 2), 1);
  assert.equal(l.blockSize(2, 1), 1);
  assert.throws(() => l.blockSize(2, 2), RangeError);
  assert.ok(l.isBlock(0, 4, 1));
  assert.ok(!l.isBlock(0, 4, 2));
  assert.ok(!l.isBlock(0, 3, 2));
  assert.ok(!l.isBlock(3, 0, 2));
  assert.ok(l.inPiece(2, 1, 2));
  assert.ok(!l.inPiece(2, 1, 3));
});

test('pieces across file boundaries, with empty and padding files', () => {
  const l = new PieceLayout(
    [
      { path: ['t', 'a'], length: 3 },
      { path: ['t', 'empty'], length: 0 },
      { path: ['t', '.pad', '2'], length: 2, pad: true },
      { path: ['t', 'b'], length: 7 },
    ],
    4,
  );
  assert.equal(l.totalLength, 12);
  assert.equal(l.pieceCount, 3);
  assert.deepEqual(l.spans(0), [
    { file: 0, fileOffset: 0, length: 3, rangeOffset: 0 },
    { file: 2, fileOffset: 0, length: 1, rangeOffset: 3 },
  ]);
  assert.deepEqual(l.spans(1), [
    { file: 2, fileOffset: 1, length: 1, rangeOffset: 0 },
    { file: 3, fileOffset: 0, length: 3, rangeOffset: 1 },
  ]);
  assert.deepEqual(l.spans(2, 1, 2), [{ file: 3, fileOffset: 4, length: 2, rangeOffset: 0 }]);
  assert.equal(l.filePieces(1), undefined);
  assert.deepEqual(l.filePieces(3), { first: 1, last: 2 });
});

test('offsets past 4 GiB stay exact', () => {
  const big = 5 * 2 ** 30 + 123;
  const l = new PieceLayout([{ path: ['x'], length: big }, { path: ['y'], length: 10 }], 2 ** 20);
  const last = l.pieceCount - 1;
  assert.equal(l.pieceOffset(last), last * 2 ** 20);
  const s = l.spans(last);
  assert.equal(s.at(-1)!.file, 1);
  assert.equal(s[0]!.fileOffset, last * 2 ** 20);
});

test('empty torrent has no pieces', () => {
  const l = new PieceLayout([{ path: ['e'], length: 0 }], 16);
  assert.equal(l.pieceCount, 0);
  assert.throws(() => l.pieceSize(0), RangeError);
});

test('property: spans of every piece tile the piece exactly and in file order', () => {
  fc.assert(
    fc.property(
      fc.array(fc.record({ length: fc.nat(50), pad: fc.boolean() }), { minLength: 1, maxLength: 8 }),
      fc.integer({ min: 1, max: 17 }),
      (files, pieceLength) => {
        const l = new PieceLayout(files.map((f, i) => ({ path: [String(i)], ...f })), pieceLength, 4);
        let covered = 0;
        for (let p = 0; p < l.pieceCount; p++) {
          let at = 0;
          for (const s of l.spans(p)) {
            assert.equal(s.rangeOffset, at);
            const f = l.files[s.file]!;
            assert.equal(f.offset + s.fileOffset, l.pieceOffset(p) + at);
            assert.ok(s.fileOffset + s.length <= f.length);
            assert.ok(s.length > 0);
            at += s.length;
          }
          assert.equal(at, l.pieceSize(p));
          let blocks = 0;
          for (let b = 0; b < l.blockCount(p); b++) blocks += l.blockSize(p, b);
          assert.equal(blocks, l.pieceSize(p));
          covered += at;
        }
        assert.equal(covered, l.totalLength);
      },
    ),
    { numRuns: 300 },
  );
});

test('property: fileHolding names the one file of a one-span range, else -1', () => {
  fc.assert(
    fc.property(
      fc.array(fc.nat(30), { minLength: 1, maxLength: 6 }),
      fc.nat(200),
      fc.nat(40),
      (lengths, offset, length) => {
        const l = new PieceLayout(lengths.map((n, i) => ({ path: [String(i)], length: n })), 7, 4);
        const spans = offset + length <= l.totalLength ? l.spansAt(offset, length) : [];
        const expected = length > 0 && spans.length === 1 ? spans[0]!.file : -1;
        assert.equal(l.fileHolding(offset, length), expected);
      },
    ),
    { numRuns: 500 },
  );
});
