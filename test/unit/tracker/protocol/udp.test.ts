import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  ANNOUNCE_REQUEST_SIZE,
  MAX_SCRAPE_HASHES,
  PROTOCOL_ID,
  decodeUdpRequest,
  decodeUdpResponse,
  encodeAnnounceRequest,
  encodeAnnounceResponse,
  encodeConnectRequest,
  encodeConnectResponse,
  encodeErrorResponse,
  encodeScrapeRequest,
  encodeScrapeResponse,
  peekTransaction,
} from '../../../../src/tracker/protocol/udp.js';
import { encodeCompactPeer } from '../../../../src/tracker/protocol/compact.js';
import { TrackerError } from '../../../../src/util/errors.js';

const cid = Buffer.from('0102030405060708', 'hex');
const hash = Buffer.alloc(20, 0xab);
const pid = Buffer.from('-SW0001-abcdefghijkl');
const malformed = (e: unknown) => e instanceof TrackerError && e.code === 'MALFORMED';

test('connect request: 16 bytes with the protocol id, read back by the tracker side', () => {
  const b = encodeConnectRequest(0xfedcba98);
  assert.equal(b.toString('hex'), '0000041727101980' + '00000000' + 'fedcba98');
  assert.deepEqual(decodeUdpRequest(b), { action: 'connect', tid: 0xfedcba98 });
  const wrong = Buffer.from(b);
  wrong[0] = 1;
  assert.throws(() => decodeUdpRequest(wrong), malformed);
  assert.deepEqual(PROTOCOL_ID, b.subarray(0, 8));
});

test('announce request: the BEP 15 layout, field by field', () => {
  const b = encodeAnnounceRequest(cid, 7, {
    infoHash: hash,
    peerId: pid,
    port: 6881,
    uploaded: 3,
    downloaded: 2 ** 40,
    left: 1,
    event: 'started',
    numwant: 50,
    key: 0xcafebabe,
  });
  assert.equal(b.length, ANNOUNCE_REQUEST_SIZE);
  assert.deepEqual(b.subarray(0, 8), cid);
  assert.equal(b.readUInt32BE(8), 1);
  assert.equal(b.readUInt32BE(12), 7);
  assert.deepEqual(b.subarray(16, 36), hash);
  assert.deepEqual(b.subarray(36, 56), pid);
  assert.equal(b.readBigUInt64BE(56), 2n ** 40n);
  assert.equal(b.readBigUInt64BE(64), 1n);
  assert.equal(b.readBigUInt64BE(72), 3n);
  assert.equal(b.readUInt32BE(80), 2);
  assert.equal(b.readUInt32BE(84), 0);
  assert.equal(b.readUInt32BE(88), 0xcafebabe);
  assert.equal(b.readInt32BE(92), 50);
  assert.equal(b.readUInt16BE(96), 6881);
  const r = decodeUdpRequest(b);
  assert.equal(r.action, 'announce');
  if (r.action !== 'announce') return;
  assert.deepEqual(r.connectionId, cid);
  assert.equal(r.tid, 7);
  assert.deepEqual(r.announce.infoHash, hash);
  assert.deepEqual(r.announce.peerId, pid);
  assert.equal(r.announce.event, 'started');
  assert.equal(r.announce.downloaded, 2 ** 40);
  assert.equal(r.announce.numwant, 50);
  assert.equal(r.announce.port, 6881);
  // defaults: no event, numwant -1 (tracker default)
  const d = decodeUdpRequest(encodeAnnounceRequest(cid, 1, { infoHash: hash, peerId: pid, port: 1, uploaded: 0, downloaded: 0, left: 0 }));
  assert.ok(d.action === 'announce' && d.announce.event === 'none' && d.announce.numwant === undefined);
  // a 2^64-1 "left" from an odd client does not overflow
  const huge = Buffer.from(b);
  huge.fill(0xff, 64, 72);
  const h = decodeUdpRequest(huge);
  assert.ok(h.action === 'announce' && h.announce.left === Number.MAX_SAFE_INTEGER);
  assert.throws(() => decodeUdpRequest(b.subarray(0, 97)), malformed);
  // BEP 41 options after the fixed part are ignored
  assert.equal(decodeUdpRequest(Buffer.concat([b, Buffer.from([2, 3, 0x61, 0x62, 0x63])])).action, 'announce');
});

test('announce request round trip for any values', () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 20, maxLength: 20 }),
      fc.integer({ min: 0, max: 0xffffffff }),
      fc.integer({ min: 1, max: 65535 }),
      fc.maxSafeNat(),
      fc.constantFrom(undefined, 'started', 'completed', 'stopped'),
      (h, tid, port, left, event) => {
        const r = decodeUdpRequest(encodeAnnounceRequest(cid, tid, { infoHash: Buffer.from(h), peerId: pid, port, uploaded: 0, downloaded: 0, left, event }));
        assert.ok(r.action === 'announce');
        assert.equal(r.tid, tid);
        assert.deepEqual(r.announce.infoHash, Buffer.from(h));
        assert.equal(r.announce.left, left);
        assert.equal(r.announce.port, port);
        assert.equal(r.announce.event, event ?? 'none');
      },
    ),
  );
});

test('scrape request: 1 to 74 hashes', () => {
  const b = encodeScrapeRequest(cid, 9, [hash, Buffer.alloc(20, 1)]);
  assert.equal(b.length, 56);
  const r = decodeUdpRequest(b);
  assert.ok(r.action === 'scrape');
  assert.deepEqual(r.infoHashes, [hash, Buffer.alloc(20, 1)]);
  assert.throws(() => encodeScrapeRequest(cid, 1, []), RangeError);
  assert.throws(() => encodeScrapeRequest(cid, 1, new Array(MAX_SCRAPE_HASHES + 1).fill(hash)), RangeError);
  assert.throws(() => decodeUdpRequest(b.subarray(0, 35)), malformed);
  const over = Buffer.concat([b.subarray(0, 16), Buffer.alloc(20 * 100)]);
  const o = decodeUdpRequest(over);
  assert.ok(o.action === 'scrape' && o.infoHashes.length === MAX_SCRAPE_HASHES, 'a tracker answers at most 74 hashes');
});

test('tracker side rejects short packets and unknown actions', () => {
  assert.throws(() => decodeUdpRequest(Buffer.alloc(15)), malformed);
  const b = Buffer.alloc(16);
  b.writeUInt32BE(9, 8);
  assert.throws(() => decodeUdpRequest(b), malformed);
  b.writeUInt32BE(3, 8);
  assert.throws(() => decodeUdpRequest(b), malformed, 'clients never send errors');
});

test('connect, announce (IPv4 and IPv6), scrape and error answers round trip', () => {
  assert.deepEqual(decodeUdpResponse(encodeConnectResponse(5, cid), 4), { action: 'connect', tid: 5, connectionId: cid });
  const p4 = Buffer.concat([encodeCompactPeer('127.0.0.1', 6881)!, encodeCompactPeer('10.0.0.1', 1)!]);
  assert.deepEqual(decodeUdpResponse(encodeAnnounceResponse(6, 1800, 3, 4, p4), 4), {
    action: 'announce',
    tid: 6,
    interval: 1800,
    leechers: 3,
    seeders: 4,
    peers: [{ host: '127.0.0.1', port: 6881 }, { host: '10.0.0.1', port: 1 }],
  });
  const p6 = encodeCompactPeer('::1', 7)!;
  const a6 = decodeUdpResponse(encodeAnnounceResponse(6, 10, 0, 1, p6), 6);
  assert.ok(a6.action === 'announce');
  assert.deepEqual(a6.peers, [{ host: '::1', port: 7 }]);
  assert.throws(() => decodeUdpResponse(encodeAnnounceResponse(6, 10, 0, 1, p4), 6), malformed, '12 bytes of peers is not a multiple of 18');
  assert.deepEqual(decodeUdpResponse(encodeScrapeResponse(8, [{ complete: 1, downloaded: 2, incomplete: 3 }]), 4), {
    action: 'scrape',
    tid: 8,
    stats: [{ complete: 1, downloaded: 2, incomplete: 3 }],
  });
  assert.deepEqual(decodeUdpResponse(encodeErrorResponse(9, 'bad \x07 torrent'), 4), { action: 'error', tid: 9, message: 'bad ? torrent' });
  assert.equal(peekTransaction(encodeErrorResponse(0xabcdef01, '')), 0xabcdef01);
  assert.equal(peekTransaction(Buffer.alloc(7)), undefined);
});

test('client side rejects truncated and unknown answers', () => {
  assert.throws(() => decodeUdpResponse(Buffer.alloc(7), 4), malformed);
  assert.throws(() => decodeUdpResponse(encodeConnectResponse(1, cid).subarray(0, 15), 4), malformed);
  assert.throws(() => decodeUdpResponse(encodeAnnounceResponse(1, 1, 1, 1, Buffer.alloc(0)).subarray(0, 19), 4), malformed);
  assert.throws(() => decodeUdpResponse(encodeScrapeResponse(1, [{ complete: 1, downloaded: 1, incomplete: 1 }]).subarray(0, 19), 4), malformed);
  const b = Buffer.alloc(16);
  b.writeUInt32BE(4, 0);
  assert.throws(() => decodeUdpResponse(b, 4), malformed);
  // a peer cap applies to UDP answers too
  const many = Buffer.concat(Array.from({ length: 50 }, (_, i) => encodeCompactPeer(`10.0.0.${i + 1}`, 1)!));
  const r = decodeUdpResponse(encodeAnnounceResponse(1, 1, 1, 1, many), 4, 20);
  assert.ok(r.action === 'announce' && r.peers.length === 20);
});
