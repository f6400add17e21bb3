import assert from 'node:assert/strict';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { fixture } from '../helpers/paths.js';
import { runSwarm } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';

test('swarm info shows everything in a .torrent', async () => {
  const r = await runSwarm(['info', fixture('single.torrent')]);
  assert.equal(r.code, 0, r.stderr);
  const expected = [
    /^name {8}single\.bin$/m,
    /^info hash {3}01bce5b66dd270293d1d6ddd6d397e21563da7c6$/m,
    /^size {8}48\.8 KiB \(50001 bytes\) in 1 file$/m,
    /^pieces {6}4 x 16\.0 KiB, last 849 B$/m,
    /^private {5}yes$/m,
    /^created by  make-fixtures\.py$/m,
    /^created {5}2023-11-14 22:13:20 UTC$/m,
    /^comment {5}fixture: single file, private, two tiers, a web seed$/m,
    /^ {2}1 {4}48\.8 KiB {2}single\.bin$/m,
    /^ {2}tier 1 {2}http:\/\/127\.0\.0\.1:6969\/announce$/m,
    /^ {2}tier 2 {2}http:\/\/127\.0\.0\.1:6970\/announce$/m,
    /^web seeds\n {2}http:\/\/127\.0\.0\.1:8080\/files\/$/m,
    /^magnet {6}magnet:\?xt=urn:btih:01bce5b66dd270293d1d6ddd6d397e21563da7c6&dn=single\.bin&tr=/m,
  ];
  for (const re of expected) assert.match(r.stdout, re);
  assert.equal(r.stderr, '');
});

test('swarm info --json prints one JSON object', async () => {
  const r = await runSwarm(['info', '--json', fixture('hybrid.torrent')]);
  assert.equal(r.code, 0, r.stderr);
  assert.equal(r.stdout.trim().split('\n').length, 1);
  const j = JSON.parse(r.stdout) as Record<string, unknown>;
  assert.equal(j.infoHash, '9c8c0b11ae65228594096eaa570a372cebae6203');
  assert.equal(j.pieceCount, 7);
  assert.deepEqual(
    (j.files as Array<{ path: string }>).map((f) => f.path),
    ['fixture/a.bin', 'fixture/empty', 'fixture/odd.bin', 'fixture/sub/small.txt'],
  );
  assert.deepEqual(j.trackers, [['http://127.0.0.1:6969/announce']]);
  assert.equal(j.private, false);
  assert.match(String(j.magnet), /^magnet:\?xt=urn:btih:9c8c0b11/);
  assert.deepEqual(j.warnings, ['hybrid v1+v2 torrent: loaded as v1']);
});

test('swarm info takes a magnet link or a bare info hash', async () => {
  const hash = 'ee7de26fbcf440cf9a26e50bb63c06732d0b6eef';
  const r = await runSwarm(['info', `magnet:?xt=urn:btih:${hash.toUpperCase()}&dn=a+b&tr=udp%3A%2F%2F127.0.0.1%3A6969`]);
  assert.equal(r.code, 0, r.stderr);
  assert.match(r.stdout, /^name {8}a b$/m);
  assert.match(r.stdout, new RegExp(`^info hash {3}${hash}$`, 'm'));
  assert.match(r.stdout, /^ {2}udp:\/\/127\.0\.0\.1:6969$/m);
  const j = await runSwarm(['info', '--json', hash]);
  assert.equal(j.code, 0, j.stderr);
  assert.deepEqual(JSON.parse(j.stdout), {
    kind: 'magnet',
    name: null,
    infoHash: hash,
    trackers: [],
    webSeeds: [],
    peers: [],
    magnet: `magnet:?xt=urn:btih:${hash}`,
  });
});

test('bad input: exit 2 and one sentence on stderr, never a stack trace', async (t) => {
  const dir = tempDir(t);
  const p = (n: string): string => join(dir, n);
  mkdirSync(p('folder'));
  writeFileSync(p('empty.torrent'), '');
  writeFileSync(p('random.torrent'), Buffer.from('fa0e77c3b1d2e4f5a6978899', 'hex'));
  const good = readFileSync(fixture('single.torrent'));
  writeFileSync(p('truncated.torrent'), good.subarray(0, 200));
  const cases: Array<[string, RegExp]> = [
    [p('missing.torrent'), /missing\.torrent does not exist/],
    [p('folder'), /folder is a folder, not a \.torrent file/],
    [p('empty.torrent'), /empty\.torrent is empty/],
    [p('random.torrent'), /random\.torrent is not a \.torrent file/],
    [p('truncated.torrent'), /truncated\.torrent is truncated or not a \.torrent file/],
    [fixture('traversal.torrent'), /traversal\.torrent is not a valid torrent: info\.files\[0\]\.path has a "\.\." path component/],
    [fixture('v2-only.torrent'), /v2 torrents are not supported yet/],
    ['magnet:?dn=nothing', /no info hash/],
  ];
  for (const [arg, re] of cases) {
    const r = await runSwarm(['info', arg], { env: { ...process.env, DEBUG: '' } });
    assert.equal(r.code, 2, `${arg}: ${r.stderr}`);
    assert.equal(r.stdout, '');
    const lines = r.stderr.trim().split('\n');
    assert.equal(lines.length, 1, r.stderr);
    assert.match(lines[0]!, /^swarm: /);
    assert.match(lines[0]!, re);
  }
  const usage = await runSwarm(['info']);
  assert.equal(usage.code, 2);
  assert.match(usage.stderr, /missing required argument/);
});

test('DEBUG=swarm:* shows the details behind the sentence', async (t) => {
  const dir = tempDir(t);
  writeFileSync(join(dir, 'x.torrent'), 'd4:infoi1ee');
  const r = await runSwarm(['info', join(dir, 'x.torrent')], { env: { ...process.env, DEBUG: 'swarm:*' } });
  assert.equal(r.code, 2);
  assert.match(r.stderr, /swarm:cli command failed/);
  assert.match(r.stderr, /MetainfoError/);
});
