import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { HASH_BUFFER_BYTES, hashPieces, type HashSource } from '../../../src/hash/piece-hasher.js';
import { StorageError } from '../../../src/util/errors.js';
import { tempDir } from '../../helpers/tmp.js';
import { data } from '../metainfo/build.js';

const sha1 = (b: Buffer): Buffer => createHash('sha1').update(b).digest();

function expected(stream: Buffer, pieceLength: number): Buffer[] {
  const out: Buffer[] = [];
  for (let i = 0; i < stream.length; i += pieceLength) out.push(sha1(stream.subarray(i, i + pieceLength)));
  return out;
}

/** Writes files of the given lengths (null = padding) and returns the sources and the byte stream. */
function layout(dir: string, lengths: Array<number | null>, padLength = 7): { sources: HashSource[]; stream: Buffer } {
  const sources: HashSource[] = [];
  const parts: Buffer[] = [];
  lengths.forEach((n, i) => {
    if (n === null) {
      sources.push({ path: null, length: padLength });
      parts.push(Buffer.alloc(padLength));
      return;
    }
    const path = join(dir, `f${i}`);
    const b = data(n, i + 7);
    writeFileSync(path, b);
    sources.push({ path, length: n });
    parts.push(b);
  });
  return { sources, stream: Buffer.concat(parts) };
}

test('hashes match SHA-1 of the concatenated stream, with padding and empty files, inline and threaded', async (t) => {
  const dir = tempDir(t);
  await fc.assert(
    fc.asyncProperty(
      fc.array(fc.option(fc.integer({ min: 0, max: 5000 }), { nil: null, freq: 4 }), { minLength: 1, maxLength: 8 }),
      fc.integer({ min: 1, max: 4096 }),
      fc.constantFrom(1, 2, 3),
      async (lengths, pieceLength, threads) => {
        const sub = join(dir, String(Math.random()).slice(2));
        mkdirSync(sub);
        const { sources, stream } = layout(sub, lengths);
        fc.pre(stream.length > 0);
        const got = await hashPieces({ sources, pieceLength, threads });
        assert.deepEqual(got, expected(stream, pieceLength));
      },
    ),
    { numRuns: 40 },
  );
});

test('threads: big enough to use workers, and pieces larger than the read buffer', async (t) => {
  const dir = tempDir(t);
  const { sources, stream } = layout(dir, [5_000_000, null, 3_000_001, 0, 2_000_000]);
  for (const pieceLength of [16384, HASH_BUFFER_BYTES * 2 + 3]) {
    let progress = 0;
    const got = await hashPieces({ sources, pieceLength, threads: 2, onProgress: (n) => (progress = n) });
    assert.deepEqual(got, expected(stream, pieceLength));
    assert.equal(progress, stream.length);
  }
});

test('a subset of pieces, in the order asked, duplicates allowed', async (t) => {
  const dir = tempDir(t);
  const { sources, stream } = layout(dir, [9_000_000]);
  const all = expected(stream, 65536);
  const pieces = [137, 3, 4, 5, 3, 0, all.length - 1];
  const got = await hashPieces({ sources, pieceLength: 65536, pieces, threads: 2 });
  assert.deepEqual(got, pieces.map((p) => all[p]));
  await assert.rejects(hashPieces({ sources, pieceLength: 65536, pieces: [all.length] }), RangeError);
  await assert.rejects(hashPieces({ sources, pieceLength: 65536, pieces: [-1] }), RangeError);
});

test('missing and short files give null for exactly the pieces they touch', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a'), data(100));
  writeFileSync(join(dir, 'short'), data(50)); // the torrent says 100
  writeFileSync(join(dir, 'c'), data(100));
  mkdirSync(join(dir, 'adir'));
  const sources: HashSource[] = [
    { path: join(dir, 'a'), length: 100 },
    { path: join(dir, 'short'), length: 100 },
    { path: join(dir, 'c'), length: 100 },
    { path: join(dir, 'gone'), length: 100 },
    { path: join(dir, 'adir'), length: 40 },
    { path: join(dir, 'c'), length: 60 },
  ];
  for (const threads of [1, 2]) {
    const got = await hashPieces({ sources, pieceLength: 40, threads });
    // bytes 150-199 (short) and 300-439 (gone, adir) cannot be read
    const bad = got.map((h, i) => (h === null ? i : -1)).filter((i) => i >= 0);
    assert.deepEqual(bad, [3, 4, 7, 8, 9, 10]);
    assert.ok(got[0]!.equals(sha1(data(100).subarray(0, 40))));
    assert.ok(got[5]!.equals(sha1(data(100).subarray(0, 40)))); // bytes 200-239 are c[0..40)
    assert.ok(got[11]!.equals(sha1(data(100).subarray(0, 40)))); // bytes 440-479: the second c, from 0
    assert.ok(got[12]!.equals(sha1(data(100).subarray(40, 60)))); // the short last piece
  }
});

test('other read errors reject with a StorageError naming the file', async (t) => {
  const dir = tempDir(t);
  const loop = join(dir, 'loop');
  symlinkSync(loop, loop); // opening it fails with ELOOP, which is not "missing"
  await assert.rejects(
    hashPieces({ sources: [{ path: loop, length: 10 }], pieceLength: 4 }),
    (e: unknown) => e instanceof StorageError && e.message.includes(loop),
  );
  const big = join(dir, 'big');
  writeFileSync(big, data(6_000_000));
  await assert.rejects(
    hashPieces({ sources: [{ path: big, length: 6_000_000 }, { path: loop, length: 10 }], pieceLength: 16384, threads: 2 }),
    StorageError,
  );
});

test('an abort rejects with its reason, promptly (after every thread has exited)', async (t) => {
  const dir = tempDir(t);
  const { sources } = layout(dir, [64_000_000]);
  const ac = new AbortController();
  const started = Date.now();
  const p = hashPieces({
    sources,
    pieceLength: 16384,
    threads: 2,
    signal: ac.signal,
    onProgress: (n) => {
      if (n > 4_000_000) ac.abort(new Error('user stop'));
    },
  });
  await assert.rejects(p, /user stop/);
  assert.ok(Date.now() - started < 10_000);
  const pre = new AbortController();
  pre.abort(new Error('before'));
  await assert.rejects(hashPieces({ sources, pieceLength: 16384, signal: pre.signal }), /before/);
});

test('bad arguments are RangeErrors', async () => {
  await assert.rejects(hashPieces({ sources: [{ path: null, length: 1 }], pieceLength: 0 }), RangeError);
  await assert.rejects(hashPieces({ sources: [{ path: null, length: -1 }], pieceLength: 1 }), RangeError);
  assert.deepEqual(await hashPieces({ sources: [], pieceLength: 4 }), []);
});
