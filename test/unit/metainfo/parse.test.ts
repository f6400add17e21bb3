import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { decode } from '../../../src/bencode/decode.js';
import { encode } from '../../../src/bencode/encode.js';
import { parseTorrent, pieceHash } from '../../../src/metainfo/metainfo.js';
import { BencodeError, MetainfoError } from '../../../src/util/errors.js';
import { data, multiInfo, piecesOf, singleInfo, torrent } from './build.js';

const sha1hex = (b: Buffer): string => createHash('sha1').update(b).digest('hex');

function rejects(bytes: Buffer, code: string, message?: RegExp): void {
  assert.throws(
    () => parseTorrent(bytes),
    (err: unknown) => {
      assert.ok(err instanceof MetainfoError, `expected MetainfoError, got ${String(err)}`);
      assert.equal(err.code, code, err.message);
      if (message) assert.match(err.message, message);
      return true;
    },
  );
}

test('single-file torrent: every field', () => {
  const info = { ...singleInfo(40, 16), private: 1 };
  const bytes = torrent(info, {
    announce: 'http://t/announce',
    comment: 'hello',
    'created by': 'me',
    'creation date': 1700000000,
    'url-list': 'http://ws/',
  });
  const m = parseTorrent(bytes);
  assert.equal(m.infoHashHex, sha1hex(encode(info)));
  assert.ok(m.infoBytes.equals(encode(info)));
  assert.equal(m.name, 'single.bin');
  assert.equal(m.multiFile, false);
  assert.equal(m.pieceLength, 16);
  assert.equal(m.layout.pieceCount, 3);
  assert.equal(m.layout.lastPieceLength, 8);
  assert.deepEqual(m.files, [{ index: 1, layoutIndex: 0, path: ['single.bin'], length: 40, offset: 0 }]);
  assert.deepEqual(m.layout.files.map((f) => f.path), [['single.bin']]);
  assert.deepEqual(m.announceTiers, [['http://t/announce']]);
  assert.deepEqual(m.urlList, ['http://ws/']);
  assert.equal(m.private, true);
  assert.equal(m.comment, 'hello');
  assert.equal(m.createdBy, 'me');
  assert.equal(m.creationDate, 1700000000);
  assert.deepEqual(m.warnings, []);
  assert.ok(pieceHash(m, 2).equals(piecesOf(data(40), 16).subarray(40, 60)));
  assert.throws(() => pieceHash(m, 3), RangeError);
});

test('multi-file torrent: paths start with the name, 0-byte files listed', () => {
  const info = multiInfo([
    { path: ['a.bin'], length: 20 },
    { path: ['empty'], length: 0 },
    { path: ['sub', 'b'], length: 5 },
  ]);
  const m = parseTorrent(torrent(info));
  assert.equal(m.multiFile, true);
  assert.deepEqual(
    m.files.map((f) => [f.index, f.path.join('/'), f.length, f.offset]),
    [
      [1, 'multi/a.bin', 20, 0],
      [2, 'multi/empty', 0, 20],
      [3, 'multi/sub/b', 5, 20],
    ],
  );
  assert.equal(m.layout.totalLength, 25);
  assert.equal(m.layout.pieceCount, 2);
  assert.equal(m.private, false);
  assert.deepEqual(m.announceTiers, []);
});

test('info hash is the SHA-1 of the info bytes as found, even with unsorted keys', () => {
  const pieces = piecesOf(data(10), 16);
  // keys out of order: name before length, pieces before piece length
  const info = Buffer.concat([
    Buffer.from('d4:name1:x6:lengthi10e6:pieces20:'),
    pieces,
    Buffer.from('12:piece lengthi16ee'),
  ]);
  const bytes = Buffer.concat([Buffer.from('d4:info'), info, Buffer.from('e')]);
  const m = parseTorrent(bytes);
  assert.equal(m.infoHashHex, sha1hex(info));
  // a re-encoding sorts the keys and would give another hash: the trap DESIGN warns about
  assert.notEqual(sha1hex(encode(decode(info))), sha1hex(info));
  assert.match(m.warnings.join('\n'), /out of order/);
});

test('piece length, pieces and lengths are validated', () => {
  rejects(torrent({ ...singleInfo(), 'piece length': 0 }), 'BAD_PIECE_LENGTH');
  rejects(torrent({ ...singleInfo(), 'piece length': -16 }), 'BAD_PIECE_LENGTH');
  rejects(torrent({ ...singleInfo(), 'piece length': 'x' }), 'BAD_FIELD', /piece length/);
  rejects(torrent({ ...singleInfo(), pieces: Buffer.alloc(59) }), 'BAD_PIECES', /multiple of 20/);
  rejects(torrent({ ...singleInfo(), pieces: Buffer.alloc(40) }), 'PIECE_COUNT', /2 hashes .* need 3/);
  rejects(torrent({ ...singleInfo(), pieces: Buffer.alloc(80) }), 'PIECE_COUNT');
  rejects(torrent({ ...singleInfo(), length: -1 }), 'BAD_LENGTH');
  rejects(torrent({ ...singleInfo(), length: 'many' }), 'BAD_FIELD');
  rejects(torrent({ ...singleInfo(), length: 0, pieces: Buffer.alloc(0) }), 'EMPTY_TORRENT');
  const huge = 2 ** 53 - 1;
  rejects(torrent({ ...singleInfo(), length: huge }), 'PIECE_COUNT');
  const twoHuge = {
    ...multiInfo([{ path: ['a'], length: 1 }]),
    files: [
      { length: huge, path: ['a'] },
      { length: huge, path: ['b'] },
    ],
  };
  rejects(torrent(twoHuge), 'BAD_LENGTH', /2\^53/);
});

test('structure errors name the field', () => {
  rejects(encode(['not', 'a', 'dict']), 'NOT_A_TORRENT');
  rejects(encode({ announce: 'http://t/' }), 'MISSING_FIELD', /"info"/);
  rejects(encode({ info: 'x' }), 'BAD_FIELD', /"info" is not a dictionary/);
  const { length: _l, ...noLength } = singleInfo();
  rejects(torrent(noLength), 'MISSING_FIELD', /neither "length" nor "files"/);
  rejects(torrent({ ...singleInfo(), files: [] }), 'BAD_FIELD', /both/);
  rejects(torrent({ ...multiInfo([{ path: ['a'], length: 1 }]), files: [] }), 'BAD_FIELD', /empty/);
  rejects(torrent({ ...multiInfo([{ path: ['a'], length: 1 }]), files: 'x' }), 'BAD_FIELD', /not a list/);
  rejects(torrent({ ...multiInfo([{ path: ['a'], length: 1 }]), files: [{ length: 1 }] }), 'MISSING_FIELD', /files\[0\]/);
  rejects(torrent({ ...multiInfo([{ path: ['a'], length: 1 }]), files: [{ length: 1, path: [] }] }), 'BAD_FIELD', /non-empty/);
  rejects(torrent({ ...multiInfo([{ path: ['a'], length: 1 }]), files: [{ length: 1, path: [5] }] }), 'BAD_FIELD', /non-string/);
  const { name: _n, ...noName } = singleInfo();
  rejects(torrent(noName), 'MISSING_FIELD', /info\.name/);
  assert.throws(() => parseTorrent(Buffer.from('d4:infod')), BencodeError);
});

test('unsafe paths are refused: .., ., empty, NUL, separators, absolute', () => {
  const bad: Array<[Array<string | Buffer>, RegExp]> = [
    [['..', 'etc', 'passwd'], /"\.\."/],
    [['a', '..'], /"\.\."/],
    [['.'], /"\."/],
    [['a', '', 'b'], /empty/],
    [['a\0b'], /NUL/],
    [['a/b'], /separator/],
    [['/etc/passwd'], /separator/],
    [['a\\b'], /separator/],
    [['C:\\Windows'], /separator/],
  ];
  for (const [path, re] of bad) {
    rejects(torrent(multiInfo([{ path, length: 4 }])), 'UNSAFE_PATH', re);
  }
  rejects(torrent(singleInfo(40, 16, '..')), 'UNSAFE_PATH', /info\.name/);
  rejects(torrent(singleInfo(40, 16, '')), 'UNSAFE_PATH', /info\.name/);
  rejects(torrent(singleInfo(40, 16, '../x')), 'UNSAFE_PATH');
});

test('duplicate paths and file/folder clashes are refused', () => {
  rejects(torrent(multiInfo([{ path: ['a'], length: 1 }, { path: ['a'], length: 2 }])), 'DUPLICATE_PATH', /repeats/);
  rejects(torrent(multiInfo([{ path: ['a'], length: 1 }, { path: ['a', 'b'], length: 2 }])), 'DUPLICATE_PATH', /both a file and a folder/);
  rejects(torrent(multiInfo([{ path: ['a', 'b'], length: 1 }, { path: ['a'], length: 2 }])), 'DUPLICATE_PATH', /both a file and a folder/);
  // two names that become the same once made safe are duplicates too
  rejects(torrent(multiInfo([{ path: ['a\x01'], length: 1 }, { path: ['a_'], length: 2 }])), 'DUPLICATE_PATH');
});

test('names that cannot live on disk are mapped, with a warning', () => {
  const long = 'x'.repeat(300) + '.mkv';
  const m = parseTorrent(
    torrent(
      multiInfo([
        { path: ['bell\x07.txt'], length: 1 },
        { path: [long], length: 1 },
        { path: [Buffer.from([0x66, 0xff, 0x6f])], length: 1 },
      ]),
    ),
  );
  const names = m.files.map((f) => f.path[1]!);
  assert.equal(names[0], 'bell_.txt');
  assert.equal(Buffer.byteLength(names[1]!), 255);
  assert.ok(names[1]!.endsWith('.mkv'));
  assert.equal(names[2], 'f\ufffdo');
  assert.equal(m.warnings.filter((w) => /stored on disk as/.test(w)).length, 3);
  const win = parseTorrent(torrent(multiInfo([{ path: ['CON.txt'], length: 1 }, { path: ['a:b?'], length: 1 }, { path: ['dots...'], length: 1 }])), {
    windows: true,
  });
  assert.deepEqual(win.files.map((f) => f.path[1]), ['_CON.txt', 'a_b_', 'dots___']);
});

test('the .utf-8 variants of name and path are preferred', () => {
  const info = multiInfo([{ path: ['latin'], length: 3 }]);
  info['name.utf-8'] = 'nom';
  (info.files as Array<Record<string, unknown>>)[0]!['path.utf-8'] = ['caf\u00e9'];
  const m = parseTorrent(torrent(info));
  assert.deepEqual(m.files[0]!.path, ['nom', 'caf\u00e9']);
});

test('hybrid v1+v2 loads as v1; padding files count in the layout but are not listed', () => {
  const info = {
    ...multiInfo([
      { path: ['a'], length: 10 },
      { path: ['.pad', '6'], length: 6, attr: 'p' },
      { path: ['b'], length: 10 },
      { path: ['.pad', '6'], length: 6, attr: 'p' },
      { path: ['c'], length: 3 },
      { path: ['_____padding_file_0_bitcomet'], length: 13 },
    ]),
    'meta version': 2,
    'file tree': {},
  };
  const m = parseTorrent(torrent(info, { 'piece layers': {} }));
  assert.equal(m.layout.files.length, 6);
  assert.deepEqual(m.layout.files.map((f) => f.pad), [false, true, false, true, false, true]);
  assert.equal(m.layout.totalLength, 48);
  assert.deepEqual(
    m.files.map((f) => [f.index, f.layoutIndex, f.path.join('/'), f.offset]),
    [
      [1, 0, 'multi/a', 0],
      [2, 2, 'multi/b', 16],
      [3, 4, 'multi/c', 32],
    ],
  );
  assert.match(m.warnings.join('\n'), /hybrid/);
});

test('a v2-only torrent gets a clear error', () => {
  const info = { name: 'x', 'piece length': 16384, 'meta version': 2, 'file tree': { x: { '': { length: 5 } } } };
  rejects(torrent(info), 'V2_UNSUPPORTED', /^v2 torrents are not supported yet$/);
  rejects(torrent({ ...singleInfo(), 'meta version': 3 }), 'BAD_FIELD', /meta version/);
});

test('announce-list tiers are kept as tiers and replace announce', () => {
  const m = parseTorrent(
    torrent(singleInfo(), {
      announce: 'http://ignored/',
      'announce-list': [['http://a/', 'udp://b:1/'], [], ['http://c/', 'http://a/'], 'junk', [5, 'not a url', 'https://d/']],
    }),
  );
  assert.deepEqual(m.announceTiers, [['http://a/', 'udp://b:1/'], ['http://c/'], ['https://d/']]);
  assert.equal(m.warnings.length, 3);
  const fallback = parseTorrent(torrent(singleInfo(), { announce: 'http://only/', 'announce-list': [[]] }));
  assert.deepEqual(fallback.announceTiers, [['http://only/']]);
});

test('url-list as a string or a list; private only when 1', () => {
  assert.deepEqual(parseTorrent(torrent(singleInfo(), { 'url-list': ['http://a/', 'http://b/', ''] })).urlList, ['http://a/', 'http://b/']);
  assert.deepEqual(parseTorrent(torrent(singleInfo(), { 'url-list': '' })).urlList, []);
  assert.equal(parseTorrent(torrent({ ...singleInfo(), private: 0 })).private, false);
  const odd = parseTorrent(torrent({ ...singleInfo(), private: 'yes' }));
  assert.equal(odd.private, false);
  assert.match(odd.warnings.join(), /private/);
});
