import assert from 'node:assert/strict';
import { createSocket } from 'node:dgram';
import { request } from 'node:http';
import { test, type TestContext } from 'node:test';
import { decode } from '../../../../src/bencode/decode.js';
import { isDict } from '../../../../src/bencode/types.js';
import { httpAnnounce, httpGet } from '../../../../src/tracker/client/http.js';
import { UdpTrackerClient } from '../../../../src/tracker/client/udp.js';
import { buildAnnounceUrl, percentEncodeBytes } from '../../../../src/tracker/protocol/http-client.js';
import { decodeUdpResponse, encodeAnnounceRequest, encodeConnectRequest, encodeScrapeRequest } from '../../../../src/tracker/protocol/udp.js';
import type { AnnounceParams } from '../../../../src/tracker/protocol/types.js';
import { startTracker, type RunningTracker, type TrackerOptions } from '../../../../src/tracker/server/index.js';
import { haveIPv6Loopback } from '../udp-helpers.js';

const HASH = Buffer.alloc(20, 0x42);

function params(port: number, left: number, extra: Partial<AnnounceParams> = {}): AnnounceParams {
  return { infoHash: HASH, peerId: Buffer.from(`-TT0001-${String(port).padStart(12, '0')}`), port, uploaded: 0, downloaded: 0, left, event: 'started', ...extra };
}

async function tracker(t: TestContext, opts: Partial<TrackerOptions> = {}): Promise<RunningTracker> {
  const tr = await startTracker({ port: 0, host: '127.0.0.1', interval: 60, ...opts });
  t.after(() => tr.close());
  return tr;
}

function udpClient(t: TestContext): UdpTrackerClient {
  const c = new UdpTrackerClient({ baseTimeoutMs: 500, maxRetries: 1 });
  t.after(() => c.close());
  return c;
}

/** Sends raw packets from one socket; collects what comes back within `ms`. */
async function rawUdp(port: number, packets: Buffer[], ms = 300, host = '127.0.0.1'): Promise<Buffer[]> {
  const s = createSocket(host.includes(':') ? 'udp6' : 'udp4');
  const got: Buffer[] = [];
  s.on('message', (m: Buffer) => got.push(m));
  await new Promise<void>((r) => s.bind(0, host, () => r()));
  for (const p of packets) s.send(p, port, host);
  await new Promise((r) => setTimeout(r, ms));
  await new Promise<void>((r) => s.close(() => r()));
  return got;
}

test('HTTP and UDP on one port number; peers flow between them', async (t) => {
  const tr = await tracker(t);
  const udp = udpClient(t);
  const http = `http://127.0.0.1:${tr.port}/announce`;
  const udpUrl = `udp://127.0.0.1:${tr.port}/announce`;
  const seed = await httpAnnounce(http, params(1001, 0));
  assert.deepEqual(seed, { interval: 60, minInterval: 30, complete: 1, incomplete: 0, downloaded: 0, peers: [] });
  const leech = await udp.announce(udpUrl, params(1002, 10));
  assert.deepEqual(leech, { interval: 60, complete: 1, incomplete: 1, peers: [{ host: '127.0.0.1', port: 1001 }] });
  const again = await httpAnnounce(http, params(1003, 10));
  assert.deepEqual(again.peers.map((p) => p.port).sort(), [1001, 1002]);
  const seed2 = await udp.announce(udpUrl, params(1001, 0, { event: undefined }));
  assert.deepEqual(seed2.peers.map((p) => p.port).sort(), [1002, 1003], 'a seeder gets the leechers only');
  assert.deepEqual(await udp.scrape(udpUrl, [HASH, Buffer.alloc(20)]), [
    { complete: 1, downloaded: 0, incomplete: 2 },
    { complete: 0, downloaded: 0, incomplete: 0 },
  ]);
  const s = tr.stats();
  assert.equal(s.torrents, 1);
  assert.equal(s.seeders, 1);
  assert.equal(s.leechers, 2);
  assert.equal(s.announces, 4);
  assert.ok(s.announcesPerSecond > 0);
});

test('HTTP: dictionary answers with and without peer ids, scrape, stats, 404 and 405', async (t) => {
  const tr = await tracker(t);
  const base = `http://127.0.0.1:${tr.port}`;
  await httpAnnounce(`${base}/announce`, params(2001, 5));
  const url = buildAnnounceUrl(`${base}/announce`, params(2002, 5)).replace('compact=1', 'compact=0');
  const dict = decode((await httpGet(url)).body);
  assert.ok(isDict(dict) && Array.isArray(dict.peers));
  const p0 = (dict.peers as unknown[])[0];
  assert.ok(isDict(p0 as never));
  const peer = p0 as Record<string, Buffer | number>;
  assert.equal((peer.ip as Buffer).toString(), '127.0.0.1');
  assert.equal(peer.port, 2001);
  assert.equal((peer['peer id'] as Buffer).toString(), '-TT0001-000000002001');
  const noId = decode((await httpGet(`${url}&no_peer_id=1`)).body) as Record<string, unknown>;
  assert.equal(((noId.peers as Array<Record<string, unknown>>)[0]!)['peer id'], undefined);

  const scrape = decode((await httpGet(`${base}/scrape?info_hash=${percentEncodeBytes(HASH)}`)).body) as Record<string, Record<string, Record<string, number>>>;
  assert.deepEqual({ ...scrape.files![HASH.toString('latin1')] }, { complete: 0, downloaded: 0, incomplete: 2 });
  const full = await httpGet(`${base}/scrape`);
  assert.match(full.body.toString(), /failure reason.*full scrape is not supported/);

  const stats = await httpGet(`${base}/stats`);
  assert.equal(stats.status, 200);
  const j = JSON.parse(stats.body.toString()) as Record<string, number>;
  assert.deepEqual([j.torrents, j.seeders, j.leechers, j.announces], [1, 0, 2, 3]);
  assert.equal(typeof j.announcesPerSecond, 'number');
  assert.equal((await httpGet(`${base}/`)).status, 404);
  const post = await new Promise<number>((resolve, reject) => {
    const req = request(`${base}/announce`, { method: 'POST' }, (res) => {
      res.resume();
      resolve(res.statusCode ?? 0);
    });
    req.on('error', reject);
    req.end();
  });
  assert.equal(post, 405);
});

test('bad HTTP requests get a failure reason and the server keeps going', async (t) => {
  const events: Array<Record<string, unknown>> = [];
  const tr = await tracker(t, { log: (e) => events.push(e as Record<string, unknown>) });
  const base = `http://127.0.0.1:${tr.port}/announce`;
  const good = buildAnnounceUrl(base, params(3001, 5));
  const reason = async (url: string) => {
    const r = await httpGet(url);
    assert.equal(r.status, 200);
    const d = decode(r.body) as Record<string, Buffer>;
    return d['failure reason']?.toString();
  };
  assert.equal(await reason(`${base}?peer_id=x`), 'missing info_hash');
  assert.equal(await reason(good.replace(/info_hash=[^&]*/, 'info_hash=abc')), 'info_hash must be 20 bytes, not 3');
  assert.equal(await reason(good.replace('port=3001', 'port=99999')), 'bad port');
  assert.equal(await reason(good.replace('port=3001', 'port=abc')), 'bad port');
  assert.equal(await reason(`${good}&x=%zz`), 'bad percent-escape in the query');
  assert.equal(await reason(`${good}${'&a=1'.repeat(300)}`), 'more than 200 query parameters');
  assert.equal(await reason(good), undefined, 'a good request still works');
  assert.equal(tr.stats().badRequests, 6);
  assert.equal(events.filter((e) => e.event === 'bad-request').length, 6);
  assert.equal(events.filter((e) => e.event === 'announce').length, 1);
  assert.ok(events.every((e) => typeof e.time === 'string'));
});

test('UDP: an unknown connection id (spoofed source) and garbage get no answer', async (t) => {
  const tr = await tracker(t);
  const announce = (cid: Buffer) => encodeAnnounceRequest(cid, 77, params(4001, 5));
  // a valid connect, and an announce with that id from the same socket: answered
  const s = createSocket('udp4');
  t.after(() => new Promise<void>((r) => s.close(() => r())));
  const got: Buffer[] = [];
  s.on('message', (m: Buffer) => got.push(m));
  await new Promise<void>((r) => s.bind(0, '127.0.0.1', () => r()));
  s.send(encodeConnectRequest(5), tr.port, '127.0.0.1');
  for (let i = 0; i < 100 && got.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
  const conn = decodeUdpResponse(got[0]!, 4);
  assert.ok(conn.action === 'connect' && conn.tid === 5);
  // the id is bound to the source address and port: from another socket it is worth nothing
  assert.deepEqual(await rawUdp(tr.port, [announce(conn.connectionId)]), []);
  assert.deepEqual(await rawUdp(tr.port, [announce(Buffer.alloc(8)), encodeScrapeRequest(Buffer.alloc(8), 1, [HASH])]), []);
  assert.deepEqual(await rawUdp(tr.port, [Buffer.alloc(0), Buffer.alloc(15), Buffer.from('GET / HTTP/1.1\r\n\r\n'), Buffer.alloc(200, 0xff)]), []);
  s.send(announce(conn.connectionId), tr.port, '127.0.0.1');
  for (let i = 0; i < 100 && got.length === 1; i++) await new Promise((r) => setTimeout(r, 10));
  const ok = decodeUdpResponse(got[1]!, 4);
  assert.ok(ok.action === 'announce' && ok.tid === 77);
  assert.equal(tr.stats().announces, 1, 'only the one from the right address counted');
  assert.equal(tr.stats().badRequests, 7, 'one foreign id, two zero ids, four garbage packets');
});

test('allow list: only listed info hashes, over HTTP and UDP; it can be replaced', async (t) => {
  const tr = await tracker(t, { allow: new Set([HASH.toString('hex').toUpperCase()]) });
  const udp = udpClient(t);
  const other = Buffer.alloc(20, 0x43);
  await httpAnnounce(`http://127.0.0.1:${tr.port}/announce`, params(5001, 5));
  await assert.rejects(httpAnnounce(`http://127.0.0.1:${tr.port}/announce`, params(5001, 5, { infoHash: other })), /tracker refused: info hash not allowed on this tracker/);
  await assert.rejects(udp.announce(`udp://127.0.0.1:${tr.port}`, params(5001, 5, { infoHash: other })), /tracker refused: info hash not allowed on this tracker/);
  assert.deepEqual(await udp.scrape(`udp://127.0.0.1:${tr.port}`, [other]), [{ complete: 0, downloaded: 0, incomplete: 0 }]);
  tr.setAllow(new Set([other.toString('hex')]));
  await udp.announce(`udp://127.0.0.1:${tr.port}`, params(5001, 5, { infoHash: other }));
  await assert.rejects(httpAnnounce(`http://127.0.0.1:${tr.port}/announce`, params(5001, 5)), /not allowed/);
  tr.setAllow(undefined);
  await httpAnnounce(`http://127.0.0.1:${tr.port}/announce`, params(5001, 5, { infoHash: Buffer.alloc(20, 9) }));
});

test('IPv6: peers6 over HTTP and 18-byte peers over UDP', async (t) => {
  if (!(await haveIPv6Loopback())) return t.skip('no IPv6 loopback on this machine');
  const tr = await tracker(t, { host: '::1' });
  const udp = udpClient(t);
  await httpAnnounce(`http://[::1]:${tr.port}/announce`, params(6001, 5));
  const r = await udp.announce(`udp://[::1]:${tr.port}/announce`, params(6002, 5));
  assert.deepEqual(r.peers, [{ host: '::1', port: 6001 }]);
  const body = (await httpGet(buildAnnounceUrl(`http://[::1]:${tr.port}/announce`, params(6003, 5)))).body;
  const d = decode(body) as Record<string, Buffer>;
  assert.equal(d.peers!.length, 0);
  assert.equal(d.peers6!.length, 36);
});

test('a throwing logger, a flood of junk and close(): nothing crashes, nothing stays open', async () => {
  const tr = await startTracker({ port: 0, host: '127.0.0.1', log: () => { throw new Error('logger broke'); } });
  const junk: Buffer[] = [];
  for (let i = 0; i < 300; i++) {
    const b = Buffer.alloc(Math.floor(Math.random() * 120));
    for (let j = 0; j < b.length; j++) b[j] = Math.floor(Math.random() * 256);
    if (i % 3 === 0 && b.length >= 16) b.writeUInt32BE(i % 4, 8);
    junk.push(b);
  }
  await rawUdp(tr.port, junk, 100);
  await httpAnnounce(`http://127.0.0.1:${tr.port}/announce`, params(7001, 5));
  const port = tr.port;
  await tr.close();
  await tr.close();
  // both the TCP and the UDP port are free again
  const { createServer } = await import('node:net');
  await new Promise<void>((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(port, '127.0.0.1', () => s.close(() => resolve()));
  });
  const u = createSocket('udp4');
  await new Promise<void>((resolve, reject) => {
    u.once('error', reject);
    u.bind(port, '127.0.0.1', () => u.close(() => resolve()));
  });
});

test('a taken port is a clear error', async (t) => {
  const tr = await tracker(t);
  await assert.rejects(startTracker({ port: tr.port, host: '127.0.0.1' }), /UDP port 127.0.0.1:\d+ is already in use/);
});

test('HTTP bounds: a client that never finishes its headers is cut off; connections are capped', async (t) => {
  const tr = await tracker(t, { http: { headersTimeoutMs: 300, maxConnections: 2 } });
  const { connect } = await import('node:net');
  const open = (): Promise<import('node:net').Socket> =>
    new Promise((resolve, reject) => {
      const s = connect(tr.port, '127.0.0.1', () => resolve(s));
      s.on('error', reject);
    });
  const closed = (s: import('node:net').Socket, ms: number) =>
    new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), ms);
      s.on('close', () => {
        clearTimeout(timer);
        resolve(true);
      });
    });
  const slow = await open();
  t.after(() => slow.destroy());
  slow.write('GET /announce?info_hash=');
  const t0 = Date.now();
  assert.equal(await closed(slow, 5000), true, 'the slow client was disconnected');
  assert.ok(Date.now() - t0 < 4000);
  const a = await open();
  const b = await open();
  const c = await open();
  t.after(() => [a, b, c].forEach((s) => s.destroy()));
  assert.equal(await closed(c, 1000), true, 'a third connection is refused while two are open');
  assert.equal(await closed(a, 100), false);
  // and the tracker still answers once they are gone
  a.destroy();
  b.destroy();
  await new Promise((r) => setTimeout(r, 50));
  assert.ok((await httpAnnounce(`http://127.0.0.1:${tr.port}/announce`, params(8001, 5))).interval);
});
