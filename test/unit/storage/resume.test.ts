import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PieceLayout } from '../../../src/metainfo/layout.js';
import { decodeResume, encodeResume, loadResume, packBits, resumePath, saveResume } from '../../../src/storage/resume.js';
import { PieceStorage } from '../../../src/storage/storage.js';
import { StorageError } from '../../../src/util/errors.js';
import { tempDir } from '../../helpers/tmp.js';
import { TestBackend } from './backends.js';
import { pieceOf, sampleLayout, streamBytes, torrentBytes } from './data.js';

const IH = '0123456789abcdef0123456789abcdef01234567';
const OTHER = 'f'.repeat(40);

async function downloaded(root: string, pieces: number[]) {
  const layout = sampleLayout();
  const data = torrentBytes(layout);
  const st = new PieceStorage({ root, layout });
  for (const i of pieces) await st.writePiece(i, pieceOf(layout, data, i));
  await st.flush();
  await st.close();
  return { layout, data, have: Array.from({ length: layout.pieceCount }, (_, i) => pieces.includes(i)) };
}

function isIgnored(r: object): r is { ignored: string } {
  return 'ignored' in r;
}

test('resume file round trip: have bits and each file size and mtime', async (t) => {
  const root = tempDir(t);
  const { layout, have } = await downloaded(root, [0, 2, 3]);
  await saveResume(root, { infoHashHex: IH, layout, have });
  assert.equal(resumePath(root, IH), join(root, '.swarm', `${IH}.resume`));
  assert.ok(existsSync(resumePath(root, IH)));
  const r = await loadResume(root, IH, layout);
  assert.ok(!isIgnored(r), JSON.stringify(r));
  assert.deepEqual(r.have, have);
  assert.equal(r.files.length, layout.files.length);
  assert.equal(r.files[0]!.size, 8, 'a.bin holds piece 0 so far');
  assert.equal(r.files[3]!.size, 16, 'b.bin holds pieces 2 and 3 so far');
  assert.equal(r.files[1], null, '0-byte file was never created');
  assert.equal(r.files[2], null, 'padding is never on disk');
  assert.equal(r.files[4], null, 'c.bin not written yet');
  assert.ok(r.files[0]!.mtimeUs > 1e15, 'microseconds since 1970');
  assert.deepEqual(readdirSync(join(root, '.swarm')), [`${IH}.resume`], 'no temp file left');
});

test('missing, corrupt, truncated, foreign or mismatched resume files are ignored with a reason', async (t) => {
  const root = tempDir(t);
  const { layout, have } = await downloaded(root, [0, 1]);
  assert.deepEqual(await loadResume(root, IH, layout), { ignored: 'no resume file' });
  await saveResume(root, { infoHashHex: IH, layout, have });
  const good = readFileSync(resumePath(root, IH));
  const cases: Array<[string, Buffer | ((l: PieceLayout) => Buffer), RegExp]> = [
    ['empty', Buffer.alloc(0), /not valid bencode/],
    ['garbage', streamBytes(200, 5), /not valid bencode|not a dictionary/],
    ['truncated', good.subarray(0, good.length - 3), /not valid bencode/],
    ['trailing', Buffer.concat([good, Buffer.from('x')]), /not valid bencode/],
    ['a list', Buffer.from('le'), /not a dictionary/],
    ['other torrent', () => encodeResume(OTHER, layout, have, layout.files.map(() => null)), /another torrent/],
    ['future version', Buffer.from(good.toString('latin1').replace('7:versioni1e', '7:versioni2e'), 'latin1'), /unknown version 2/],
  ];
  for (const [name, bytes, why] of cases) {
    writeFileSync(resumePath(root, IH), typeof bytes === 'function' ? bytes(layout) : bytes);
    const r = await loadResume(root, IH, layout);
    assert.ok(isIgnored(r), name);
    assert.match(r.ignored, why, name);
  }
  // Same info hash, different torrent shape (a bug or a hand-edited file).
  const other = new PieceLayout(layout.files.map((f) => ({ path: f.path, length: f.length, pad: f.pad })), 4);
  writeFileSync(resumePath(root, IH), good);
  assert.match((await loadResume(root, IH, other) as { ignored: string }).ignored, /piece length does not match/);
  const oneMore = new PieceLayout([...layout.files.map((f) => ({ path: f.path, length: f.length, pad: f.pad })), { path: ['t', 'z'], length: 0 }], 8);
  assert.match((await loadResume(root, IH, oneMore) as { ignored: string }).ignored, /file list does not match/);
  // A resume file larger than any this torrent could have is not even read.
  writeFileSync(resumePath(root, IH), Buffer.alloc(10_000, 0x64));
  assert.match((await loadResume(root, IH, layout) as { ignored: string }).ignored, /more than a resume file/);
});

test('decodeResume validates every field', () => {
  const layout = sampleLayout(); // 5 pieces: one bitfield byte, 3 spare bits
  const files = layout.files.map(() => null);
  const have = [true, false, true, false, true];
  const ok = encodeResume(IH, layout, have, files);
  assert.deepEqual(decodeResume(ok, IH, layout), { have, files });
  const edit = (from: string, to: string) => Buffer.from(ok.toString('latin1').replace(from, to), 'latin1');
  const bits = packBits(have)[0]!;
  assert.equal(bits, 0b10101000);
  const spare = edit(`4:have1:${String.fromCharCode(bits)}`, `4:have1:${String.fromCharCode(bits | 1)}`);
  assert.match((decodeResume(spare, IH, layout) as { ignored: string }).ignored, /spare bits/);
  const long = edit(`4:have1:${String.fromCharCode(bits)}`, `4:have2:${String.fromCharCode(bits)}x`);
  assert.match((decodeResume(long, IH, layout) as { ignored: string }).ignored, /wrong length/);
  const bad = encodeResume(IH, layout, have, [{ size: 1, mtimeUs: 2 }, null, null, null, null]);
  assert.ok(!isIgnored(decodeResume(bad, IH, layout)));
  const negative = Buffer.from(bad.toString('latin1').replace('4:sizei1e', '4:sizei-1e'), 'latin1');
  assert.match((decodeResume(negative, IH, layout) as { ignored: string }).ignored, /file entry 0 is malformed/);
  const noMtime = Buffer.from(bad.toString('latin1').replace('5:mtimei2e', ''), 'latin1');
  assert.match((decodeResume(noMtime, IH, layout) as { ignored: string }).ignored, /file entry 0 is malformed/);
  const count = edit('11:piece counti5e', '11:piece counti6e');
  assert.match((decodeResume(count, IH, layout) as { ignored: string }).ignored, /piece count does not match/);
  assert.throws(() => decodeResume(ok, 'not hex', layout), RangeError);
});

test('mutated resume files never throw and never yield a malformed result', (t) => {
  const layout = sampleLayout();
  const seed = encodeResume(IH, layout, [true, true, false, true, false], layout.files.map((_, i) => (i === 2 ? null : { size: i * 3, mtimeUs: 1_700_000_000_000_000 + i })));
  const seconds = Number(process.env.SWARM_FUZZ_SECONDS ?? 1);
  const until = Date.now() + seconds * 1000;
  let rnd = 12345;
  const next = (n: number) => {
    rnd = (rnd * 1103515245 + 12345) >>> 0;
    return rnd % n;
  };
  let runs = 0;
  let accepted = 0;
  while (Date.now() < until) {
    const b = Buffer.from(seed);
    let input: Buffer = b;
    const kind = next(4);
    if (kind === 0) for (let k = 0; k <= next(4); k++) b[next(b.length)] ^= 1 << next(8);
    else if (kind === 1) input = b.subarray(0, next(b.length));
    else if (kind === 2) input = Buffer.concat([b.subarray(0, next(b.length)), seed.subarray(next(seed.length))]);
    else b[next(b.length)] = next(256);
    const r = decodeResume(input, IH, layout); // must not throw
    runs++;
    if (!isIgnored(r)) {
      accepted++;
      assert.equal(r.have.length, layout.pieceCount);
      assert.equal(r.files.length, layout.files.length);
      for (const f of r.files) if (f) assert.ok(Number.isSafeInteger(f.size) && f.size >= 0 && f.mtimeUs >= 0);
    }
  }
  t.diagnostic(`${runs} inputs in ${seconds}s (${Math.round(runs / seconds)}/s), ${accepted} accepted`);
  assert.ok(runs > 100);
});

test('atomic save: a leftover temp file does not matter; a failed save keeps the old file', async (t) => {
  const root = tempDir(t);
  const { layout, have } = await downloaded(root, [0]);
  await saveResume(root, { infoHashHex: IH, layout, have });
  const before = readFileSync(resumePath(root, IH));
  // A crash mid-save leaves a half-written temp file behind.
  writeFileSync(resumePath(root, IH) + '.tmp', 'd7:versi');
  assert.deepEqual((await loadResume(root, IH, layout) as { have: boolean[] }).have, have);

  const backend = new TestBackend();
  backend.diskBytes = 10;
  const more = have.map((_, i) => i < 2);
  await assert.rejects(saveResume(root, { infoHashHex: IH, layout, have: more }, backend), (e: unknown) => {
    return e instanceof StorageError && e.code === 'ENOSPC' && e.message.includes(`${IH}.resume.tmp`);
  });
  assert.deepEqual(readFileSync(resumePath(root, IH)), before, 'the old resume file is untouched');
  assert.ok(!existsSync(resumePath(root, IH) + '.tmp'), 'the failed temp file is removed');

  await saveResume(root, { infoHashHex: IH, layout, have: more });
  assert.deepEqual((await loadResume(root, IH, layout) as { have: boolean[] }).have, more);
  assert.deepEqual(readdirSync(join(root, '.swarm')), [`${IH}.resume`]);
});

test('concurrent saves are serialised and the last one wins', async (t) => {
  const root = tempDir(t);
  const { layout } = await downloaded(root, []);
  const states = [0, 1, 2, 3, 4].map((k) => Array.from({ length: layout.pieceCount }, (_, i) => i < k));
  await Promise.all(states.map((have) => saveResume(root, { infoHashHex: IH, layout, have })));
  assert.deepEqual((await loadResume(root, IH, layout) as { have: boolean[] }).have, states[4]);
});

test('an unreadable resume file or a folder in its place is ignored, not thrown', async (t) => {
  const root = tempDir(t);
  const layout = sampleLayout();
  mkdirSync(resumePath(root, IH), { recursive: true });
  assert.match((await loadResume(root, IH, layout) as { ignored: string }).ignored, /is not a file/);
  const root2 = tempDir(t);
  await downloaded(root2, []);
  await saveResume(root2, { infoHashHex: IH, layout, have: new Array<boolean>(layout.pieceCount).fill(false) });
  const backend = new TestBackend();
  backend.refuseOpen = () => 'EACCES';
  const r = await loadResume(root2, IH, layout, backend);
  assert.match((r as { ignored: string }).ignored, /cannot read it \(permission denied/);
});
