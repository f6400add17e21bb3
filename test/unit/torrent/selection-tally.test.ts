import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PieceLayout } from '../../../src/metainfo/layout.js';
import { SelectionTally } from '../../../src/torrent/torrent-stats.js';
import { Bitfield } from '../../../src/wire/bitfield.js';

/** stats() reads the selection's progress from a tally kept as pieces arrive. */

test('counts the selected pieces and bytes had; a piece counts once; unselected ones only set the bit', () => {
  // 5 pieces of 10 bytes and a last one of 3
  const layout = new PieceLayout([{ path: ['f'], length: 53 }], 10);
  const wanted = Uint8Array.from([1, 1, 0, 0, 1, 1]);
  const have = new Bitfield(layout.pieceCount);
  const t = new SelectionTally(layout, wanted, have);
  assert.deepEqual([t.totalBytes, t.piecesTotal, t.doneBytes, t.piecesDone], [33, 4, 0, 0]);
  t.add(5);
  t.add(5);
  t.add(2);
  t.add(0);
  assert.deepEqual([t.doneBytes, t.piecesDone], [13, 2]);
  assert.deepEqual([0, 1, 2, 3, 4, 5].map((i) => have.has(i)), [true, false, true, false, false, true]);
});
