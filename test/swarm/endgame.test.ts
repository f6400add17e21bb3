import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UNCHOKE } from '../../src/wire/messages.js';
import { FakePeer, until } from '../helpers/fake-peer.js';
import { FAST, local, whenDone } from './harness.js';
import { swarm } from './hostile-setup.js';

const KB = 1024;

test('endgame: the last pieces do not wait for a slow peer', async (t) => {
  const size = 1024 * KB;
  const rate = 10 * KB;
  // FAST's request timeout (3 s) never fires here: the slow peer finishes a block every 1.6 s,
  // so only endgame can take its blocks away
  const s = await swarm(t, { size, pieceLength: 64 * KB, limits: FAST });
  assert.ok((16 * KB) / rate < FAST.requestTimeoutMs! / 1000);
  const slow = await FakePeer.listen(t, { torrent: s.fake }, (c) => {
    c.sendFullBitfield();
    c.send(UNCHOKE);
    c.serve({ bytesPerSecond: rate });
  });
  s.leecher.torrent.addPeers([slow.address], 'manual');
  const minPipeline = s.leecher.torrent.limits.minPipeline;
  await until(() => (slow.connections[0]?.count('request') ?? 0) >= minPipeline, 3000, 'the slow peer to get a full pipeline');
  const held = slow.connections[0]!.count('request') * 16 * KB;
  const started = Date.now();
  s.leecher.torrent.addPeers([local(s.seeder.port)], 'manual');
  await whenDone(s.leecher.torrent);
  const took = Date.now() - started;
  assert.ok(s.same());
  const c = slow.connections[0]!;
  t.diagnostic(
    `done in ${took} ms; the slow peer held ${held / KB} KiB of requests (${(held / rate).toFixed(1)} s of its time), ` +
      `got ${c.count('request')} requests and ${c.count('cancel')} cancels; alone it would need ${size / rate} s`,
  );
  assert.ok(c.count('cancel') > 0, 'blocks requested from the slow peer were duplicated and cancelled');
  // waiting for the slow peer's requests alone would take held / rate seconds (>= 12.8 s)
  assert.ok(took < ((held / rate) * 1000) / 3, `took ${took} ms`);
});
