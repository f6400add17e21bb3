import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { encode } from '../../../../src/bencode/encode.js';
import {
  buildAnnounceUrl,
  buildScrapeUrl,
  parseAnnounceResponse,
  parseScrapeResponse,
  percentEncodeBytes,
  scrapeUrlFor,
} from '../../../../src/tracker/protocol/http-client.js';
import {
  encodeHttpAnnounce,
  encodeHttpFailure,
  encodeHttpScrape,
  parseHttpAnnounce,
  parseHttpScrape,
  parseQuery,
} from '../../../../src/tracker/protocol/http-server.js';
import { encodeCompactPeer } from '../../../../src/tracker/protocol/compact.js';
import { TrackerError } from '../../../../src/util/errors.js';

const hash = Buffer.from('00ff2025267e2b41612f3d3f0a0d7f80fe2e2d5f', 'hex');
const pid = Buffer.from('-SW0001-abcdefghijkl');

function code(c: string) {
  return (e: unknown) => e instanceof TrackerError && e.code === c;
}

test('percent-encoding keeps only unreserved bytes', () => {
  assert.equal(percentEncodeBytes(Buffer.from('aZ09-._~ /+%&=', 'latin1')), 'aZ09-._~%20%2F%2B%25%26%3D');
  assert.equal(percentEncodeBytes(Buffer.from([0, 0xff, 0x0a])), '%00%FF%0A');
});

test('announce URL carries raw bytes percent-encoded and every field', () => {
  const url = buildAnnounceUrl('http://127.0.0.1:6969/announce', {
    infoHash: hash,
    peerId: pid,
    port: 6881,
    uploaded: 10,
    downloaded: 20,
    left: 30,
    event: 'started',
    numwant: 50,
    key: 0xdeadbeef,
    trackerId: Buffer.from('t 1'),
  });
  assert.equal(
    url,
    'http://127.0.0.1:6969/announce?info_hash=%00%FF%20%25%26~%2BAa%2F%3D%3F%0A%0D%7F%80%FE.-_&peer_id=-SW0001-abcdefghijkl' +
      '&port=6881&uploaded=10&downloaded=20&left=30&compact=1&event=started&numwant=50&key=deadbeef&trackerid=t%201',
  );
  // the server-side parser reads back exactly what the client wrote
  const q = parseQuery(new URL(url).search.slice(1));
  const a = parseHttpAnnounce(q);
  assert.deepEqual(a.infoHash, hash);
  assert.deepEqual(a.peerId, pid);
  assert.equal(a.event, 'started');
  assert.equal(a.numwant, 50);
  assert.equal(a.left, 30);
  assert.equal(a.compact, true);
  // a passkey query is kept, and no event means no event parameter
  const u2 = buildAnnounceUrl('https://t.example/a/announce?passkey=xyz#frag', { infoHash: hash, peerId: pid, port: 1, uploaded: 0, downloaded: 0, left: 0 });
  assert.ok(u2.startsWith('https://t.example/a/announce?passkey=xyz&info_hash='));
  assert.ok(!u2.includes('event=') && !u2.includes('#'));
});

test('any info hash and peer id survive client encoding and server decoding', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.uint8Array({ minLength: 20, maxLength: 20 }), fc.integer({ min: 1, max: 65535 }), fc.nat(), (h, p, port, left) => {
      const url = buildAnnounceUrl('http://x/announce', { infoHash: Buffer.from(h), peerId: Buffer.from(p), port, uploaded: 0, downloaded: 0, left });
      const a = parseHttpAnnounce(parseQuery(url.slice(url.indexOf('?') + 1)));
      assert.deepEqual(a.infoHash, Buffer.from(h));
      assert.deepEqual(a.peerId, Buffer.from(p));
      assert.equal(a.port, port);
      assert.equal(a.left, left);
    }),
  );
});

test('scrape URL follows BEP 48 and is undefined when the last segment is not announce', () => {
  assert.equal(scrapeUrlFor('http://t/announce'), 'http://t/scrape');
  assert.equal(scrapeUrlFor('http://t/x/announce.php?pk=1'), 'http://t/x/scrape.php?pk=1');
  assert.equal(scrapeUrlFor('http://t/a'), undefined);
  assert.equal(scrapeUrlFor('http://t/announce/x'), undefined);
  assert.equal(buildScrapeUrl('http://t/scrape', [hash, hash]).split('info_hash=').length, 3);
});

test('announce answer: compact peers, peers6, intervals, counts, tracker id, warning', () => {
  const body = encode({
    interval: 1800,
    'min interval': 60,
    complete: 3,
    incomplete: 4,
    downloaded: 9,
    'tracker id': Buffer.from('abc'),
    'warning message': 'slow\x1b[31m down',
    peers: Buffer.concat([encodeCompactPeer('10.0.0.1', 1)!, encodeCompactPeer('10.0.0.2', 2)!]),
    peers6: encodeCompactPeer('::1', 3)!,
  });
  const r = parseAnnounceResponse(body);
  assert.deepEqual(r.peers, [
    { host: '10.0.0.1', port: 1 },
    { host: '10.0.0.2', port: 2 },
    { host: '::1', port: 3 },
  ]);
  assert.equal(r.interval, 1800);
  assert.equal(r.minInterval, 60);
  assert.equal(r.complete, 3);
  assert.equal(r.incomplete, 4);
  assert.equal(r.downloaded, 9);
  assert.deepEqual(r.trackerId, Buffer.from('abc'));
  assert.equal(r.warning, 'slow?[31m down', 'control characters from a tracker never reach the terminal');
});

test('announce answer: dictionary peers (IPv4, IPv6, names), bad entries skipped', () => {
  const body = encode({
    interval: 60,
    peers: [
      { ip: '10.0.0.1', port: 6881, 'peer id': Buffer.alloc(20) },
      { ip: '::1', port: 6882 },
      { ip: 'peer.example', port: 1 },
      { ip: 'bad host\n', port: 1 },
      { ip: '10.0.0.2', port: 0 },
      { ip: '10.0.0.3', port: 70000 },
      { port: 5 },
      'junk',
    ],
  });
  assert.deepEqual(parseAnnounceResponse(body).peers, [
    { host: '10.0.0.1', port: 6881 },
    { host: '::1', port: 6882 },
    { host: 'peer.example', port: 1 },
  ]);
});

test('announce answer: failure reason, garbage and wrong shapes become TrackerErrors', () => {
  assert.throws(() => parseAnnounceResponse(encode({ 'failure reason': 'torrent not registered' })), (e: unknown) =>
    e instanceof TrackerError && e.code === 'FAILURE' && e.message === 'tracker refused: torrent not registered');
  assert.throws(() => parseAnnounceResponse(Buffer.from('<html>502</html>')), code('MALFORMED'));
  assert.throws(() => parseAnnounceResponse(Buffer.from('le')), code('MALFORMED'));
  assert.throws(() => parseAnnounceResponse(encode({ peers: 5 })), code('MALFORMED'));
  assert.throws(() => parseAnnounceResponse(encode({ peers: Buffer.alloc(5) })), code('MALFORMED'));
  assert.deepEqual(parseAnnounceResponse(encode({ interval: -5 })), { peers: [] }, 'negative numbers are ignored');
});

test('announce answer: peers beyond the cap are dropped', () => {
  const peers = Buffer.concat(Array.from({ length: 300 }, (_, i) => encodeCompactPeer(`10.0.${i >> 8}.${i & 255}`, 1)!));
  assert.equal(parseAnnounceResponse(encode({ interval: 1, peers }), { maxPeers: 100 }).peers.length, 100);
  const dict = Array.from({ length: 300 }, (_, i) => ({ ip: `10.0.${i >> 8}.${i & 255}`, port: 1 }));
  assert.equal(parseAnnounceResponse(encode({ interval: 1, peers: dict }), { maxPeers: 100 }).peers.length, 100);
});

test('scrape answer for one info hash', () => {
  const body = encodeHttpScrape([{ infoHash: hash, complete: 5, incomplete: 2, downloaded: 7 }]);
  assert.deepEqual(parseScrapeResponse(body, hash), { complete: 5, incomplete: 2, downloaded: 7 });
  assert.throws(() => parseScrapeResponse(body, Buffer.alloc(20)), code('NOT_FOUND'));
  assert.throws(() => parseScrapeResponse(encode({ x: 1 }), hash), code('MALFORMED'));
  assert.throws(() => parseScrapeResponse(encodeHttpFailure('no scrape here'), hash), code('FAILURE'));
});

test('server query parser: raw bytes, repeated keys, strict escapes, limits', () => {
  const q = parseQuery('info_hash=%00%ff+a&info_hash=b&flag&=x&&k%3D=v');
  assert.deepEqual(q.get('info_hash'), [Buffer.from([0, 0xff, 0x2b, 0x61]), Buffer.from('b')]);
  assert.deepEqual(q.get('flag'), [Buffer.alloc(0)]);
  assert.deepEqual(q.get('k='), [Buffer.from('v')]);
  assert.throws(() => parseQuery('a=%zz'), code('BAD_REQUEST'));
  assert.throws(() => parseQuery('a=%4'), code('BAD_REQUEST'));
  assert.throws(() => parseQuery('a=\u0100'), code('BAD_REQUEST'));
  assert.throws(() => parseQuery('a'.repeat(9000)), code('BAD_REQUEST'));
  assert.throws(() => parseQuery('a=1&'.repeat(201)), code('BAD_REQUEST'));
  assert.equal(parseQuery('a=1&'.repeat(199)).get('a')!.length, 199);
});

test('server announce parser: what is required and what each bad request says', () => {
  const good = `info_hash=${percentEncodeBytes(hash)}&peer_id=${percentEncodeBytes(pid)}&port=6881&left=0`;
  const a = parseHttpAnnounce(parseQuery(good));
  assert.equal(a.event, 'none');
  assert.equal(a.numwant, undefined);
  assert.equal(a.uploaded, 0);
  assert.equal(a.compact, true);
  assert.equal(parseHttpAnnounce(parseQuery(`${good}&compact=0&no_peer_id=1&event=paused&numwant=x`)).compact, false);
  const msg = (qs: string) => {
    try {
      parseHttpAnnounce(parseQuery(qs));
    } catch (e) {
      assert.ok(e instanceof TrackerError);
      return e.message;
    }
    return 'accepted';
  };
  assert.equal(msg(good.replace(/info_hash=[^&]*&/, '')), 'missing info_hash');
  assert.equal(msg(good.replace('info_hash=', 'info_hash=%00')), 'info_hash must be 20 bytes, not 21');
  assert.equal(msg(`${good}&info_hash=${percentEncodeBytes(hash)}`), 'more than one info_hash');
  assert.equal(msg(good.replace(/peer_id=[^&]*/, 'peer_id=short')), 'peer_id must be 20 bytes, not 5');
  assert.equal(msg(good.replace('port=6881', 'port=0')), 'bad port');
  assert.equal(msg(good.replace('port=6881', 'port=65536')), 'bad port');
  assert.equal(msg(good.replace('port=6881', 'port=-1')), 'bad port');
  assert.equal(msg(good.replace('port=6881&', '')), 'missing port');
  assert.equal(msg(good.replace('&left=0', '')), 'missing left');
  assert.equal(msg(good.replace('left=0', 'left=1e9')), 'bad left');
  assert.equal(msg(`${good}&uploaded=99999999999999999999`), 'accepted');
});

test('server scrape parser and encoders', () => {
  assert.deepEqual(parseHttpScrape(parseQuery(`info_hash=${percentEncodeBytes(hash)}`)), [hash]);
  assert.deepEqual(parseHttpScrape(parseQuery('')), []);
  assert.throws(() => parseHttpScrape(parseQuery('info_hash=abc')), code('BAD_REQUEST'));
  const many = Array.from({ length: 101 }, () => `info_hash=${percentEncodeBytes(hash)}`).join('&');
  assert.throws(() => parseHttpScrape(parseQuery(many)), code('BAD_REQUEST'));

  const peers4 = encodeCompactPeer('10.0.0.1', 5)!;
  const peers6 = encodeCompactPeer('::2', 6)!;
  const compact = parseAnnounceResponse(encodeHttpAnnounce({ interval: 30, minInterval: 10, complete: 1, incomplete: 2, peers4, peers6 }));
  assert.deepEqual(compact, { interval: 30, minInterval: 10, complete: 1, incomplete: 2, peers: [{ host: '10.0.0.1', port: 5 }, { host: '::2', port: 6 }] });
  const dict = encodeHttpAnnounce({ interval: 30, complete: 0, incomplete: 0, peers4, peers6 }, [
    { ip: '10.0.0.1', port: 5, peerId: pid },
    { ip: '::2', port: 6 },
  ]);
  assert.ok(dict.includes(Buffer.from('7:peer id20:-SW0001-abcdefghijkl')));
  assert.deepEqual(parseAnnounceResponse(dict).peers, [{ host: '10.0.0.1', port: 5 }, { host: '::2', port: 6 }]);
  assert.deepEqual(encodeHttpFailure('nope'), Buffer.from('d14:failure reason4:nopee'));
});
