import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { PeerConnection } from '../../src/torrent/peer-connection.js';
import { assertSameFiles, makePayload, since, singleFile, SINGLE_PIECE } from './clients/common.js';
import { needClients } from './clients/real.js';
import { ourDone, startOurs } from './clients/swarm-side.js';
import { TransmissionPeer } from './clients/transmission.js';

/**
 * Transmission set to require encryption (`-er`), a third MSE implementation. It never
 * dials a loopback peer, so swarm dials it: plain first, refused, then MSE, where
 * Transmission chooses RC4. swarm's own connection says how it was made.
 */
test('swarm downloads from a Transmission seeder that requires encryption, over RC4', async (t) => {
  if (!needClients(t, ['transmission'])) return;
  const p = await makePayload(t, singleFile(), SINGLE_PIECE);
  const tr = await TransmissionPeer.start(t, { torrentFile: p.torrentFile, dir: p.root, encryptionRequired: true });
  await tr.whenSeeding(30_000);
  const start = performance.now();
  const us = await startOurs(t, p.metainfo);
  const made: string[] = [];
  us.torrent.peers.on('peer', (peer: PeerConnection) => made.push(peer.transport.encryption));
  us.torrent.addPeers([{ host: '127.0.0.1', port: tr.port }], 'manual');
  await ourDone(us.torrent, 90_000, () => `${us.log.describe()}\n${tr.tail()}`);
  t.diagnostic(`swarm downloaded ${p.metainfo.layout.totalLength} bytes from Transmission (encryption required) in ${since(start)} ms`);
  assertSameFiles(p, us.root, 'swarm (from Transmission, RC4)');
  assert.deepEqual(made, ['rc4']);
});
