import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdirSync, readdirSync, truncateSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { encode, type EValue } from '../../src/bencode/encode.js';
import { PieceLayout } from '../../src/metainfo/layout.js';
import { loadTorrentFile, MAX_TORRENT_BYTES } from '../../src/metainfo/load.js';
import { parseTorrent } from '../../src/metainfo/parse.js';
import { SwarmError } from '../../src/util/errors.js';
import { UNCHOKE } from '../../src/wire/messages.js';
import { FakePeer } from '../helpers/fake-peer.js';
import { runSwarm } from '../helpers/proc.js';
import { tempDir } from '../helpers/tmp.js';
import { bytes, FAST, makeTorrent, startPeer, writePayload } from './harness.js';

/**
 * Hostile .torrent files: paths that climb out of the download folder, a file claiming
 * a gigabyte, and bencode bombs. Each is refused quickly, with one of our errors, and
 * nothing is written anywhere.
 */

const KB = 1024;

function pieces(data: Buffer, pieceLength: number): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; i < data.length; i += pieceLength) out.push(createHash('sha1').update(data.subarray(i, i + pieceLength)).digest());
  return Buffer.concat(out);
}

/** A multi-file torrent whose pieces really hash the (zero) data, so only the paths are wrong. */
function multiFile(name: EValue, paths: EValue[][]): Buffer {
  const length = 1000;
  return encode({
    info: {
      name,
      'piece length': 16 * KB,
      pieces: pieces(Buffer.alloc(length * paths.length), 16 * KB),
      files: paths.map((path) => ({ length, path })),
    },
  });
}

const ESCAPES: Array<[string, Buffer]> = [
  ['.. components', multiFile('t', [['..', '..', 'escape.txt']])],
  ['a name of ..', multiFile('..', [['escape.txt']])],
  ['a name of .', multiFile('.', [['escape.txt']])],
  ['a separator inside a component', multiFile('t', [['sub/../../escape.txt']])],
  ['an absolute path', multiFile('t', [['/tmp/escape.txt']])],
  ['a backslash path', multiFile('t', [['..\\..\\escape.txt']])],
  ['a NUL byte', multiFile('t', [[Buffer.from('ok\0/../../escape.txt', 'latin1')]])],
  ['an empty component', multiFile('t', [['', 'escape.txt']])],
  ['path.utf-8 that escapes while path looks fine', encode({
    info: {
      name: 't',
      'piece length': 16 * KB,
      pieces: pieces(Buffer.alloc(1000), 16 * KB),
      files: [{ length: 1000, path: ['fine.txt'], 'path.utf-8': ['..', 'escape.txt'] }],
    },
  })],
  ['a single file named ..', encode({ info: { name: '..', 'piece length': 16 * KB, pieces: pieces(Buffer.alloc(10), 16 * KB), length: 10 } })],
];

/** Every entry below `dir`, recursively, as relative paths. */
function tree(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' }).sort();
}

for (const [what, bytes] of ESCAPES) {
  test(`a torrent with ${what} is rejected before anything is written`, async (t) => {
    // base/ holds the torrent and an empty download folder; base/ is itself inside a fresh
    // temp folder, so even ../../ from the download folder stays in view
    const outer = tempDir(t);
    const base = join(outer, 'a', 'b');
    const dl = join(base, 'dl');
    mkdirSync(dl, { recursive: true });
    const file = join(base, 'evil.torrent');
    writeFileSync(file, bytes);
    const before = tree(outer);

    assert.throws(
      () => parseTorrent(bytes),
      (e: unknown) => e instanceof SwarmError && e.code === 'UNSAFE_PATH',
    );
    await assert.rejects(loadTorrentFile(file), (e: unknown) => e instanceof SwarmError && e.code === 'UNSAFE_PATH');
    const r = await runSwarm(['download', file, '-o', dl, '--no-trackers', '--quiet'], { timeoutMs: 20_000 });
    assert.equal(r.code, 2, `exit code 2 for bad input; stderr: ${r.stderr}`);
    assert.match(r.stderr, /evil\.torrent/);
    assert.deepEqual(tree(outer), before, 'nothing was created anywhere');
  });
}

test('a layout that escapes (forged past the parser) is refused by storage: no byte lands outside', async (t) => {
  const data = bytes(40 * KB);
  const src = writePayload(t, { 'f.bin': data });
  const m = await makeTorrent(join(src, 'f.bin'), 16 * KB);
  const forged = { ...m, layout: new PieceLayout([{ path: ['..', 'escape.bin'], length: data.length }], 16 * KB) };
  const outer = tempDir(t);
  const dl = join(outer, 'dl');
  mkdirSync(dl);
  // a peer that serves the right bytes: every piece verifies, so only storage stands in the way
  const fake = await FakePeer.listen(t, { torrent: { infoHash: m.infoHash, layout: forged.layout, data } }, (c) => {
    c.sendFullBitfield();
    c.send(UNCHOKE);
    c.serve();
  });
  let failed: Error | undefined;
  try {
    const leecher = await startPeer(t, forged, dl, {}, FAST);
    leecher.torrent.on('error', (e: Error) => (failed = e));
    leecher.torrent.addPeers([fake.address], 'manual');
    const deadline = Date.now() + 5000;
    while (!failed && leecher.torrent.phase !== 'error' && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    failed ??= leecher.torrent.error;
  } catch (e) {
    failed = e as Error;
  }
  assert.ok(failed instanceof SwarmError && failed.code === 'UNSAFE_PATH', `refused by storage: ${failed?.message}`);
  assert.deepEqual(
    tree(outer).filter((p) => !p.startsWith('dl')),
    [],
    'nothing next to the download folder',
  );
});

test('a .torrent claiming 1 GB is refused from its size alone, quickly', async (t) => {
  const dir = tempDir(t);
  const file = join(dir, 'huge.torrent');
  writeFileSync(file, 'd4:info');
  truncateSync(file, 1_000_000_000); // sparse: costs no disk
  const started = performance.now();
  const heap = process.memoryUsage().arrayBuffers;
  await assert.rejects(loadTorrentFile(file), (e: unknown) => e instanceof SwarmError && e.code === 'TOO_LARGE' && /1000000000 bytes/.test(e.message));
  const ms = performance.now() - started;
  assert.ok(ms < 1000, `took ${ms.toFixed(0)} ms`);
  assert.ok(process.memoryUsage().arrayBuffers - heap < MAX_TORRENT_BYTES, 'nothing the size of the file was allocated');
  // just over the cap is refused too; at the cap it is read (and then fails as bencode)
  truncateSync(file, MAX_TORRENT_BYTES + 1);
  await assert.rejects(loadTorrentFile(file), (e: unknown) => e instanceof SwarmError && e.code === 'TOO_LARGE');
  truncateSync(file, MAX_TORRENT_BYTES);
  await assert.rejects(loadTorrentFile(file), (e: unknown) => e instanceof SwarmError && e.code !== 'TOO_LARGE');
});

const BOMBS: Array<[string, () => Buffer]> = [
  ['nesting a million lists deep', () => Buffer.concat([Buffer.from('d4:info'), Buffer.alloc(1_000_000, 'l'), Buffer.alloc(1_000_000, 'e'), Buffer.from('e')])],
  ['nesting dictionaries deep', () => Buffer.from('d1:a'.repeat(200_000) + 'e'.repeat(200_000))],
  ['a string claiming a terabyte', () => Buffer.from('d4:info1000000000000:xe')],
  ['a string length beyond 2^53', () => Buffer.from('d4:info99999999999999999999:xe')],
  ['a negative string length', () => Buffer.from('d4:infol-3:abcee')],
  ['three million tiny integers', () => Buffer.concat([Buffer.from('d4:infol'), Buffer.alloc(9_000_000, 'i0e'), Buffer.from('ee')])],
  ['four million empty strings', () => Buffer.concat([Buffer.from('d4:infol'), Buffer.alloc(8_000_000, '0:'), Buffer.from('ee')])],
  ['a million empty dictionaries', () => Buffer.concat([Buffer.from('d4:infol'), Buffer.alloc(2_000_000, 'de'), Buffer.from('ee')])],
  ['an integer of 10^7 digits', () => Buffer.concat([Buffer.from('d4:infoi'), Buffer.alloc(9_000_000, '9'), Buffer.from('ee')])],
  ['a dictionary with 800,000 keys', () => {
    const parts = ['d'];
    for (let i = 0; i < 800_000; i++) parts.push(`7:k${String(i).padStart(6, '0')}i0e`);
    parts.push('e');
    return Buffer.from(parts.join(''));
  }],
];

for (const [what, make] of BOMBS) {
  test(`a bencode bomb (${what}) is rejected fast`, async (t) => {
    const bomb = make();
    assert.ok(bomb.length <= MAX_TORRENT_BYTES, `${bomb.length} bytes fits the file cap, so the decoder is what must stop it`);
    const file = join(tempDir(t), 'bomb.torrent');
    writeFileSync(file, bomb);
    // CPU time, not wall time: other test processes share the machine
    const cpu = process.cpuUsage();
    const started = performance.now();
    assert.throws(() => parseTorrent(bomb), (e: unknown) => e instanceof SwarmError);
    await assert.rejects(loadTorrentFile(file), (e: unknown) => e instanceof SwarmError);
    const used = process.cpuUsage(cpu);
    const ms = (used.user + used.system) / 1000;
    t.diagnostic(`${bomb.length} bytes rejected twice in ${ms.toFixed(0)} ms of CPU (${(performance.now() - started).toFixed(0)} ms wall)`);
    assert.ok(ms < 3000, `took ${ms.toFixed(0)} ms of CPU`);
  });
}
