import assert from 'node:assert/strict';
import { mkdirSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { decode } from '../../../src/bencode/decode.js';
import { isDict } from '../../../src/bencode/types.js';
import { choosePieceLength, createTorrent, MAX_AUTO_PIECE_LENGTH, MIN_AUTO_PIECE_LENGTH } from '../../../src/metainfo/create.js';
import { parseTorrent } from '../../../src/metainfo/metainfo.js';
import { UsageError } from '../../../src/util/errors.js';
import { tempDir } from '../../helpers/tmp.js';
import { data, piecesOf } from './build.js';

test('choosePieceLength: a power of two in bounds, 1001-2000 pieces unless a bound is hit', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 2 ** 45 }), (total) => {
      const pl = choosePieceLength(total);
      assert.equal(pl & (pl - 1), 0);
      assert.ok(pl >= MIN_AUTO_PIECE_LENGTH && pl <= MAX_AUTO_PIECE_LENGTH);
      const count = Math.ceil(total / pl);
      if (pl > MIN_AUTO_PIECE_LENGTH && pl < MAX_AUTO_PIECE_LENGTH) assert.ok(count > 1000 && count <= 2000, `${total}: ${count}`);
      if (pl === MIN_AUTO_PIECE_LENGTH) assert.ok(count <= 2000);
    }),
  );
  assert.equal(choosePieceLength(2 ** 30), 2 ** 20);
  assert.equal(choosePieceLength(1000), 16384);
  assert.equal(choosePieceLength(2 ** 50), MAX_AUTO_PIECE_LENGTH);
});

function folder(t: Parameters<typeof tempDir>[0]): { dir: string; root: string; bytes: Buffer } {
  const dir = tempDir(t);
  const root = join(dir, 'payload');
  mkdirSync(join(root, 'sub'), { recursive: true });
  mkdirSync(join(root, '.hidden'));
  mkdirSync(join(root, 'a'));
  const files: Array<[string, number]> = [
    ['B.bin', 70001],
    ['a-b', 3],
    ['a.bin', 1000],
    ['a/z', 7],
    ['.hidden/x', 5],
    ['empty', 0],
    ['sub/small', 100],
  ];
  for (const [i, [rel, n]] of files.entries()) writeFileSync(join(root, rel), data(n, i + 1));
  symlinkSync('a.bin', join(root, 'link'));
  symlinkSync('/etc', join(root, 'sub', 'outside'));
  // byte-wise order of the full relative path: '.' < 'B' < 'a-b' < 'a.bin' < 'a/z' < ...
  const order = ['.hidden/x', 'B.bin', 'a-b', 'a.bin', 'a/z', 'empty', 'sub/small'];
  const bytes = Buffer.concat(order.map((rel) => data(files.find((f) => f[0] === rel)![1], files.findIndex((f) => f[0] === rel) + 1)));
  return { dir, root, bytes };
}

test('a folder: byte-wise order, hidden files kept, symlinks skipped, real hashes', async (t) => {
  const { root, bytes } = folder(t);
  const r = await createTorrent({ path: root, pieceLength: 16384, date: false, threads: 2 });
  const m = r.metainfo;
  assert.deepEqual(
    m.files.map((f) => f.path.join('/')),
    ['payload/.hidden/x', 'payload/B.bin', 'payload/a-b', 'payload/a.bin', 'payload/a/z', 'payload/empty', 'payload/sub/small'],
  );
  assert.deepEqual(r.skippedSymlinks, ['link', 'sub/outside']);
  assert.ok(m.pieceHashes.equals(piecesOf(bytes, 16384)));
  assert.equal(m.multiFile, true);
  assert.deepEqual(m.announceTiers, []);
  const root0 = decode(r.torrent);
  assert.ok(isDict(root0));
  // never a tracker the user did not give, never a date with date: false
  assert.deepEqual(Object.keys(root0).sort(), ['created by', 'info']);
  assert.match(m.createdBy!, /^swarm\//);
});

test('the same data and options give the same bytes (no date)', async (t) => {
  const { root } = folder(t);
  const opts = { path: root, pieceLength: 32768, date: false, announce: ['http://127.0.0.1:6969/announce'] };
  const a = await createTorrent(opts);
  const b = await createTorrent({ ...opts, threads: 1 });
  assert.ok(a.torrent.equals(b.torrent));
  const dated = await createTorrent({ ...opts, date: true });
  assert.ok(Math.abs(dated.metainfo.creationDate! - Date.now() / 1000) < 60);
  assert.equal(dated.metainfo.infoHashHex, a.metainfo.infoHashHex);
});

test('a single file with every option', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'one.bin');
  const bytes = data(100_000);
  writeFileSync(file, bytes);
  const r = await createTorrent({
    path: file,
    announce: ['http://127.0.0.1:1/a', 'udp://127.0.0.1:2'],
    webSeeds: ['http://127.0.0.1:3/one.bin'],
    private: true,
    comment: 'c',
    name: 'renamed.bin',
    createdBy: 'test',
    date: false,
  });
  const m = parseTorrent(r.torrent);
  assert.equal(m.multiFile, false);
  assert.equal(m.name, 'renamed.bin');
  assert.equal(m.pieceLength, 16384);
  assert.ok(m.pieceHashes.equals(piecesOf(bytes, 16384)));
  assert.deepEqual(m.announceTiers, [['http://127.0.0.1:1/a'], ['udp://127.0.0.1:2']]);
  assert.deepEqual(m.urlList, ['http://127.0.0.1:3/one.bin']);
  assert.equal(m.private, true);
  assert.equal(m.comment, 'c');
  assert.equal(m.createdBy, 'test');
  assert.equal(m.creationDate, undefined);
});

test('bad input: one UsageError sentence each', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'empty'), '');
  mkdirSync(join(dir, 'nothing'));
  mkdirSync(join(dir, 'zeros'));
  writeFileSync(join(dir, 'zeros', 'z'), '');
  writeFileSync(join(dir, 'ok'), 'x');
  const cases: Array<[Parameters<typeof createTorrent>[0], RegExp]> = [
    [{ path: join(dir, 'missing') }, /does not exist/],
    [{ path: join(dir, 'empty') }, /is an empty file/],
    [{ path: join(dir, 'nothing') }, /holds no files/],
    [{ path: join(dir, 'zeros') }, /holds only empty files/],
    [{ path: join(dir, 'ok'), announce: ['not a url'] }, /not a valid tracker URL/],
    [{ path: join(dir, 'ok'), announce: ['file:///etc/passwd'] }, /unsupported scheme/],
    [{ path: join(dir, 'ok'), webSeeds: ['udp://x/'] }, /not a web seed URL/],
    [{ path: join(dir, 'ok'), name: '..' }, /torrent name/],
    [{ path: join(dir, 'ok'), name: 'a/b' }, /separator/],
    [{ path: join(dir, 'ok'), pieceLength: 0 }, /piece length/],
  ];
  for (const [opts, re] of cases) {
    await assert.rejects(createTorrent(opts), (e: unknown) => e instanceof UsageError && re.test(e.message), re.source);
  }
});

test('a file name with a backslash cannot go in a torrent', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'a\\b'), 'x');
  await assert.rejects(createTorrent({ path: dir }), /a\\b cannot go in a torrent: it has a path separator/);
});

test('progress reaches the total; an abort stops hashing', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'f');
  writeFileSync(file, data(6 * 1024 * 1024));
  let last = 0;
  await createTorrent({ path: file, onProgress: (done, total) => {
    assert.equal(total, 6 * 1024 * 1024);
    assert.ok(done >= last);
    last = done;
  } });
  assert.equal(last, 6 * 1024 * 1024);
  const ac = new AbortController();
  ac.abort(new Error('stop'));
  await assert.rejects(createTorrent({ path: file, signal: ac.signal }), /stop/);
});
