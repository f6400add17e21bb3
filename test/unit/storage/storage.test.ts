import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { PieceLayout } from '../../../src/metainfo/layout.js';
import { PieceStorage } from '../../../src/storage/storage.js';
import { StorageError } from '../../../src/util/errors.js';
import { tempDir } from '../../helpers/tmp.js';
import { TestBackend } from './backends.js';
import { fileOf, pieceOf, sampleLayout, torrentBytes } from './data.js';

test('multi-file: pieces across boundaries land in the right files; padding never on disk', async (t) => {
  const root = tempDir(t);
  const layout = sampleLayout();
  const data = torrentBytes(layout);
  const st = new PieceStorage({ root, layout });
  t.after(() => st.close());
  // Out of order, as a swarm delivers them.
  for (const i of [3, 0, 4, 2, 1]) await st.writePiece(i, pieceOf(layout, data, i));
  assert.deepEqual(readFileSync(join(root, 't/a.bin')), fileOf(layout, data, 0));
  assert.deepEqual(readFileSync(join(root, 't/sub/b.bin')), fileOf(layout, data, 3));
  assert.deepEqual(readFileSync(join(root, 't/c.bin')), fileOf(layout, data, 4));
  assert.ok(!existsSync(join(root, 't/.pad')), 'padding folder must not exist');
  // No spans, so no write: the 0-byte file only appears with ensureFiles.
  assert.ok(!existsSync(join(root, 't/sub/empty')));
  await st.ensureFiles();
  assert.equal(statSync(join(root, 't/sub/empty')).size, 0);
  assert.ok(!existsSync(join(root, 't/.pad')));
  assert.ok(!existsSync(join(root, '.swarm')), 'no part file when every file is selected');
});

test('read returns what was written, any range, padding as zeros', async (t) => {
  const root = tempDir(t);
  const layout = sampleLayout();
  const data = torrentBytes(layout);
  const st = new PieceStorage({ root, layout });
  t.after(() => st.close());
  for (let i = 0; i < layout.pieceCount; i++) await st.writePiece(i, pieceOf(layout, data, i));
  for (let i = 0; i < layout.pieceCount; i++) {
    const size = layout.pieceSize(i);
    for (let begin = 0; begin < size; begin++) {
      for (let len = 1; begin + len <= size; len++) {
        const at = layout.pieceOffset(i) + begin;
        assert.deepEqual(await st.read(i, begin, len), data.subarray(at, at + len), `piece ${i} ${begin}+${len}`);
      }
    }
  }
  // Piece 1 ends in padding: those bytes are zeros without any file.
  assert.deepEqual((await st.readPiece(1)).subarray(2), Buffer.alloc(6));
  await assert.rejects(st.read(0, 4, 5), RangeError);
  await assert.rejects(st.read(5, 0, 1), RangeError);
  await assert.rejects(st.writePiece(0, Buffer.alloc(7)), RangeError);
});

test('ensureFiles gives selected files their sizes, sparse, and cuts files that are too long', async (t) => {
  const root = tempDir(t);
  const layout = sampleLayout();
  mkdirSync(join(root, 't'), { recursive: true });
  writeFileSync(join(root, 't/c.bin'), Buffer.alloc(50, 1));
  const st = new PieceStorage({ root, layout, selected: (i) => i !== 0 });
  t.after(() => st.close());
  await st.ensureFiles();
  assert.equal(statSync(join(root, 't/sub/b.bin')).size, 19);
  assert.equal(statSync(join(root, 't/c.bin')).size, 5);
  assert.ok(!existsSync(join(root, 't/a.bin')), 'unselected file not created');
  assert.deepEqual(await st.read(2, 0, 8), Buffer.alloc(8), 'a preallocated file reads as zeros');
});

test('unselected files are never created; shared pieces live in the part file and read back', async (t) => {
  const root = tempDir(t);
  const layout = sampleLayout();
  const data = torrentBytes(layout);
  // b.bin (file 3) unselected: pieces 2, 3 are all b; piece 4 is shared by b and c.
  const selected = (i: number) => i !== 3;
  const st = new PieceStorage({ root, layout, selected, infoHashHex: 'ab'.repeat(20) });
  for (const i of [0, 1, 4]) await st.writePiece(i, pieceOf(layout, data, i));
  await st.ensureFiles();
  assert.ok(!existsSync(join(root, 't/sub/b.bin')), 'unselected file must not exist');
  assert.deepEqual(readFileSync(join(root, 't/c.bin')), fileOf(layout, data, 4));
  assert.ok(existsSync(join(root, '.swarm', `${'ab'.repeat(20)}.parts`)));
  assert.deepEqual(await st.readPiece(4), pieceOf(layout, data, 4));
  await assert.rejects(st.read(2, 0, 8), (e: unknown) => e instanceof StorageError && e.code === 'NOT_STORED');
  await st.close();

  // A later run finds the shared bytes again.
  const again = new PieceStorage({ root, layout, selected, infoHashHex: 'ab'.repeat(20) });
  t.after(() => again.close());
  assert.deepEqual(await again.readPiece(4), pieceOf(layout, data, 4));
  assert.deepEqual(await again.partFile.pieces(), [4]);
  // Rewriting a stored piece reuses its slot; a new one takes the next.
  const before = statSync(join(root, '.swarm', `${'ab'.repeat(20)}.parts`)).size;
  await again.writePiece(4, pieceOf(layout, data, 4));
  assert.equal(statSync(join(root, '.swarm', `${'ab'.repeat(20)}.parts`)).size, before);
  await again.writePiece(3, pieceOf(layout, data, 3));
  assert.deepEqual(await again.partFile.pieces(), [3, 4]);
  assert.deepEqual(await again.readPiece(3), pieceOf(layout, data, 3));
  assert.ok(!existsSync(join(root, 't/sub/b.bin')));
});

test('a part file of another torrent (other piece length) is not read as ours', async (t) => {
  const root = tempDir(t);
  const layout = sampleLayout();
  const data = torrentBytes(layout);
  const selected = (i: number) => i !== 3;
  const other = new PieceLayout(layout.files.map((f) => ({ path: f.path, length: f.length, pad: f.pad })), 4);
  const first = new PieceStorage({ root, layout: other, selected, infoHashHex: 'cd'.repeat(20) });
  await first.writePiece(8, torrentBytes(other, 7).subarray(32, 36));
  await first.close();
  const st = new PieceStorage({ root, layout, selected, infoHashHex: 'cd'.repeat(20) });
  t.after(() => st.close());
  assert.deepEqual(await st.partFile.pieces(), []);
  await st.writePiece(4, pieceOf(layout, data, 4));
  assert.deepEqual(await st.readPiece(4), pieceOf(layout, data, 4));
});

test('the handle pool never exceeds its cap, with many files and concurrent I/O', async (t) => {
  const root = tempDir(t);
  const n = 40;
  const layout = new PieceLayout(
    Array.from({ length: n }, (_, i) => ({ path: ['many', `f${i}`], length: 3 + (i % 5) })),
    7,
  );
  const data = torrentBytes(layout, 3);
  const backend = new TestBackend();
  backend.writeDelayMs = 1;
  const st = new PieceStorage({ root, layout, backend, maxOpenFiles: 4 });
  const all = Array.from({ length: layout.pieceCount }, (_, i) => i);
  await Promise.all(all.map((i) => st.writePiece(i, pieceOf(layout, data, i))));
  const reads = await Promise.all(all.map((i) => st.readPiece(i)));
  reads.forEach((b, i) => assert.deepEqual(b, pieceOf(layout, data, i)));
  for (let i = 0; i < n; i++) assert.deepEqual(readFileSync(join(root, 'many', `f${i}`)), fileOf(layout, data, i));
  assert.ok(backend.maxOpenNow <= 4, `at most 4 open at once, saw ${backend.maxOpenNow}`);
  assert.ok(backend.opens >= n, 'every file was opened');
  assert.ok(st.pool.openCount <= 4);
  await st.close();
  assert.equal(backend.openNow, 0, 'close closes everything');
  assert.equal(backend.closes, backend.opens);
});

test('handles are reused: one open per file across many reads and writes', async (t) => {
  const root = tempDir(t);
  const layout = new PieceLayout([{ path: ['one.bin'], length: 64 }], 8);
  const data = torrentBytes(layout);
  const backend = new TestBackend();
  const st = new PieceStorage({ root, layout, backend });
  t.after(() => st.close());
  for (let i = 0; i < 8; i++) await st.writePiece(i, pieceOf(layout, data, i));
  for (let i = 0; i < 8; i++) assert.deepEqual(await st.readPiece(i), pieceOf(layout, data, i));
  assert.equal(backend.opens, 1);
});

test('a read-only handle is reopened read-write when a write comes', async (t) => {
  const root = tempDir(t);
  const layout = new PieceLayout([{ path: ['ro.bin'], length: 16 }], 8);
  const data = torrentBytes(layout);
  writeFileSync(join(root, 'ro.bin'), Buffer.concat([pieceOf(layout, data, 0), Buffer.alloc(8)]));
  const backend = new TestBackend();
  const st = new PieceStorage({ root, layout, backend });
  t.after(() => st.close());
  assert.deepEqual(await st.readPiece(0), pieceOf(layout, data, 0));
  await st.writePiece(1, pieceOf(layout, data, 1));
  assert.deepEqual(readFileSync(join(root, 'ro.bin')), data);
  assert.deepEqual(
    backend.openedPaths.map((o) => o.mode),
    ['read', 'readwrite'],
  );
});

test('seeding read-only data: reads never create or open for writing', async (t) => {
  const root = tempDir(t);
  const layout = sampleLayout();
  const backend = new TestBackend();
  const st = new PieceStorage({ root, layout, backend });
  t.after(() => st.close());
  await assert.rejects(st.readPiece(0), (e: unknown) => {
    assert.ok(e instanceof StorageError);
    assert.equal(e.code, 'ENOENT');
    assert.match(e.message, /missing file ".*t\/a\.bin"/);
    return true;
  });
  assert.deepEqual(readdirSync(root), []);
  assert.ok(backend.openedPaths.every((o) => o.mode === 'read'));
});

/** Three files f1..f3 of one 8-byte piece each, stored with at most `maxOpenFiles` open. */
function threeFiles(t: TestContext, maxOpenFiles: number) {
  const layout = new PieceLayout([1, 2, 3].map((i) => ({ path: [`f${i}`], length: 8 })), 8);
  const data = torrentBytes(layout);
  const backend = new TestBackend();
  const st = new PieceStorage({ root: tempDir(t), layout, backend, maxOpenFiles });
  t.after(() => st.close());
  return { st, backend, piece: (i: number) => pieceOf(layout, data, i) };
}

test('flush fsyncs files written, including ones whose handle was evicted', async (t) => {
  const { st, backend, piece } = threeFiles(t, 1);
  for (let i = 0; i < 3; i++) await st.writePiece(i, piece(i));
  await st.flush();
  assert.equal(backend.syncs, 3);
  await st.flush();
  assert.equal(backend.syncs, 3, 'nothing new to sync');
  assert.ok(backend.maxOpenNow <= 1);
});

test('the file used least recently is the one closed to open another', async (t) => {
  const { st, backend, piece } = threeFiles(t, 2);
  // f1, f2, then f1 again (twice: the second finds it the newest already), then f3
  for (const i of [0, 1, 0, 0, 2]) await st.writePiece(i, piece(i));
  // f2 was the least recent: f3 took its place, f1 stayed open
  assert.deepEqual(await st.readPiece(0), piece(0));
  assert.deepEqual(await st.readPiece(1), piece(1));
  const names = backend.openedPaths.map((o) => o.path.split('/').pop());
  assert.deepEqual(names, ['f1', 'f2', 'f3', 'f2']);
  assert.ok(backend.maxOpenNow <= 2);
});

test('files past 4 GiB: positioned writes and reads at offsets above 2^32', async (t) => {
  const root = tempDir(t);
  const big = 5 * 2 ** 30 + 5;
  const layout = new PieceLayout([{ path: ['big', 'huge.bin'], length: big }, { path: ['big', 'tail'], length: 11 }], 2 ** 20);
  const last = layout.pieceCount - 1;
  const piece = torrentBytes(new PieceLayout([{ path: ['x'], length: layout.pieceSize(last) }], 2 ** 20), 9);
  const st = new PieceStorage({ root, layout });
  t.after(() => st.close());
  await st.writePiece(last, piece);
  assert.equal(statSync(join(root, 'big/huge.bin')).size, big);
  assert.deepEqual(await st.readPiece(last), piece);
  assert.deepEqual(readFileSync(join(root, 'big/tail')), piece.subarray(piece.length - 11));
});
