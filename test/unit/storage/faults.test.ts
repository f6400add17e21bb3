import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { PieceStorage } from '../../../src/storage/storage.js';
import { WriteQueue } from '../../../src/storage/write-queue.js';
import { StorageError } from '../../../src/util/errors.js';
import { tempDir } from '../../helpers/tmp.js';
import { TestBackend } from './backends.js';
import { pieceOf, sampleLayout, torrentBytes } from './data.js';

/** Push every piece through a queue in order; collect what was written and the error. */
async function download(st: PieceStorage, data: Buffer) {
  const written: number[] = [];
  const errors: StorageError[] = [];
  const q = new WriteQueue({ write: (i, d) => st.writePiece(i, d), concurrency: 1, onWritten: (i) => written.push(i), onError: (e) => errors.push(e) });
  for (let i = 0; i < st.layout.pieceCount; i++) q.push(i, pieceOf(st.layout, data, i));
  const drained = await q.drain().then(
    () => undefined,
    (e: unknown) => e,
  );
  let refused: unknown;
  try {
    q.push(0, pieceOf(st.layout, data, 0));
  } catch (err) {
    refused = err;
  }
  return { written, errors, refused, drained };
}

async function assertIntact(root: string, pieces: number[], data: Buffer) {
  const layout = sampleLayout();
  const st = new PieceStorage({ root, layout });
  try {
    for (const i of pieces) assert.deepEqual(await st.readPiece(i), pieceOf(layout, data, i), `piece ${i} intact`);
  } finally {
    await st.close();
  }
}

test('disk full mid-download: a clear error naming the file, earlier pieces intact, the queue fails fast', async (t) => {
  const root = tempDir(t);
  const layout = sampleLayout();
  const data = torrentBytes(layout);
  const backend = new TestBackend();
  // Pieces 0-2 take 8 + 2 + 8 = 18 bytes on disk (piece 1 ends in padding); piece 3 hits the wall.
  backend.diskBytes = 20;
  const st = new PieceStorage({ root, layout, backend });
  t.after(() => st.close());
  const r = await download(st, data);
  assert.deepEqual(r.written, [0, 1, 2]);
  assert.equal(r.errors.length, 1);
  const err = r.errors[0]!;
  assert.ok(err instanceof StorageError);
  assert.equal(err.code, 'ENOSPC');
  assert.equal(err.message, `disk full writing "${join(root, 't', 'sub', 'b.bin')}"`);
  assert.equal(r.refused, err, 'the push after the failure threw the same error');
  assert.equal(r.drained, err);
  await assertIntact(root, [0, 1, 2], data);
});

test('permission denied opening a file: error names it; other files intact', async (t) => {
  const root = tempDir(t);
  const layout = sampleLayout();
  const data = torrentBytes(layout);
  const backend = new TestBackend();
  backend.refuseOpen = (path) => (path.endsWith('c.bin') ? 'EACCES' : undefined);
  const st = new PieceStorage({ root, layout, backend });
  t.after(() => st.close());
  const r = await download(st, data);
  assert.deepEqual(r.written, [0, 1, 2, 3]);
  const err = r.errors[0]!;
  assert.equal(err.code, 'EACCES');
  assert.equal(err.message, `permission denied opening for writing "${join(root, 't', 'c.bin')}"`);
  assert.equal(r.drained, err);
  await assertIntact(root, [0, 1, 2, 3], data);
});

test('EIO and unknown errors keep their code and name the file', async (t) => {
  const root = tempDir(t);
  const layout = sampleLayout();
  const backend = new TestBackend();
  backend.refuseOpen = (path) => (path.endsWith('a.bin') ? 'EIO' : path.endsWith('c.bin') ? 'EWEIRD' : undefined);
  const st = new PieceStorage({ root, layout, backend });
  t.after(() => st.close());
  await assert.rejects(st.writePiece(0, Buffer.alloc(8)), (e: unknown) => {
    return e instanceof StorageError && e.code === 'EIO' && e.message === `I/O error opening for writing "${join(root, 't', 'a.bin')}"`;
  });
  await assert.rejects(st.writePiece(4, Buffer.alloc(8)), (e: unknown) => {
    return e instanceof StorageError && e.code === 'EWEIRD' && e.message.includes(join(root, 't', 'c.bin')) && e.message.includes('EWEIRD');
  });
});

test('close with writes in flight: they finish, then every handle closes; later I/O fails', async (t) => {
  const root = tempDir(t);
  const layout = sampleLayout();
  const data = torrentBytes(layout);
  const backend = new TestBackend();
  backend.writeDelayMs = 30;
  const st = new PieceStorage({ root, layout, backend, maxOpenFiles: 2 });
  const writes = [0, 2, 4].map((i) => st.writePiece(i, pieceOf(layout, data, i)));
  await new Promise((r) => setTimeout(r, 5));
  const closing = st.close();
  await Promise.all(writes);
  await closing;
  assert.equal(backend.openNow, 0);
  assert.equal(backend.closes, backend.opens);
  assert.ok(backend.maxOpenNow <= 2);
  await assert.rejects(st.writePiece(0, pieceOf(layout, data, 0)), (e: unknown) => e instanceof StorageError && e.code === 'CLOSED');
  await assertIntact(root, [0, 2, 4], data);
  t.diagnostic(`opens ${backend.opens}, most open at once ${backend.maxOpenNow}`);
});

test('slow disk: the queue pauses the caller and resumes it, memory bounded by the high mark', async (t) => {
  const root = tempDir(t);
  const layout = sampleLayout();
  const data = torrentBytes(layout);
  const backend = new TestBackend();
  backend.writeDelayMs = 10;
  const st = new PieceStorage({ root, layout, backend });
  t.after(() => st.close());
  let peak = 0;
  let resumed = 0;
  const q = new WriteQueue({ write: (i, d) => st.writePiece(i, d), highWater: 16, lowWater: 8, concurrency: 1, onLowWater: () => resumed++ });
  let i = 0;
  while (i < layout.pieceCount) {
    if (q.paused) {
      await new Promise((r) => setTimeout(r, 1));
      continue;
    }
    q.push(i, pieceOf(layout, data, i));
    i++;
    peak = Math.max(peak, q.pendingBytes);
  }
  await q.drain();
  assert.ok(peak <= 16, `peak ${peak}`);
  assert.ok(resumed >= 1);
  await assertIntact(root, [0, 1, 2, 3, 4], data);
});
