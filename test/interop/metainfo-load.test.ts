import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test } from 'node:test';
import { loadTorrentFile } from '../../src/metainfo/metainfo.js';
import { haveCommand, haveLibtorrent, needClient, PYTHON } from '../helpers/interop.js';
import { run } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { assertSameAsLibtorrent, libtorrentView, makePayloads } from './metainfo-tools.js';

const T1 = 'http://127.0.0.1:6969/announce';
const T2 = 'udp://127.0.0.1:6970';
const WS = 'http://127.0.0.1:8000/files/';

async function make(cmd: string, args: string[]): Promise<void> {
  const r = await run(cmd, args, { timeoutMs: 60_000 });
  assert.equal(r.code, 0, `${cmd} ${args.join(' ')}: ${r.stderr}`);
}

/** Loads each torrent and checks our reading against libtorrent's. */
async function compare(paths: string[]): Promise<void> {
  const views = await libtorrentView(...paths);
  for (const [i, p] of paths.entries()) assertSameAsLibtorrent(await loadTorrentFile(p), views[i]!, p);
}

test('torrents made by mktorrent: single, multi-file, private, announce-list, url-list', async (t) => {
  if (!needClient(t, haveCommand('mktorrent') && haveLibtorrent(), 'mktorrent and python3-libtorrent')) return;
  const dir = tempDir(t);
  const { single, multi } = makePayloads(dir);
  const o = (n: string): string => join(dir, `${n}.torrent`);
  await make('mktorrent', ['-l', '15', '-a', T1, '-o', o('mk-single'), single]);
  await make('mktorrent', ['-l', '16', '-a', T1, '-o', o('mk-multi'), multi]);
  await make('mktorrent', ['-l', '15', '-p', '-a', T1, '-o', o('mk-private'), single]);
  await make('mktorrent', ['-l', '15', '-a', `${T1},${T2}`, '-a', 'http://127.0.0.1:6971/announce', '-o', o('mk-tiers'), multi]);
  await make('mktorrent', ['-l', '15', '-a', T1, '-w', WS, '-w', 'http://127.0.0.1:8001/', '-o', o('mk-webseeds'), single]);
  await compare(['mk-single', 'mk-multi', 'mk-private', 'mk-tiers', 'mk-webseeds'].map(o));
  const tiers = await loadTorrentFile(o('mk-tiers'));
  assert.deepEqual(tiers.announceTiers, [[T1, T2], ['http://127.0.0.1:6971/announce']]);
  assert.deepEqual((await loadTorrentFile(o('mk-webseeds'))).urlList, [WS, 'http://127.0.0.1:8001/']);
  assert.equal((await loadTorrentFile(o('mk-private'))).private, true);
});

test('torrents made by transmission-create: single, multi-file, private, announce-list', async (t) => {
  if (!needClient(t, haveCommand('transmission-create') && haveLibtorrent(), 'transmission-create and python3-libtorrent')) return;
  const dir = tempDir(t);
  const { single, multi } = makePayloads(dir);
  const o = (n: string): string => join(dir, `${n}.torrent`);
  await make('transmission-create', ['-s', '32', '-t', T1, '-o', o('tr-single'), single]);
  await make('transmission-create', ['-s', '16', '-t', T1, '-o', o('tr-multi'), multi]);
  await make('transmission-create', ['-p', '-t', T1, '-c', 'a comment', '-o', o('tr-private'), multi]);
  await make('transmission-create', ['-t', T1, '-t', T2, '-o', o('tr-tiers'), single]);
  await compare(['tr-single', 'tr-multi', 'tr-private', 'tr-tiers'].map(o));
  const priv = await loadTorrentFile(o('tr-private'));
  assert.equal(priv.private, true);
  assert.equal(priv.comment, 'a comment');
  assert.deepEqual((await loadTorrentFile(o('tr-tiers'))).announceTiers, [[T1], [T2]]);
});

const LT_MAKE = `
import json, sys, libtorrent as lt
spec = json.loads(sys.argv[1])
fs = lt.file_storage()
lt.add_files(fs, spec['path'])
flags = {'v1': lt.create_torrent.v1_only, 'hybrid': 0}[spec['kind']]
ct = lt.create_torrent(fs, spec['piece'], flags=flags)
lt.set_piece_hashes(ct, spec['parent'])
for url, tier in spec['trackers']:
    ct.add_tracker(url, tier)
for url in spec['webSeeds']:
    ct.add_url_seed(url)
ct.set_priv(spec['private'])
open(spec['out'], 'wb').write(lt.bencode(ct.generate()))
`;

test('torrents made by libtorrent: v1 and hybrid (with padding), private, tiers, url seeds', async (t) => {
  if (!needClient(t, haveLibtorrent(), 'python3-libtorrent')) return;
  const dir = tempDir(t);
  const { single, multi } = makePayloads(dir);
  const cases = [
    { name: 'lt-single', path: single, kind: 'v1', piece: 16384, trackers: [[T1, 0]], webSeeds: [], private: false },
    { name: 'lt-multi', path: multi, kind: 'v1', piece: 32768, trackers: [[T1, 0]], webSeeds: [], private: false },
    { name: 'lt-hybrid', path: multi, kind: 'hybrid', piece: 16384, trackers: [[T1, 0]], webSeeds: [], private: false },
    { name: 'lt-everything', path: multi, kind: 'hybrid', piece: 65536, trackers: [[T1, 0], [T2, 0], ['http://127.0.0.1:6971/a', 1]], webSeeds: [WS], private: true },
  ];
  for (const c of cases) {
    const r = await run(PYTHON, ['-c', LT_MAKE, JSON.stringify({ ...c, parent: dir, out: join(dir, `${c.name}.torrent`) })]);
    assert.equal(r.code, 0, r.stderr);
  }
  await compare(cases.map((c) => join(dir, `${c.name}.torrent`)));
  const hybrid = await loadTorrentFile(join(dir, 'lt-hybrid.torrent'));
  assert.ok(hybrid.layout.files.some((f) => f.pad), 'the hybrid torrent has padding files');
  assert.match(hybrid.warnings.join(), /hybrid/);
  const all = await loadTorrentFile(join(dir, 'lt-everything.torrent'));
  assert.deepEqual(all.announceTiers, [[T1, T2], ['http://127.0.0.1:6971/a']]);
  assert.equal(all.private, true);
});
