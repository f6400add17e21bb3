import assert from 'node:assert/strict';
import { createServer } from 'node:http';
import { test } from 'node:test';
import { Announcer, type PeerFromTracker } from '../../../../src/tracker/client/announcer.js';
import { UdpTrackerClient } from '../../../../src/tracker/client/udp.js';
import { startTracker } from '../../../../src/tracker/server/index.js';
import { fakeUdpTracker } from '../udp-helpers.js';

/** The announcer with its real transports against misbehaving trackers and our own tracker. */
test('garbage from one tracker is a tracker error on that tracker only; the next one gives peers', async (t) => {
  const garbage = createServer((_req, res) => res.end('<html>502 Bad Gateway</html>'));
  await new Promise<void>((r) => garbage.listen(0, '127.0.0.1', () => r()));
  t.after(() => new Promise<void>((r) => garbage.close(() => r())));
  const silentUdp = await fakeUdpTracker(() => undefined);
  t.after(() => silentUdp.close());
  const real = await startTracker({ port: 0, host: '127.0.0.1', interval: 60 });
  t.after(() => real.close());
  const udp = new UdpTrackerClient({ baseTimeoutMs: 50, maxRetries: 1 });
  t.after(() => udp.close());

  const infoHash = Buffer.alloc(20, 0x31);
  const make = (port: number, tiers: string[][]) =>
    new Announcer({ infoHash, peerId: Buffer.from(`-SW0001-${String(port).padStart(12, '0')}`), port, tiers, stats: () => ({ uploaded: 0, downloaded: 0, left: 100 }), udp, announceTimeoutMs: 2000 });
  // someone already in the swarm
  const other = make(9001, [[`http://127.0.0.1:${real.port}/announce`]]);
  t.after(() => other.stop(500));
  other.start();
  for (let i = 0; i < 200 && real.stats().peers === 0; i++) await new Promise((r) => setTimeout(r, 10));

  const garbageUrl = `http://127.0.0.1:${(garbage.address() as { port: number }).port}/announce`;
  const silentUrl = `udp://127.0.0.1:${silentUdp.port}/announce`;
  const goodUrl = `udp://127.0.0.1:${real.port}/announce`;
  const a = make(9002, [[garbageUrl], [silentUrl], [goodUrl]]);
  t.after(() => a.stop(500));
  const errors: Array<{ url: string; message: string }> = [];
  a.on('tracker-error', (e: { url: string; message: string }) => errors.push(e));
  const peers = new Promise<PeerFromTracker[]>((resolve) => a.once('peers', resolve));
  a.start();
  const got = await peers;
  assert.deepEqual(got, [{ host: '127.0.0.1', port: 9001, source: 'tracker', tracker: goodUrl }]);
  assert.deepEqual(errors.map((e) => e.url), [garbageUrl, silentUrl]);
  assert.match(errors[0]!.message, /not valid bencode/);
  assert.equal(errors[1]!.message, 'no answer after 2 tries');
  assert.deepEqual(a.status().map((s) => [s.url, s.ok]), [[garbageUrl, false], [silentUrl, false], [goodUrl, true]]);
  // stopped goes to the tracker that answered, and it forgets us
  await a.stop(2000);
  assert.equal(real.stats().peers, 1);
});
