import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { test } from 'node:test';
import { parseTorrent } from '../../src/metainfo/metainfo.js';
import { haveCommand, haveLibtorrent, needClient } from '../helpers/interop.js';
import { run, runSwarm } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { assertSameAsLibtorrent, libtorrentCreateHash, libtorrentView, makePayloads } from './metainfo-tools.js';

const TRACKER = 'http://127.0.0.1:6969/announce';
const PIECE = 32768;

async function swarmCreate(path: string, out: string, extra: string[] = []): Promise<string> {
  const r = await runSwarm(['create', path, '-a', TRACKER, '--piece-length', String(PIECE), '--no-date', '-o', out, ...extra]);
  assert.equal(r.code, 0, r.stderr);
  const hash = /^info hash {2}([0-9a-f]{40})$/m.exec(r.stdout)?.[1];
  assert.ok(hash, r.stdout);
  return hash;
}

test('swarm create gives the info hash mktorrent gives (single and multi-file)', async (t) => {
  if (!needClient(t, haveCommand('mktorrent'), 'mktorrent')) return;
  const dir = tempDir(t);
  const { single, multi } = makePayloads(dir);
  for (const path of [single, multi]) {
    const ours = await swarmCreate(path, join(dir, `${basename(path)}.swarm.torrent`));
    const mk = join(dir, `${basename(path)}.mk.torrent`);
    const r = await run('mktorrent', ['-l', '15', '-d', '-a', TRACKER, '-o', mk, path]);
    assert.equal(r.code, 0, r.stderr);
    assert.equal(ours, parseTorrent(readFileSync(mk)).infoHashHex, `${path}: swarm vs mktorrent`);
    const [lt] = await libtorrentView(mk);
    assert.equal(ours, lt!.infoHash, `${path}: libtorrent's reading of mktorrent's file`);
  }
});

test('swarm create gives the info hash libtorrent computes for the same files and piece length', async (t) => {
  if (!needClient(t, haveLibtorrent(), 'python3-libtorrent')) return;
  const dir = tempDir(t);
  const { single, multi, multiFiles } = makePayloads(dir);
  const ours1 = await swarmCreate(single, join(dir, 's.torrent'));
  assert.equal(ours1, await libtorrentCreateHash(dir, [['single.bin', 100_003]], PIECE));
  const oursN = await swarmCreate(multi, join(dir, 'm.torrent'));
  // libtorrent hashes the files in the order it is given: ours, byte-wise by full path
  const sorted = [...multiFiles].sort((a, b) => Buffer.compare(Buffer.from(a[0]), Buffer.from(b[0])));
  assert.equal(oursN, await libtorrentCreateHash(dirname(multi), sorted.map(([rel, n]) => [`multi/${rel}`, n]), PIECE));
});

test('libtorrent loads every torrent swarm creates and sees what we see', async (t) => {
  if (!needClient(t, haveLibtorrent(), 'python3-libtorrent')) return;
  const dir = tempDir(t);
  const { single, multi } = makePayloads(dir);
  const variants: Array<[string, string, string[]]> = [
    ['single', single, []],
    ['multi', multi, []],
    ['private, tiers, web seeds', multi, ['--private', '-a', 'udp://127.0.0.1:6969', '-w', 'http://127.0.0.1:8000/a/', '-w', 'http://127.0.0.1:8001/']],
    ['auto piece length, comment, name', single, ['--comment', 'hi', '--name', 'renamed.bin']],
  ];
  for (const [what, path, extra] of variants) {
    const out = join(dir, `${what.replace(/\W+/g, '-')}.torrent`);
    const args = ['create', path, '-a', TRACKER, '--no-date', '-o', out, ...extra];
    const r = await runSwarm(args);
    assert.equal(r.code, 0, r.stderr);
    const [lt] = await libtorrentView(out);
    assertSameAsLibtorrent(parseTorrent(readFileSync(out)), lt!, what);
  }
});
