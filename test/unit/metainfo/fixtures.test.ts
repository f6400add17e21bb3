import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { loadTorrentFile, parseTorrent } from '../../../src/metainfo/metainfo.js';
import { MetainfoError } from '../../../src/util/errors.js';
import { fixture } from '../../helpers/paths.js';

// Info hashes libtorrent 2.0.8 reported for these files (fixtures/README.md).
const LIBTORRENT = {
  unsorted: 'ee7ddb1d16d51d5fc2c222e60f071853354378f2',
  hybrid: '9c8c0b11ae65228594096eaa570a372cebae6203',
  single: '01bce5b66dd270293d1d6ddd6d397e21563da7c6',
  multi: '7584def1bfb2d4d1d1934f27768ec0c6708b0996',
};

test('unsorted info keys: our info hash is the one libtorrent reports', async () => {
  const m = await loadTorrentFile(fixture('unsorted-keys.torrent'));
  assert.equal(m.infoHashHex, LIBTORRENT.unsorted);
  assert.match(m.warnings.join(), /out of order/);
});

test('hybrid torrent from libtorrent 2 loads as v1 with its padding files', async () => {
  const m = await loadTorrentFile(fixture('hybrid.torrent'));
  assert.equal(m.infoHashHex, LIBTORRENT.hybrid);
  assert.deepEqual(
    m.files.map((f) => [f.path.join('/'), f.length]),
    [
      ['fixture/a.bin', 40000],
      ['fixture/empty', 0],
      ['fixture/odd.bin', 33333],
      ['fixture/sub/small.txt', 1000],
    ],
  );
  const pads = m.layout.files.filter((f) => f.pad);
  assert.ok(pads.length >= 2);
  assert.ok(pads.every((p) => p.path[1] === '.pad'));
  // each real file starts on a piece boundary, as the padding intends
  for (const f of m.files) if (f.length > 0) assert.equal(f.offset % m.pieceLength, 0);
  assert.equal(m.layout.totalLength % m.pieceLength, 0);
  assert.equal(m.layout.pieceCount, m.pieceHashes.length / 20);
});

test('v2-only torrent: "v2 torrents are not supported yet"', async () => {
  await assert.rejects(loadTorrentFile(fixture('v2-only.torrent')), /v2-only torrent: v2 torrents are not supported yet/);
});

test('path-traversal torrent is refused', async () => {
  await assert.rejects(loadTorrentFile(fixture('traversal.torrent')), (e: unknown) => e instanceof MetainfoError && e.code === 'UNSAFE_PATH' && /"\.\."/.test(e.message));
});

test('libtorrent single and multi-file fixtures', () => {
  const s = parseTorrent(readFileSync(fixture('single.torrent')));
  assert.equal(s.infoHashHex, LIBTORRENT.single);
  assert.equal(s.private, true);
  assert.deepEqual(s.announceTiers, [['http://127.0.0.1:6969/announce'], ['http://127.0.0.1:6970/announce']]);
  assert.deepEqual(s.urlList, ['http://127.0.0.1:8080/files/']);
  assert.equal(s.createdBy, 'make-fixtures.py');
  assert.equal(s.creationDate, 1700000000);
  assert.equal(s.layout.pieceCount, 4);
  const m = parseTorrent(readFileSync(fixture('multi.torrent')));
  assert.equal(m.infoHashHex, LIBTORRENT.multi);
  assert.equal(m.files.length, 4);
  assert.equal(m.layout.totalLength, 74333);
});
