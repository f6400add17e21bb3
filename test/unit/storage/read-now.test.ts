import assert from 'node:assert/strict';
import { truncateSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { PieceStorage, type PieceStorageOptions } from '../../../src/storage/storage.js';
import { tempDir } from '../../helpers/tmp.js';
import { TestBackend } from './backends.js';
import { pieceOf, sampleLayout, torrentBytes } from './data.js';

/**
 * readNow(): a block read on the calling thread into a caller's buffer, or false when it
 * would have to wait or cannot be read that way. A true must always mean the right bytes.
 */

/** A storage of sampleLayout() with every piece written. */
async function written(t: TestContext, opts: Partial<PieceStorageOptions> = {}) {
  const root = tempDir(t);
  const layout = sampleLayout();
  const data = torrentBytes(layout);
  const st = new PieceStorage({ root, layout, ...opts });
  t.after(() => st.close());
  for (let i = 0; i < layout.pieceCount; i++) await st.writePiece(i, pieceOf(layout, data, i));
  return { root, layout, data, st };
}

test('every range of every piece reads right, at any offset of the buffer; padding as zeros', async (t) => {
  const { layout, data, st } = await written(t);
  // the files are open now (the writes opened them)
  const into = Buffer.alloc(64, 0xee);
  for (let i = 0; i < layout.pieceCount; i++) {
    const size = layout.pieceSize(i);
    for (let begin = 0; begin < size; begin++) {
      for (let len = 1; begin + len <= size; len++) {
        into.fill(0xee);
        assert.equal(st.readNow(i, begin, len, into, 5), true, `piece ${i} ${begin}+${len}`);
        const at = layout.pieceOffset(i) + begin;
        assert.deepEqual(into.subarray(5, 5 + len), data.subarray(at, at + len));
        assert.equal(into[4], 0xee);
        assert.equal(into[5 + len], 0xee, 'nothing written past the block');
      }
    }
  }
});

test('false for out-of-range blocks and a buffer too small', async (t) => {
  const { st } = await written(t);
  const into = Buffer.alloc(16);
  assert.equal(st.readNow(0, 4, 5, into, 0), false);
  assert.equal(st.readNow(5, 0, 1, into, 0), false);
  assert.equal(st.readNow(0, 0, 8, into, 9), false);
});

test('false until a file is open; false once the storage is closed', async (t) => {
  const { root, layout, data } = await written(t);
  const st = new PieceStorage({ root, layout });
  const into = Buffer.alloc(8);
  assert.equal(st.readNow(0, 0, 8, into, 0), false, 'a file not opened yet would wait for the open');
  assert.deepEqual(await st.read(0, 0, 8), pieceOf(layout, data, 0));
  assert.equal(st.readNow(0, 0, 8, into, 0), true);
  await st.close();
  assert.equal(st.readNow(0, 0, 8, into, 0), false);
});

test('false for bytes in the part file, and for a backend that only reads asynchronously', async (t) => {
  const selected = (i: number) => i !== 3;
  const { layout, data, st } = await written(t, { selected, infoHashHex: 'cd'.repeat(20) });
  const into = Buffer.alloc(8);
  // piece 4 is shared by b.bin (unselected: in the part file) and c.bin
  assert.deepEqual(await st.readPiece(4), pieceOf(layout, data, 4));
  assert.equal(st.readNow(4, 0, layout.pieceSize(4), into, 0), false);

  const other = await written(t, { backend: new TestBackend() });
  await other.st.read(0, 0, 8);
  assert.equal(other.st.readNow(0, 0, 8, into, 0), false);
});

test('a file shorter on disk than the torrent says: false, and read() reports it', async (t) => {
  const { root, layout, st } = await written(t);
  const into = Buffer.alloc(8);
  const last = layout.pieceCount - 1;
  assert.equal(st.readNow(last, 0, layout.pieceSize(last), into, 0), true);
  truncateSync(join(root, layout.files.at(-1)!.path.join('/')), 1);
  assert.equal(st.readNow(last, 0, layout.pieceSize(last), into, 0), false);
  await assert.rejects(st.read(last, 0, layout.pieceSize(last)));
});
