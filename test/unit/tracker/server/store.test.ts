import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { SwarmStore, type StoreAnswer } from '../../../../src/tracker/server/store.js';
import { PeerBlock } from '../../../../src/tracker/server/peer-block.js';
import { decodeCompactPeers, type PeerAddress } from '../../../../src/tracker/protocol/compact.js';
import { ConnectionIds } from '../../../../src/tracker/server/connid.js';
import { parseAllowList } from '../../../../src/tracker/server/allow.js';
import type { ServerAnnounce } from '../../../../src/tracker/protocol/types.js';
import { UsageError } from '../../../../src/util/errors.js';

const H1 = Buffer.alloc(20, 1);
const H2 = Buffer.alloc(20, 2);

function ann(port: number, left: number, extra: Partial<ServerAnnounce> = {}): ServerAnnounce {
  return { infoHash: H1, peerId: Buffer.alloc(20, port & 255), port, uploaded: 0, downloaded: 0, left, event: 'none', numwant: undefined, compact: true, noPeerId: false, ...extra };
}
const v4 = { host: '10.0.0.1', family: 4 as const };
/** The peers of an answer as they go on the wire, checked against its count and its records. */
function wire(a: StoreAnswer): PeerAddress[] {
  if (!a.ok) return [];
  const out = [...a.compact4.flatMap((b) => decodeCompactPeers(b, 4)), ...a.compact6.flatMap((b) => decodeCompactPeers(b, 6))];
  assert.equal(out.length, a.count);
  if (a.peers) assert.deepEqual(a.peers.map((p) => `${p.host}:${p.port}`).sort(), out.map((p) => `${p.host}:${p.port}`).sort());
  return out;
}
const ports = (a: StoreAnswer) => (a.ok ? wire(a).map((p) => p.port).sort((x, y) => x - y) : a.reason);
const rec = { records: true };

test('the asking peer is never returned to itself; seeders get no seeders', () => {
  const s = new SwarmStore(60_000);
  s.announce(ann(1, 0), v4, 0); // seeder
  s.announce(ann(2, 0), v4, 0); // seeder
  s.announce(ann(3, 5), v4, 0); // leecher
  assert.deepEqual(ports(s.announce(ann(4, 5), v4, 0, rec)), [1, 2, 3]);
  assert.deepEqual(ports(s.announce(ann(1, 0), v4, 0, rec)), [3, 4], 'a seeder gets only leechers, never itself');
  assert.deepEqual(ports(s.announce(ann(3, 5), v4, 0, rec)), [1, 2, 4]);
  const a = s.announce(ann(3, 5), v4, 0);
  assert.ok(a.ok && a.complete === 2 && a.incomplete === 2);
  assert.deepEqual(s.stats(), { torrents: 1, peers: 4, seeders: 2, leechers: 2 });
});

test('peers are keyed by address: the same ip:port with a new peer id is one peer', () => {
  const s = new SwarmStore(60_000);
  s.announce(ann(1, 5), v4, 0);
  s.announce(ann(1, 5, { peerId: Buffer.alloc(20, 0xaa) }), v4, 0);
  assert.equal(s.stats().peers, 1);
  s.announce(ann(1, 5), { host: '10.0.0.2', family: 4 }, 0);
  assert.equal(s.stats().peers, 2, 'another address is another peer');
});

test('numwant: default 50, capped at 200, 0 gives none', () => {
  const s = new SwarmStore(60_000);
  for (let p = 1; p <= 300; p++) s.announce(ann(p, 5, { numwant: 0 }), v4, 0);
  const count = (a: StoreAnswer) => (a.ok ? wire(a).length : -1);
  assert.equal(count(s.announce(ann(1000, 5), v4, 0)), 50);
  assert.equal(count(s.announce(ann(1000, 5, { numwant: 10_000 }), v4, 0)), 200);
  assert.equal(count(s.announce(ann(1000, 5, { numwant: 7 }), v4, 0)), 7);
  assert.equal(count(s.announce(ann(1000, 5, { numwant: 0 }), v4, 0)), 0);
  const custom = new SwarmStore(60_000, { defaultNumwant: 3, maxNumwant: 5 });
  for (let p = 1; p <= 10; p++) custom.announce(ann(p, 5), v4, 0);
  assert.equal(count(custom.announce(ann(99, 5), v4, 0)), 3);
  assert.equal(count(custom.announce(ann(99, 5, { numwant: 9 }), v4, 0)), 5);
});

test('the random start spreads answers over the whole swarm', () => {
  const s = new SwarmStore(60_000);
  for (let p = 1; p <= 100; p++) s.announce(ann(p, 5, { numwant: 0 }), v4, 0);
  const seen = new Set<number>();
  for (let i = 0; i < 50; i++) {
    const a = s.announce(ann(1000, 5, { numwant: 5 }), v4, 0);
    for (const p of wire(a)) seen.add(p.port);
  }
  assert.ok(seen.size > 60, `${seen.size} distinct peers handed out`);
});

test('peers expire after the ttl: a swarm drops them within a quarter ttl, sweep() frees them and empty torrents', () => {
  const s = new SwarmStore(1000);
  s.announce(ann(1, 5), v4, 0);
  s.announce(ann(2, 0), v4, 500);
  assert.deepEqual(ports(s.announce(ann(3, 5), v4, 999)), [1, 2]);
  // peer 1 expired at 1000; the swarm looked at 999 and looks again 250 ms (ttl / 4) later
  assert.deepEqual(ports(s.announce(ann(3, 5), v4, 1249)), [2], 'an expired peer is gone by its next look');
  assert.deepEqual(s.stats(), { torrents: 1, peers: 2, seeders: 1, leechers: 1 });
  s.announce(ann(4, 5, { infoHash: H2 }), v4, 1249);
  assert.equal(s.sweep(10_000), 3);
  assert.deepEqual(s.stats(), { torrents: 0, peers: 0, seeders: 0, leechers: 0 });
});

test('stopped removes the peer; completed counts a download once per peer', () => {
  const s = new SwarmStore(60_000);
  s.announce(ann(1, 5, { event: 'started' }), v4, 0);
  s.announce(ann(1, 0, { event: 'completed' }), v4, 0);
  s.announce(ann(1, 0, { event: 'completed' }), v4, 0);
  assert.deepEqual(s.scrape(H1), { complete: 1, incomplete: 0, downloaded: 1 });
  const a = s.announce(ann(1, 0, { event: 'stopped' }), v4, 0);
  assert.ok(a.ok && a.count === 0 && a.complete === 0);
  assert.deepEqual(s.stats(), { torrents: 1, peers: 0, seeders: 0, leechers: 0 });
  assert.deepEqual(s.scrape(H2), { complete: 0, incomplete: 0, downloaded: 0 });
  assert.ok(s.announce(ann(9, 0, { event: 'stopped', infoHash: H2 }), v4, 0).ok, 'stopped for an unknown torrent is fine');
  assert.equal(s.stats().torrents, 1, 'and creates nothing');
});

test('caps: torrents, peers per torrent, peers in all', () => {
  const s = new SwarmStore(60_000, { maxTorrents: 2, maxPeersPerTorrent: 3, maxPeers: 5 });
  s.announce(ann(1, 5, { infoHash: H1 }), v4, 0);
  s.announce(ann(1, 5, { infoHash: H2 }), v4, 0);
  const third = s.announce(ann(1, 5, { infoHash: Buffer.alloc(20, 3) }), v4, 0);
  assert.deepEqual(third, { ok: false, reason: 'tracker is full: too many torrents' });
  for (let p = 2; p <= 10; p++) s.announce(ann(p, 5, { infoHash: H1 }), v4, 0);
  assert.equal(s.scrape(H1).incomplete, 3, 'at most 3 peers in one torrent');
  const full = s.announce(ann(50, 5, { infoHash: H1 }), v4, 0);
  assert.deepEqual(ports(full), [1, 2, 3], 'a peer that does not fit still gets peers');
  for (let p = 2; p <= 10; p++) s.announce(ann(p, 5, { infoHash: H2 }), v4, 0);
  assert.equal(s.stats().peers, 5, 'at most 5 peers in all');
});

test('family filter (UDP answers carry one address size) and IPv6 compact form', () => {
  const s = new SwarmStore(60_000);
  s.announce(ann(1, 5), v4, 0);
  s.announce(ann(2, 5), { host: '::1', family: 6 }, 0);
  assert.deepEqual(ports(s.announce(ann(3, 5), { ...v4, onlyFamily: 4 }, 0)), [1]);
  const a = s.announce(ann(3, 5), { host: '::2', family: 6, onlyFamily: 6 }, 0);
  assert.ok(a.ok && a.count === 1 && a.compact4.length === 0 && a.compact6[0]!.length === 18);
  assert.deepEqual(ports(s.announce(ann(4, 5), v4, 0, rec)), [1, 2, 3, 3]);
  assert.deepEqual(s.announce(ann(1, 5), { host: 'not-an-ip', family: 4 }, 0), { ok: false, reason: 'cannot tell your address' });
});

test('connection ids: bound to address and port, valid for the current and previous minute', () => {
  const ids = new ConnectionIds(60_000, Buffer.alloc(32, 7));
  const t0 = 6_000_000; // the start of a bucket
  const id = ids.issue('127.0.0.1', 5000, t0);
  assert.equal(id.length, 8);
  assert.ok(ids.check(id, '127.0.0.1', 5000, t0));
  assert.ok(ids.check(id, '127.0.0.1', 5000, t0 + 119_999), 'valid until the end of the next minute');
  assert.ok(!ids.check(id, '127.0.0.1', 5000, t0 + 120_000), 'then it expires');
  assert.ok(!ids.check(id, '127.0.0.2', 5000, t0), 'another address cannot use it');
  assert.ok(!ids.check(id, '127.0.0.1', 5001, t0), 'another port cannot use it');
  assert.ok(!ids.check(id.subarray(0, 7), '127.0.0.1', 5000, t0));
  assert.ok(!new ConnectionIds(60_000, Buffer.alloc(32, 8)).check(id, '127.0.0.1', 5000, t0), 'another secret, another id');
  assert.ok(!ids.issue('102:304::', 1, t0).equals(ids.issue('1.2.3.4', 1, t0)), 'IPv4 and IPv6 addresses never collide');
  // a guessed id works with probability 2^-64: none of a few thousand random ones does
  let hits = 0;
  for (let i = 0; i < 5000; i++) if (ids.check(Buffer.from(Array.from({ length: 8 }, () => Math.floor(Math.random() * 256))), '127.0.0.1', 5000, t0)) hits++;
  assert.equal(hits, 0);
});

test('connection ids: the cache of verified ids expires with them, is bounded, and only takes verified ids', () => {
  const ids = new ConnectionIds(60_000, Buffer.alloc(32, 7), 2);
  const t0 = 6_000_000;
  const a = ids.issue('127.0.0.1', 1, t0);
  assert.ok(ids.check(a, '127.0.0.1', 1, t0)); // now cached
  assert.ok(ids.check(a, '127.0.0.1', 1, t0 + 119_999));
  assert.ok(!ids.check(a, '127.0.0.1', 1, t0 + 120_000), 'a cached id expires like any other');
  // more verified addresses than the cache holds: every one still checks out
  const peers = [1, 2, 3, 4, 5].map((port) => ({ port, id: ids.issue('127.0.0.1', port, t0) }));
  for (let round = 0; round < 2; round++) {
    for (const p of peers) {
      assert.ok(ids.check(p.id, '127.0.0.1', p.port, t0));
      assert.ok(ids.cached <= 2, `${ids.cached} cached ids`);
    }
  }
  // a wrong id never gets in, so it fails however often it is tried
  const before = ids.cached;
  for (let i = 0; i < 3; i++) assert.ok(!ids.check(Buffer.alloc(8, i), '127.0.0.1', 9, t0));
  assert.equal(ids.cached, before);
});

test('allow list: hex per line, comments and blanks ignored, bad lines named', () => {
  const s = parseAllowList(`# test\n${'AB'.repeat(20)}\n\n  ${'01'.repeat(20)}  # second\r\n`);
  assert.deepEqual([...s], ['ab'.repeat(20), '01'.repeat(20)]);
  assert.throws(() => parseAllowList(`${'ab'.repeat(20)}\nnot-a-hash\n`, 'list.txt'), (e: unknown) =>
    e instanceof UsageError && e.message === 'list.txt, line 2: expected a 40-digit hex info hash, got "not-a-hash"');
  assert.throws(() => parseAllowList('ab'.repeat(21)), UsageError);
  assert.equal(parseAllowList('').size, 0);
});

test('property: answers match a simple model of the swarm (count, no self, no seeders for seeders, no duplicates)', () => {
  const hosts = ['10.0.0.1', '10.0.0.2', '::1', '2001:db8::7'] as const;
  const op = fc.record({
    host: fc.constantFrom(...hosts),
    port: fc.integer({ min: 1, max: 6 }),
    left: fc.constantFrom(0, 5),
    event: fc.constantFrom('none', 'started', 'completed', 'stopped') as fc.Arbitrary<ServerAnnounce['event']>,
    numwant: fc.option(fc.integer({ min: 0, max: 30 }), { nil: undefined }),
    udp: fc.boolean(),
  });
  fc.assert(
    fc.property(fc.array(op, { minLength: 1, maxLength: 80 }), fc.integer({ min: 0, max: 1000 }), (ops, seed) => {
      let x = seed;
      const s = new SwarmStore(60_000, { defaultNumwant: 7 }, () => ((x = (x * 16807 + 11) % 2147483647) / 2147483647));
      const model = new Map<string, { seeder: boolean; family: 4 | 6 }>();
      for (const o of ops) {
        const family = o.host.includes(':') ? 6 : 4;
        const key = `${o.host}|${o.port}`;
        const a = s.announce(ann(o.port, o.left, { event: o.event, numwant: o.numwant }), { host: o.host, family, ...(o.udp ? { onlyFamily: family } : {}) }, 0, rec);
        assert.ok(a.ok);
        if (o.event === 'stopped') model.delete(key);
        else model.set(key, { seeder: o.left === 0, family });
        const got = wire(a).map((p) => `${p.host}|${p.port}`);
        assert.equal(new Set(got).size, got.length, 'no duplicates');
        if (o.event === 'stopped') {
          assert.equal(got.length, 0);
          continue;
        }
        const eligible = [...model].filter(([k, v]) => k !== key && !(o.left === 0 && v.seeder) && (!o.udp || v.family === family)).map(([k]) => k);
        assert.equal(got.length, Math.min(o.numwant ?? 7, eligible.length));
        for (const g of got) assert.ok(eligible.includes(g), `${g} was not eligible for ${key}`);
        const seeders = [...model.values()].filter((v) => v.seeder).length;
        assert.deepEqual([a.complete, a.incomplete], [seeders, model.size - seeders]);
      }
      assert.equal(s.stats().peers, model.size);
    }),
    { numRuns: 300 },
  );
});

test('a peer block keeps entries contiguous and gives memory back when it shrinks', () => {
  const b = new PeerBlock(4);
  const slots = Array.from({ length: 1000 }, (_, i) => {
    const slot = { block: b, index: -1 };
    const c = Buffer.alloc(6);
    c.writeUInt32BE(i, 0);
    b.add(slot, c);
    return { slot, i };
  });
  assert.equal(b.count, 1000);
  assert.ok(b.buf.length >= 6000);
  for (const { slot } of slots.slice(0, 998)) b.remove(slot);
  assert.equal(b.count, 2);
  assert.ok(b.buf.length <= 6 * 16, `${b.buf.length} bytes kept for 2 peers`);
  // the two left are intact and where their slots say
  for (const { slot, i } of slots.slice(998)) assert.equal(b.slice(slot.index, slot.index + 1).readUInt32BE(0), i);
});

test('a stopped announce asked for records gets an empty list of them, like any answer (found by the http-query fuzzer)', () => {
  const s = new SwarmStore(60_000);
  s.announce(ann(1, 5), v4, 0, rec);
  s.announce(ann(2, 5), v4, 0, rec);
  for (const port of [2, 9]) {
    const a = s.announce(ann(port, 5, { event: 'stopped' }), v4, 0, rec);
    assert.ok(a.ok);
    assert.equal(a.count, 0);
    assert.deepEqual(a.peers, [], `stopped from ${port === 2 ? 'a known' : 'an unknown'} peer`);
  }
  const plain = s.announce(ann(1, 5, { event: 'stopped' }), v4, 0);
  assert.ok(plain.ok && plain.peers === undefined, 'no records unless asked for');
});
