import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readdirSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { PieceLayout } from '../../../src/metainfo/layout.js';
import { PieceStorage } from '../../../src/storage/storage.js';
import { StorageError } from '../../../src/util/errors.js';
import { tempDir } from '../../helpers/tmp.js';

const unsafe = (e: unknown) => e instanceof StorageError && e.code === 'UNSAFE_PATH' && /refusing path/.test(e.message);

function oneFile(path: string[], length = 4): PieceLayout {
  return new PieceLayout([{ path, length }], 4);
}

test('paths escaping the download folder are refused even if a layout holds them', async (t) => {
  const base = tempDir(t);
  const root = join(base, 'dl');
  mkdirSync(root);
  const bad = [['..', 'evil'], ['t', '..', '..', 'evil'], ['a/../../evil'], ['/evil'], ['.'], ['t', ''], ['x\0y']];
  for (const path of bad) {
    const st = new PieceStorage({ root, layout: oneFile(path) });
    await assert.rejects(st.writePiece(0, Buffer.from('EVIL')), unsafe, JSON.stringify(path));
    await assert.rejects(st.read(0, 0, 4), unsafe, JSON.stringify(path));
    await st.close();
  }
  assert.deepEqual(readdirSync(base), ['dl']);
  assert.deepEqual(readdirSync(root), []);
});

test('a symlink in the path that leads outside is refused, for writes and reads', async (t) => {
  const base = tempDir(t);
  const root = join(base, 'dl');
  const outside = join(base, 'outside');
  mkdirSync(root);
  mkdirSync(outside);
  symlinkSync(outside, join(root, 't'));
  const st = new PieceStorage({ root, layout: oneFile(['t', 'sub', 'a.bin']) });
  t.after(() => st.close());
  await assert.rejects(st.writePiece(0, Buffer.from('EVIL')), (e: unknown) => unsafe(e) && /leads outside/.test(String(e)));
  await assert.rejects(st.read(0, 0, 4), unsafe);
  await assert.rejects(st.ensureFiles(), unsafe);
  assert.deepEqual(readdirSync(outside), [], 'nothing created outside');
});

test('a dangling symlink as the file is refused (O_CREAT would create its target)', async (t) => {
  const base = tempDir(t);
  const root = join(base, 'dl');
  mkdirSync(join(root, 't'), { recursive: true });
  symlinkSync(join(base, 'target-outside'), join(root, 't', 'a.bin'));
  const st = new PieceStorage({ root, layout: oneFile(['t', 'a.bin']) });
  t.after(() => st.close());
  await assert.rejects(st.writePiece(0, Buffer.from('EVIL')), unsafe);
  assert.ok(!existsSync(join(base, 'target-outside')));
});

test('symlinks that stay inside the download folder are followed', async (t) => {
  const root = tempDir(t);
  mkdirSync(join(root, 'real'));
  symlinkSync(join(root, 'real'), join(root, 't'));
  const st = new PieceStorage({ root, layout: oneFile(['t', 'a.bin']) });
  t.after(() => st.close());
  await st.writePiece(0, Buffer.from('GOOD'));
  assert.equal(readFileSync(join(root, 'real', 'a.bin'), 'latin1'), 'GOOD');
});

test('a root that is itself a symlink works; a missing root is created on first write only', async (t) => {
  const base = tempDir(t);
  mkdirSync(join(base, 'real'));
  symlinkSync(join(base, 'real'), join(base, 'link'));
  const viaLink = new PieceStorage({ root: join(base, 'link'), layout: oneFile(['t', 'a.bin']) });
  await viaLink.writePiece(0, Buffer.from('LINK'));
  await viaLink.close();
  assert.equal(readFileSync(join(base, 'real', 't', 'a.bin'), 'latin1'), 'LINK');

  const root = join(base, 'new', 'dl');
  const st = new PieceStorage({ root, layout: oneFile(['a.bin']) });
  t.after(() => st.close());
  await assert.rejects(st.readPiece(0), (e: unknown) => e instanceof StorageError && e.code === 'ENOENT');
  assert.ok(!existsSync(join(base, 'new')), 'a read creates nothing');
  await st.writePiece(0, Buffer.from('MADE'));
  assert.equal(readFileSync(join(root, 'a.bin'), 'latin1'), 'MADE');
});

test("a torrent whose files would land in swarm's own .swarm folder is refused", () => {
  assert.throws(
    () => new PieceStorage({ root: '/nonexistent', layout: oneFile(['.swarm', 'x.resume']) }),
    (e: unknown) => e instanceof StorageError && e.code === 'UNSAFE_PATH',
  );
});
