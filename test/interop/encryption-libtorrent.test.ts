import assert from 'node:assert/strict';
import { test, type TestContext } from 'node:test';
import { assertSameFiles, makePayload, since, singleFile, SINGLE_PIECE } from './clients/common.js';
import { scratchDir } from './clients/cleanup.js';
import { LibtorrentPeer } from './clients/libtorrent.js';
import { needClients } from './clients/real.js';
import { ourDone, startOurs } from './clients/swarm-side.js';
import { VERSION } from '../../src/version.js';

/**
 * Message Stream Encryption with libtorrent, which opens every connection with it by
 * default and, set to require it, speaks nothing else. Its own peer list says how each
 * connection was made: 'plaintext' (MSE handshake, then plain bytes), 'rc4' or 'none'.
 */

async function theyLeech(t: TestContext, encryption: 'rc4' | undefined): Promise<LibtorrentPeer> {
  const p = await makePayload(t, singleFile(), SINGLE_PIECE);
  const us = await startOurs(t, p.metainfo, p.root);
  const dir = scratchDir(t, 'swarm-interop-mse-out-');
  const start = performance.now();
  // slowed to about 2 s so its status lines (every 0.1 s) catch the connection while it lasts
  const lt = new LibtorrentPeer(t, {
    torrentFile: p.torrentFile,
    dir,
    seed: false,
    peers: [us.port],
    downloadLimit: 1.5 * 1024 * 1024,
    every: 0.1,
    ...(encryption ? { encryption } : {}),
  });
  await lt.whenSeeding(60_000);
  const { code } = await lt.proc.wait(15_000);
  assert.equal(code, 0, lt.tail());
  t.diagnostic(`libtorrent (${encryption ?? 'default settings'}) downloaded ${p.metainfo.layout.totalLength} bytes from swarm in ${since(start)} ms`);
  assertSameFiles(p, dir, 'libtorrent (from swarm)');
  assert.equal(lt.status()?.failed, 0, lt.tail());
  assert.equal(us.log.violations(), 0, us.log.describe());
  return lt;
}

test('libtorrent as it comes opens with MSE: swarm answers it and they go on in plain bytes', async (t) => {
  if (!needClients(t, ['libtorrent'])) return;
  const lt = await theyLeech(t, undefined);
  assert.deepEqual([...lt.encryptions], ['plaintext'], lt.tail());
  // libtorrent names a peer by the v of its extended handshake (BEP 10), when it sent one
  assert.deepEqual([...lt.peerClients], [`swarm ${VERSION}`], lt.tail());
});

test('a libtorrent leecher that requires RC4 downloads from swarm, every byte ciphered', async (t) => {
  if (!needClients(t, ['libtorrent'])) return;
  const lt = await theyLeech(t, 'rc4');
  assert.deepEqual([...lt.encryptions], ['rc4'], lt.tail());
});

test('swarm downloads from a libtorrent seeder that requires RC4: the plain handshake is refused, MSE follows', async (t) => {
  if (!needClients(t, ['libtorrent'])) return;
  const p = await makePayload(t, singleFile(), SINGLE_PIECE);
  const lt = new LibtorrentPeer(t, { torrentFile: p.torrentFile, dir: p.root, seed: true, encryption: 'rc4', uploadLimit: 1.5 * 1024 * 1024, every: 0.1 });
  const port = await lt.listening();
  await lt.whenSeeding(30_000);
  const start = performance.now();
  const us = await startOurs(t, p.metainfo);
  us.torrent.addPeers([{ host: '127.0.0.1', port }], 'manual');
  await ourDone(us.torrent, 60_000, () => `${us.log.describe()}\n${lt.tail()}`);
  t.diagnostic(`swarm downloaded ${p.metainfo.layout.totalLength} bytes from libtorrent (RC4 required) in ${since(start)} ms`);
  assertSameFiles(p, us.root, 'swarm (from libtorrent, RC4)');
  assert.equal(us.torrent.stats().failedPieces, 0);
  await lt.stop();
  assert.ok(lt.encryptions.has('rc4'), lt.tail());
  assert.ok(!lt.encryptions.has('none'), lt.tail());
});
