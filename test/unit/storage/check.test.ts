import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { existsSync, openSync, closeSync, readSync, statSync, truncateSync, unlinkSync, utimesSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { checkExisting, type CheckOptions } from '../../../src/storage/check.js';
import type { HashSource } from '../../../src/hash/piece-hasher.js';
import { hashPieces } from '../../../src/hash/piece-hasher.js';
import { type LoadedResume, loadResume, saveResume } from '../../../src/storage/resume.js';
import { PieceStorage } from '../../../src/storage/storage.js';
import { StorageError } from '../../../src/util/errors.js';
import { tempDir } from '../../helpers/tmp.js';
import { pieceHashes, pieceOf, sampleLayout, torrentBytes } from './data.js';

const IH = 'aa'.repeat(20);

/** A plain, single-threaded stand-in for hashPieces (same contract), counting what it hashed. */
function countingHasher() {
  const asked: number[] = [];
  const hash = async (opts: { sources: HashSource[]; pieceLength: number; pieces?: number[]; onProgress?: (b: number) => void }) => {
    const total = opts.sources.reduce((s, x) => s + x.length, 0);
    const count = Math.ceil(total / opts.pieceLength);
    const pieces = opts.pieces ?? Array.from({ length: count }, (_, i) => i);
    let done = 0;
    return pieces.map((p) => {
      asked.push(p);
      const start = p * opts.pieceLength;
      const len = Math.min(opts.pieceLength, total - start);
      const buf = Buffer.alloc(len);
      let at = 0;
      for (const s of opts.sources) {
        const lo = Math.max(start, at);
        const hi = Math.min(start + len, at + s.length);
        if (lo < hi && s.path !== null) {
          if (!existsSync(s.path) || statSync(s.path).size < hi - at) return null;
          const fd = openSync(s.path, 'r');
          readSync(fd, buf, lo - start, hi - lo, lo - at);
          closeSync(fd);
        }
        at += s.length;
      }
      done += len;
      opts.onProgress?.(done);
      return createHash('sha1').update(buf).digest();
    });
  };
  return { asked, hash: hash as unknown as typeof hashPieces };
}

async function setup(root: string, pieces = [0, 1, 2, 3, 4], selected?: (i: number) => boolean) {
  const layout = sampleLayout();
  const data = torrentBytes(layout);
  const st = new PieceStorage({ root, layout, selected, infoHashHex: IH });
  for (const i of pieces) await st.writePiece(i, pieceOf(layout, data, i));
  await st.flush();
  await st.close();
  for (const f of layout.files) {
    const p = join(root, ...f.path);
    if (existsSync(p)) utimesSync(p, PINNED, PINNED);
  }
  const have = Array.from({ length: layout.pieceCount }, (_, i) => pieces.includes(i));
  const base: CheckOptions = { root, layout, pieceHashes: pieceHashes(layout, data), selected, infoHashHex: IH };
  return { layout, data, have, base };
}

async function saved(root: string, have: boolean[]): Promise<LoadedResume> {
  const layout = sampleLayout();
  await saveResume(root, { infoHashHex: IH, layout, have });
  const r = await loadResume(root, IH, layout);
  assert.ok(!('ignored' in r));
  return r;
}

/** Whole milliseconds, so utimes (which takes a Date) can put it back exactly. */
const PINNED = new Date('2024-05-01T12:00:00.123Z');

/** Change bytes in place without changing size or mtime: only a full recheck can notice. */
function corruptQuietly(path: string, at: number): void {
  const fd = openSync(path, 'r+');
  const b = Buffer.alloc(1);
  readSync(fd, b, 0, 1, at);
  b[0]! ^= 0x5a;
  writeSync(fd, b, 0, 1, at);
  closeSync(fd);
  utimesSync(path, PINNED, PINNED);
}

test('without a resume file every piece on disk is hashed', async (t) => {
  const root = tempDir(t);
  const { base } = await setup(root);
  const h = countingHasher();
  let progress = 0;
  const r = await checkExisting({ ...base, hash: h.hash, onProgress: (b) => (progress = b) });
  assert.deepEqual(r.have, [true, true, true, true, true]);
  assert.deepEqual({ trusted: r.trusted, verified: r.verified, hashed: r.hashed, missing: r.missingFiles }, { trusted: 0, verified: 5, hashed: 5, missing: 1 });
  assert.deepEqual(h.asked, [0, 1, 2, 3, 4]);
  assert.equal(progress, 40);
});

test('with a matching resume file nothing is hashed', async (t) => {
  const root = tempDir(t);
  const { base, have } = await setup(root, [0, 2, 3]);
  const resume = await saved(root, have);
  const h = countingHasher();
  const r = await checkExisting({ ...base, resume, hash: h.hash });
  assert.deepEqual(r.have, have);
  assert.equal(r.trusted, 3);
  assert.equal(r.hashed, 0);
  assert.deepEqual(h.asked, []);
});

test('a file whose mtime or size changed is untrusted: its pieces are hashed again, the rest trusted', async (t) => {
  const root = tempDir(t);
  const { base, have } = await setup(root);
  const resume = await saved(root, have);
  // b.bin (pieces 2-4) changed under us: a byte flipped, and the mtime moved.
  const b = join(root, 't/sub/b.bin');
  corruptQuietly(b, 9);
  utimesSync(b, new Date(), new Date(Date.now() + 5000));
  const h = countingHasher();
  const r = await checkExisting({ ...base, resume, hash: h.hash });
  assert.deepEqual(h.asked, [2, 3, 4]);
  assert.deepEqual(r.have, [true, true, true, false, true]);
  assert.equal(r.trusted, 2);
  assert.equal(r.verified, 2);
  assert.equal(r.untrustedFiles, 1);

  // Size change, same mtime: untrusted too. c.bin grown: piece 4 is hashed again (and fine).
  const c = join(root, 't/c.bin');
  truncateSync(c, 9);
  utimesSync(c, PINNED, PINNED);
  const h2 = countingHasher();
  const r2 = await checkExisting({ ...base, resume, hash: h2.hash });
  assert.deepEqual(h2.asked, [2, 3, 4]);
  assert.equal(r2.have[4], true);
  assert.equal(r2.untrustedFiles, 2);
  // Cut short: piece 4 cannot be had, and is not worth hashing.
  truncateSync(c, 3);
  const h3 = countingHasher();
  const r3 = await checkExisting({ ...base, resume, hash: h3.hash });
  assert.equal(r3.have[4], false);
  assert.deepEqual(h3.asked, [2, 3]);
});

test('recheck ignores the resume file and finds quiet corruption', async (t) => {
  const root = tempDir(t);
  const { base, have } = await setup(root);
  const resume = await saved(root, have);
  corruptQuietly(join(root, 't/a.bin'), 1);
  const trusting = await checkExisting({ ...base, resume, hash: countingHasher().hash });
  assert.deepEqual(trusting.have, [true, true, true, true, true], 'size and mtime match, so the resume file is believed');
  const h = countingHasher();
  const r = await checkExisting({ ...base, resume, recheck: true, hash: h.hash });
  assert.deepEqual(r.have, [false, true, true, true, true]);
  assert.equal(r.trusted, 0);
  assert.deepEqual(h.asked, [0, 1, 2, 3, 4]);
});

test('a resume file saying a piece is missing is believed while the file is unchanged', async (t) => {
  const root = tempDir(t);
  const { base, have } = await setup(root);
  const fewer = have.map((_, i) => i !== 0);
  const resume = await saved(root, fewer);
  const h = countingHasher();
  const r = await checkExisting({ ...base, resume, hash: h.hash });
  assert.deepEqual(r.have, fewer);
  assert.deepEqual(h.asked, []);
});

test('missing files: their pieces are not had and not hashed', async (t) => {
  const root = tempDir(t);
  const { base, have } = await setup(root);
  const resume = await saved(root, have);
  unlinkSync(join(root, 't/sub/b.bin'));
  const h = countingHasher();
  const r = await checkExisting({ ...base, resume, hash: h.hash });
  assert.deepEqual(r.have, [true, true, false, false, false]);
  assert.equal(r.missingFiles, 2, 'b.bin and the 0-byte file');
  assert.deepEqual(h.asked, []);
  const empty = await checkExisting({ ...base, root: join(root, 'nowhere'), hash: h.hash });
  assert.deepEqual(empty.have, [false, false, false, false, false]);
  assert.equal(empty.missingFiles, 4);
  assert.ok(!existsSync(join(root, 'nowhere')), 'checking creates nothing');
});

test('pieces shared with an unselected file are verified through the part file', async (t) => {
  const root = tempDir(t);
  const selected = (i: number) => i !== 3; // b.bin unselected; piece 4 is shared by b and c
  const { base, have } = await setup(root, [0, 1, 4], selected);
  const h = countingHasher();
  const r = await checkExisting({ ...base, hash: h.hash });
  assert.deepEqual(r.have, have);
  assert.deepEqual(h.asked, [0, 1], 'piece 4 read through the storage, not by path');
  assert.equal(r.verified, 3);
  const resume = await saved(root, have);
  const r2 = await checkExisting({ ...base, resume, hash: h.hash });
  assert.deepEqual(r2.have, have);
  assert.equal(r2.trusted, 2);
  // The c.bin half of piece 4 damaged: the piece is no longer had.
  corruptQuietly(join(root, 't/c.bin'), 0);
  const r3 = await checkExisting({ ...base, resume, recheck: true, hash: h.hash });
  assert.deepEqual(r3.have, [true, true, false, false, false]);
});

test('abort and bad input', async (t) => {
  const root = tempDir(t);
  const { base } = await setup(root);
  const ac = new AbortController();
  ac.abort(new Error('stop'));
  await assert.rejects(checkExisting({ ...base, signal: ac.signal, hash: countingHasher().hash }), /stop/);
  await assert.rejects(checkExisting({ ...base, pieceHashes: Buffer.alloc(19) }), (e: unknown) => e instanceof StorageError && e.code === 'BAD_HASHES');
});

test('with the real threaded hasher', async (t) => {
  const root = tempDir(t);
  const { base, have } = await setup(root);
  corruptQuietly(join(root, 't/sub/b.bin'), 12);
  const r = await checkExisting({ ...base, threads: 2 });
  assert.deepEqual(r.have, [true, true, true, false, true]);
  assert.equal(r.verified, 4);
  const resume = await saved(root, have);
  const again = await checkExisting({ ...base, resume, threads: 2 });
  assert.equal(again.trusted, 5);
  assert.equal(again.hashed, 0);
  // Fully real: a partly written file with no resume file.
  const root2 = tempDir(t);
  const s2 = await setup(root2, [0, 3]);
  const r2 = await checkExisting({ ...s2.base, threads: 1 });
  assert.deepEqual(r2.have, s2.have);
});
