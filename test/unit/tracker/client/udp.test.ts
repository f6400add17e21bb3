import assert from 'node:assert/strict';
import { test } from 'node:test';
import { UdpTrackerClient } from '../../../../src/tracker/client/udp.js';
import { encodeCompactPeer } from '../../../../src/tracker/protocol/compact.js';
import {
  encodeAnnounceResponse,
  encodeConnectResponse,
  encodeErrorResponse,
  encodeScrapeResponse,
} from '../../../../src/tracker/protocol/udp.js';
import type { AnnounceParams } from '../../../../src/tracker/protocol/types.js';
import { TrackerError } from '../../../../src/util/errors.js';
import { FakeClock, until } from '../fake-clock.js';
import { fakeUdpTracker, haveIPv6Loopback, type Received } from '../udp-helpers.js';

const cid = Buffer.from('c0ffee00c0ffee00', 'hex');
const params: AnnounceParams = { infoHash: Buffer.alloc(20, 9), peerId: Buffer.alloc(20, 8), port: 6881, uploaded: 0, downloaded: 0, left: 10, event: 'started' };
const peers = Buffer.concat([encodeCompactPeer('10.0.0.1', 1000)!, encodeCompactPeer('10.0.0.2', 2000)!]);

/** A well-behaved tracker. */
function honest(r: Received) {
  if (r.action === 0) return encodeConnectResponse(r.tid, cid);
  if (r.action === 1) return encodeAnnounceResponse(r.tid, 1800, 5, 6, peers);
  if (r.action === 2) return encodeScrapeResponse(r.tid, [{ complete: 1, downloaded: 2, incomplete: 3 }]);
  return undefined;
}

test('connect then announce; the connection id is reused for up to a minute, then renewed', async (t) => {
  const clock = new FakeClock();
  const tr = await fakeUdpTracker(honest);
  const c = new UdpTrackerClient({ clock });
  t.after(async () => {
    c.close();
    await tr.close();
  });
  const url = `udp://127.0.0.1:${tr.port}/announce`;
  const r = await c.announce(url, params);
  assert.deepEqual(r, { interval: 1800, complete: 6, incomplete: 5, peers: [{ host: '10.0.0.1', port: 1000 }, { host: '10.0.0.2', port: 2000 }] });
  assert.deepEqual(tr.got.map((g) => g.action), [0, 1]);
  assert.deepEqual(tr.got[1]!.msg.subarray(0, 8), cid, 'the announce carries the connection id');
  assert.equal(tr.got[1]!.msg.readUInt32BE(80), 2, 'event started');
  clock.t += 59_000;
  await c.announce(url, params);
  assert.deepEqual(tr.got.map((g) => g.action), [0, 1, 1], 'reused within the minute');
  clock.t += 1_000;
  await c.announce(url, params);
  assert.deepEqual(tr.got.map((g) => g.action), [0, 1, 1, 0, 1], 'renewed after a minute');
  const s = await c.scrape(url, [Buffer.alloc(20, 9)]);
  assert.deepEqual(s, [{ complete: 1, downloaded: 2, incomplete: 3 }]);
  assert.equal(tr.got.at(-1)!.action, 2);
  assert.equal(c.inFlight, 0);
});

test('answers with a wrong transaction id or from another address are ignored', async (t) => {
  const other = await fakeUdpTracker(() => undefined);
  const tr = await fakeUdpTracker((r, sock) => {
    if (r.action === 0) {
      // a stray answer with another tid, then the same answer from a different socket, then the real one
      other.sock.send(encodeConnectResponse(r.tid, Buffer.alloc(8, 1)), r.rinfo.port, r.rinfo.address);
      sock.send(encodeConnectResponse(r.tid ^ 1, Buffer.alloc(8, 2)), r.rinfo.port, r.rinfo.address);
      return encodeConnectResponse(r.tid, cid);
    }
    return honest(r);
  });
  const c = new UdpTrackerClient({ baseTimeoutMs: 2000 });
  t.after(async () => {
    c.close();
    await tr.close();
    await other.close();
  });
  await c.announce(`udp://127.0.0.1:${tr.port}`, params);
  assert.deepEqual(tr.got[1]!.msg.subarray(0, 8), cid, 'only the real answer was taken');
});

test('retransmits after 15 * 2^n s up to n = 8, re-connecting when the id has expired, then gives up', async (t) => {
  const clock = new FakeClock();
  const t0 = clock.now();
  const times: Array<[number, number]> = [];
  // answers connects only; announces vanish
  const tr = await fakeUdpTracker((r) => {
    times.push([(clock.now() - t0) / 1000, r.action]);
    return r.action === 0 ? encodeConnectResponse(r.tid, cid) : undefined;
  });
  const c = new UdpTrackerClient({ clock });
  t.after(async () => {
    c.close();
    await tr.close();
  });
  let outcome: unknown;
  const p = c.announce(`udp://127.0.0.1:${tr.port}/announce`, params).then(
    () => (outcome = 'resolved'),
    (e: unknown) => (outcome = e),
  );
  const waits = [15, 30, 60, 120, 240, 480, 960, 1920, 3840];
  for (let i = 0; i < waits.length; i++) {
    await until(() => times.filter(([, a]) => a === 1).length === i + 1, 5000, `announce #${i + 1}`);
    assert.equal(outcome, undefined);
    await clock.advance(waits[i]! * 1000 - 1);
    assert.equal(times.filter(([, a]) => a === 1).length, i + 1, `no resend before ${waits[i]} s`);
    await clock.advance(1);
  }
  await p;
  assert.ok(outcome instanceof TrackerError && outcome.code === 'TIMEOUT', String(outcome));
  assert.equal((outcome as Error).message, 'no answer after 9 tries');
  const announces = times.filter(([, a]) => a === 1).map(([s]) => s);
  assert.deepEqual(announces, [0, 15, 45, 105, 225, 465, 945, 1905, 3825]);
  // the first id was good for 60 s: a connect precedes every resend at or after 60 s
  const connects = times.filter(([, a]) => a === 0).map(([s]) => s);
  assert.deepEqual(connects, [0, 105, 225, 465, 945, 1905, 3825]);
  assert.equal(c.inFlight, 0);
});

test('a lost connect answer is retransmitted on the same schedule', async (t) => {
  const clock = new FakeClock();
  let drop = 2;
  const tr = await fakeUdpTracker((r) => (r.action === 0 && drop-- > 0 ? undefined : honest(r)));
  const c = new UdpTrackerClient({ clock, baseTimeoutMs: 100 });
  t.after(async () => {
    c.close();
    await tr.close();
  });
  let done = false;
  const p = c.announce(`udp://127.0.0.1:${tr.port}`, params).then(() => (done = true));
  await until(() => tr.got.length === 1);
  await clock.advance(100);
  await until(() => tr.got.length === 2);
  await clock.advance(200);
  await until(() => done);
  await p;
  assert.deepEqual(tr.got.map((g) => g.action), [0, 0, 0, 1]);
});

test('action 3 is a clear tracker error; a stale cached id is renewed once', async (t) => {
  let refuseAnnounce = 1;
  const tr = await fakeUdpTracker((r) => {
    if (r.action === 1 && refuseAnnounce-- > 0) return encodeErrorResponse(r.tid, 'connection id expired');
    if (r.action === 1 && r.msg.readUInt8(16) === 0xee) return encodeErrorResponse(r.tid, 'torrent not registered');
    return honest(r);
  });
  const c = new UdpTrackerClient({ baseTimeoutMs: 1000 });
  t.after(async () => {
    c.close();
    await tr.close();
  });
  const url = `udp://127.0.0.1:${tr.port}`;
  // first announce on a fresh connection id: the error is final
  await assert.rejects(c.announce(url, params), (e: unknown) => e instanceof TrackerError && e.message === 'tracker refused: connection id expired');
  // with a cached id that works: no connect
  await c.announce(url, params);
  // with a cached id the tracker no longer takes: one re-connect and a retry that succeeds
  refuseAnnounce = 1;
  await c.announce(url, params);
  // a refusal that a new id does not cure is final after one retry
  await assert.rejects(c.announce(url, { ...params, infoHash: Buffer.alloc(20, 0xee) }), (e: unknown) => e instanceof TrackerError && e.message === 'tracker refused: torrent not registered');
  assert.deepEqual(tr.got.map((g) => g.action), [0, 1, 1, 1, 0, 1, 1, 0, 1]);
});

test('a malformed answer fails the request at once', async (t) => {
  const tr = await fakeUdpTracker((r) => (r.action === 0 ? encodeConnectResponse(r.tid, cid) : Buffer.concat([encodeAnnounceResponse(r.tid, 1, 1, 1, Buffer.alloc(0)), Buffer.alloc(5)])));
  const c = new UdpTrackerClient({ baseTimeoutMs: 5000 });
  t.after(async () => {
    c.close();
    await tr.close();
  });
  const t0 = Date.now();
  await assert.rejects(c.announce(`udp://127.0.0.1:${tr.port}`, params), (e: unknown) => e instanceof TrackerError && e.code === 'MALFORMED');
  assert.ok(Date.now() - t0 < 2000);
  // a scrape answer with the wrong number of entries
  const tr2 = await fakeUdpTracker((r) => (r.action === 0 ? encodeConnectResponse(r.tid, cid) : encodeScrapeResponse(r.tid, [])));
  t.after(() => tr2.close());
  await assert.rejects(c.scrape(`udp://127.0.0.1:${tr2.port}`, [Buffer.alloc(20)]), /0 entries for 1 info hashes/);
});

test('bad addresses, the transaction table cap, abort and close', async (t) => {
  const tr = await fakeUdpTracker(() => undefined);
  const c = new UdpTrackerClient({ baseTimeoutMs: 60_000, maxPending: 2 });
  t.after(async () => {
    c.close();
    await tr.close();
  });
  await assert.rejects(c.announce('udp://127.0.0.1/announce', params), /has no port/);
  await assert.rejects(c.announce('http://127.0.0.1:1/announce', params), /not a UDP tracker/);
  await assert.rejects(c.announce('udp://[zz/announce', params), /not a valid URL/);
  const url = `udp://127.0.0.1:${tr.port}`;
  const ac = new AbortController();
  const p1 = c.announce(url, params, { signal: ac.signal });
  const p2 = c.announce(`udp://127.0.0.1:${tr.port}/x`, params);
  const p3 = c.scrape(`udp://localhost:${tr.port}`, [Buffer.alloc(20)]);
  await until(() => c.inFlight === 1);
  await new Promise((r) => setTimeout(r, 50));
  assert.equal(c.inFlight, 1, 'three requests to one tracker address share one connect');
  const p4 = c.announce(`udp://127.0.0.1:${tr.port + 1}`, params);
  await until(() => c.inFlight === 2);
  const p5 = c.announce(`udp://[::ffff:127.0.0.1]:${tr.port + 2}`, params);
  await assert.rejects(p5, (e: unknown) => e instanceof TrackerError && e.code === 'BUSY');
  ac.abort(new TrackerError('ABORTED', 'user gave up'));
  await assert.rejects(p1, /user gave up/);
  c.close();
  await assert.rejects(p2, (e: unknown) => e instanceof TrackerError && e.code === 'CLOSED');
  await assert.rejects(p3, (e: unknown) => e instanceof TrackerError && e.code === 'CLOSED');
  await assert.rejects(p4, (e: unknown) => e instanceof TrackerError && e.code === 'CLOSED');
  assert.equal(c.inFlight, 0);
  await assert.rejects(c.announce(url, params), /closed/);
});

test('IPv6 tracker: 18-byte peers', async (t) => {
  if (!(await haveIPv6Loopback())) return t.skip('no IPv6 loopback on this machine');
  const p6 = Buffer.concat([encodeCompactPeer('::1', 7000)!, encodeCompactPeer('2001:db8::2', 7001)!]);
  const tr = await fakeUdpTracker((r) => (r.action === 0 ? encodeConnectResponse(r.tid, cid) : encodeAnnounceResponse(r.tid, 60, 0, 2, p6)), '::1');
  const c = new UdpTrackerClient({ baseTimeoutMs: 2000 });
  t.after(async () => {
    c.close();
    await tr.close();
  });
  const r = await c.announce(`udp://[::1]:${tr.port}/announce`, params);
  assert.deepEqual(r.peers, [{ host: '::1', port: 7000 }, { host: '2001:db8::2', port: 7001 }]);
});

test('connection ids are remembered for a bounded number of trackers', async (t) => {
  const trackers = await Promise.all([1, 2, 3, 4].map(() => fakeUdpTracker(honest)));
  const c = new UdpTrackerClient({ maxConnections: 2 });
  t.after(async () => {
    c.close();
    await Promise.all(trackers.map((tr) => tr.close()));
  });
  for (const tr of trackers) {
    await c.announce(`udp://127.0.0.1:${tr.port}`, params);
    assert.ok(c.knownTrackers <= 2, `${c.knownTrackers} connection ids kept`);
  }
  assert.equal(c.knownTrackers, 2);
});
