import assert from 'node:assert/strict';
import { join } from 'node:path';
import { test, type TestContext } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { PeerConnection } from '../../src/torrent/peer-connection.js';
import type { EncryptionMode } from '../../src/torrent/session.js';
import { tempDir } from '../helpers/tmp.js';
import { bytes, FAST, local, makeTorrent, sameFile, startPeer, whenDone, writePayload } from './harness.js';

/** How each connection a torrent made or accepted was made ('none', 'plaintext' or 'rc4'). */
function encryptions(peer: { torrent: { peers: { on(e: 'peer', f: (p: PeerConnection) => void): unknown } } }): string[] {
  const seen: string[] = [];
  peer.torrent.peers.on('peer', (p) => seen.push(p.transport.encryption));
  return seen;
}

async function pair(t: TestContext, seederMode: EncryptionMode, leecherMode: EncryptionMode) {
  const src = writePayload(t, { 'enc.bin': bytes(1024 * 1024 + 77) });
  const m = await makeTorrent(join(src, 'enc.bin'), 64 * 1024);
  const seeder = await startPeer(t, m, src, {}, FAST, seederMode);
  const out = tempDir(t);
  const leecher = await startPeer(t, m, out, {}, FAST, leecherMode);
  const seen = { seeder: encryptions(seeder), leecher: encryptions(leecher) };
  leecher.torrent.addPeers([local(seeder.port)], 'manual');
  return { src, out, seeder, leecher, seen };
}

for (const [seederMode, leecherMode, want] of [
  ['allow', 'allow', 'none'],
  ['require', 'allow', 'rc4'],
  ['allow', 'require', 'rc4'],
  ['require', 'require', 'rc4'],
] as const) {
  test(`--encryption ${seederMode} seeder, ${leecherMode} leecher: the download completes over ${want === 'none' ? 'a plain connection' : 'RC4'}`, async (t) => {
    const { src, out, leecher, seen } = await pair(t, seederMode, leecherMode);
    await whenDone(leecher.torrent);
    assert.ok(sameFile(join(src, 'enc.bin'), join(out, 'enc.bin')));
    assert.equal(leecher.torrent.stats().failedPieces, 0);
    assert.deepEqual(seen.leecher, [want]);
    assert.deepEqual(seen.seeder, [want]);
  });
}

for (const [seederMode, leecherMode] of [
  ['off', 'require'],
  ['require', 'off'],
] as const) {
  test(`--encryption ${seederMode} seeder, ${leecherMode} leecher: they never connect`, async (t) => {
    const { leecher, seen } = await pair(t, seederMode, leecherMode);
    await sleep(1500);
    assert.deepEqual(seen.leecher, []);
    assert.deepEqual(seen.seeder, []);
    assert.equal(leecher.torrent.stats().doneBytes, 0);
  });
}
