import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PieceLayout } from '../../../src/metainfo/layout.js';
import { nodeBackend, type FsBackend } from '../../../src/storage/fs-backend.js';
import { PieceStorage } from '../../../src/storage/storage.js';
import { StorageError } from '../../../src/util/errors.js';
import { tempDir } from '../../helpers/tmp.js';
import { TestBackend } from './backends.js';
import { fileOf, pieceOf, sampleLayout, streamBytes, torrentBytes } from './data.js';

/** writeRun: runs of adjacent pieces cost one system call per file they touch. */

const pieces = (layout: PieceLayout, data: Buffer, first: number, count: number) =>
  Array.from({ length: count }, (_, k) => pieceOf(layout, data, first + k));

test('a run of 64 pieces of 16 KiB in one file is one pwritev', async (t) => {
  const root = tempDir(t);
  const layout = new PieceLayout([{ path: ['big.bin'], length: 64 * 16384 }], 16384);
  const data = streamBytes(layout.totalLength);
  const backend = new TestBackend();
  const st = new PieceStorage({ root, layout, backend });
  t.after(() => st.close());
  await st.writeRun(0, pieces(layout, data, 0, 64));
  assert.equal(backend.writevCalls, 1);
  assert.equal(backend.writeCalls, 0);
  assert.deepEqual(readFileSync(join(root, 'big.bin')), data);
});

test('across files, padding and a 0-byte file: one call per file touched, every byte in place', async (t) => {
  const root = tempDir(t);
  const layout = sampleLayout(); // a 0..10, empty 10, pad 10..16, b 16..35, c 35..40; pieces of 8
  const data = torrentBytes(layout);
  const backend = new TestBackend();
  const st = new PieceStorage({ root, layout, backend });
  t.after(() => st.close());
  await st.writeRun(0, pieces(layout, data, 0, layout.pieceCount));
  assert.equal(backend.writevCalls + backend.writeCalls, 3, 'a.bin, b.bin and c.bin once each');
  assert.deepEqual(readFileSync(join(root, 't/a.bin')), fileOf(layout, data, 0));
  assert.deepEqual(readFileSync(join(root, 't/sub/b.bin')), fileOf(layout, data, 3));
  assert.deepEqual(readFileSync(join(root, 't/c.bin')), fileOf(layout, data, 4));
  assert.ok(!existsSync(join(root, 't/.pad')), 'padding never on disk');

  // one piece at a time, the same pieces cost a call per file span
  const one = new TestBackend();
  const st2 = new PieceStorage({ root: tempDir(t), layout, backend: one });
  t.after(() => st2.close());
  for (let i = 0; i < layout.pieceCount; i++) await st2.writePiece(i, pieceOf(layout, data, i));
  assert.equal(one.writevCalls + one.writeCalls, 6);
});

test('a run touching a file that is not selected: those bytes go to the part file, and read back whole', async (t) => {
  const root = tempDir(t);
  const layout = sampleLayout();
  const data = torrentBytes(layout);
  const st = new PieceStorage({ root, layout, selected: (i) => i !== 0 });
  t.after(() => st.close());
  await st.writeRun(0, pieces(layout, data, 0, layout.pieceCount));
  assert.ok(!existsSync(join(root, 't/a.bin')), 'the unselected file is never created');
  for (let i = 0; i < layout.pieceCount; i++) assert.deepEqual(await st.readPiece(i), pieceOf(layout, data, i), `piece ${i}`);
  assert.deepEqual(readFileSync(join(root, 't/sub/b.bin')), fileOf(layout, data, 3));
});

test('a run in the middle, a backend without writev, and short writev calls: the same bytes', async (t) => {
  const layout = new PieceLayout([{ path: ['f'], length: 10 * 1000 + 7 }], 1000);
  const data = streamBytes(layout.totalLength, 3);
  const plain = new TestBackend();
  plain.noWritev = true;
  // at most 999 bytes per writev: every call stops inside a buffer
  const stingy: FsBackend = {
    ...nodeBackend,
    async open(path, mode) {
      const h = await nodeBackend.open(path, mode);
      return {
        ...h,
        read: h.read.bind(h),
        write: h.write.bind(h),
        truncate: h.truncate.bind(h),
        stat: h.stat.bind(h),
        sync: h.sync.bind(h),
        close: h.close.bind(h),
        writev: (bufs, pos) => h.writev!([Buffer.concat(bufs as Buffer[]).subarray(0, 999)], pos),
      };
    },
  };
  for (const backend of [plain, stingy]) {
    const root = tempDir(t);
    const st = new PieceStorage({ root, layout, backend });
    t.after(() => st.close());
    await st.writeRun(3, pieces(layout, data, 3, 8)); // pieces 3..10, the short last one included
    const got = readFileSync(join(root, 'f'));
    assert.deepEqual(got.subarray(3000), data.subarray(3000));
  }
  assert.equal(plain.writevCalls, 0);
  assert.equal(plain.writeCalls, 8, 'one write per piece without writev');
});

test('bad sizes are refused before anything is written; a full disk fails the run with a named error', async (t) => {
  const layout = new PieceLayout([{ path: ['f'], length: 4000 }], 1000);
  const data = streamBytes(4000);
  const backend = new TestBackend();
  const st = new PieceStorage({ root: tempDir(t), layout, backend });
  t.after(() => st.close());
  await assert.rejects(st.writeRun(0, [pieceOf(layout, data, 0), Buffer.alloc(999)]), RangeError);
  await assert.rejects(st.writeRun(3, [pieceOf(layout, data, 3), Buffer.alloc(1000)]), RangeError, 'past the last piece');
  assert.equal(backend.writeCalls + backend.writevCalls, 0);
  backend.diskBytes = 2500;
  await assert.rejects(
    st.writeRun(0, pieces(layout, data, 0, 4)),
    (e: unknown) => e instanceof StorageError && e.code === 'ENOSPC' && /disk full writing ".*f"/.test(e.message),
  );
});

test('readRun: a run of pieces across files, padding and an unselected file, in one read per file', async (t) => {
  const root = tempDir(t);
  const layout = sampleLayout();
  const data = torrentBytes(layout);
  const writer = new PieceStorage({ root, layout, selected: (i) => i !== 4 }); // c.bin into the part file
  t.after(() => writer.close());
  await writer.writeRun(0, pieces(layout, data, 0, layout.pieceCount));
  await writer.close();
  const backend = new TestBackend();
  const st = new PieceStorage({ root, layout, backend, selected: (i) => i !== 4 });
  t.after(() => st.close());
  assert.deepEqual(await st.readPiece(4), pieceOf(layout, data, 4)); // loads the part file's slot map
  backend.readCalls = 0;
  assert.deepEqual(await st.readRun(0, 4), data.subarray(0, 32));
  assert.equal(backend.readCalls, 2, 'a.bin and b.bin, once each');
  backend.readCalls = 0;
  assert.deepEqual(await st.readRun(0, layout.pieceCount), data);
  assert.equal(backend.readCalls, 3, 'a.bin, b.bin, and the part file for the bytes of c.bin');
  assert.deepEqual(await st.readRun(1, 3), data.subarray(8, 32));
  assert.deepEqual(await st.readRun(4, 1), pieceOf(layout, data, 4));
  await assert.rejects(st.readRun(3, 3), RangeError, 'past the last piece');
  await assert.rejects(st.readRun(0, 0), RangeError);
});

test('readRun on a file shorter than the torrent says fails with SHORT_READ, never returns stale bytes', async (t) => {
  const root = tempDir(t);
  const layout = new PieceLayout([{ path: ['f'], length: 4000 }], 1000);
  const st = new PieceStorage({ root, layout });
  t.after(() => st.close());
  await st.writeRun(0, pieces(layout, streamBytes(4000), 0, 2));
  await assert.rejects(st.readRun(0, 4), (e: unknown) => e instanceof StorageError && e.code === 'SHORT_READ');
});
