import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Aria2Peer } from './clients/aria2.js';
import { scratchDir } from './clients/cleanup.js';
import { assertSameFiles, makePayload, since, singleFile, SINGLE_PIECE } from './clients/common.js';
import { needClients } from './clients/real.js';
import { ourDone, startOurs } from './clients/swarm-side.js';

/**
 * aria2 set to require encryption (MSE with RC4 only): a second implementation of the
 * spec besides libtorrent's. aria2 never dials a peer here, so swarm dials it both ways:
 * plain first, refused, then MSE. aria2's debug log tells of each handshake it took.
 */

const REFUSED_PLAIN = 'The legacy BitTorrent handshake is not acceptable by the preference';
const ENCRYPTED = 'This may be encrypted BitTorrent handshake';

test('swarm downloads from an aria2 seeder that requires encryption', async (t) => {
  if (!needClients(t, ['aria2'])) return;
  const p = await makePayload(t, singleFile(), SINGLE_PIECE);
  const aria = await Aria2Peer.start(t, { torrentFile: p.torrentFile, dir: p.root, seed: true, requireCrypto: true });
  await aria.whenSeeding(30_000);
  const start = performance.now();
  const us = await startOurs(t, p.metainfo);
  us.torrent.addPeers([{ host: '127.0.0.1', port: aria.port }], 'manual');
  await ourDone(us.torrent, 60_000, () => `${us.log.describe()}\n${aria.tail()}`);
  t.diagnostic(`swarm downloaded ${p.metainfo.layout.totalLength} bytes from aria2 (encryption required) in ${since(start)} ms`);
  assertSameFiles(p, us.root, 'swarm (from aria2, RC4)');
  const log = aria.log();
  assert.ok(log.includes(REFUSED_PLAIN), 'aria2 refused the plain handshake first');
  assert.ok(log.includes(ENCRYPTED), 'then took an encrypted one');
});

test('an aria2 leecher that requires encryption downloads from swarm', async (t) => {
  if (!needClients(t, ['aria2'])) return;
  const p = await makePayload(t, singleFile(), SINGLE_PIECE);
  const us = await startOurs(t, p.metainfo, p.root);
  const dir = scratchDir(t, 'swarm-interop-aria2-mse-');
  const aria = await Aria2Peer.start(t, { torrentFile: p.torrentFile, dir, seed: false, requireCrypto: true });
  await aria.whenListening();
  const start = performance.now();
  us.torrent.addPeers([{ host: '127.0.0.1', port: aria.port }], 'manual');
  const code = await aria.whenExited(60_000);
  assert.equal(code, 0, aria.tail());
  t.diagnostic(`aria2 (encryption required) downloaded ${p.metainfo.layout.totalLength} bytes from swarm in ${since(start)} ms`);
  assertSameFiles(p, dir, 'aria2 (from swarm, RC4)');
  assert.ok(aria.log().includes(ENCRYPTED), aria.tail());
  assert.equal(us.log.violations(), 0, us.log.describe());
});
