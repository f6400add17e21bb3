import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { bytesToIp, ipToBytes, normalizeAddress } from '../../../../src/tracker/protocol/ip.js';
import { decodeCompactPeers, encodeCompactPeer } from '../../../../src/tracker/protocol/compact.js';
import { TrackerError } from '../../../../src/util/errors.js';

test('IPv4 and IPv6 text to bytes and back', () => {
  assert.deepEqual(ipToBytes('127.0.0.1'), Buffer.from([127, 0, 0, 1]));
  assert.deepEqual(ipToBytes('::1'), Buffer.from('00000000000000000000000000000001', 'hex'));
  assert.deepEqual(ipToBytes('2001:db8::8:800:200c:417a'), Buffer.from('20010db8000000000008080020 0c417a'.replace(' ', ''), 'hex'));
  assert.deepEqual(ipToBytes('fe80::1%eth0'), Buffer.from('fe800000000000000000000000000001', 'hex'));
  assert.deepEqual(ipToBytes('::ffff:1.2.3.4'), Buffer.from('00000000000000000000ffff01020304', 'hex'));
  assert.deepEqual(ipToBytes('1::'), Buffer.from('00010000000000000000000000000000', 'hex'));
  assert.equal(ipToBytes('example.org'), undefined);
  assert.equal(ipToBytes('1.2.3.256'), undefined);
  assert.equal(bytesToIp(Buffer.from('20010db8000000000001000000000001', 'hex')), '2001:db8::1:0:0:1');
  assert.equal(bytesToIp(Buffer.from('00000000000000000000000000000001', 'hex')), '::1');
  assert.equal(bytesToIp(Buffer.alloc(16)), '::');
  assert.equal(bytesToIp(Buffer.from('00000000000000000000ffff7f000001', 'hex')), '127.0.0.1');
  assert.throws(() => bytesToIp(Buffer.alloc(5)), RangeError);
});

test('any 16 bytes survive bytes -> text -> bytes (except v4-mapped, which become IPv4)', () => {
  fc.assert(
    fc.property(fc.uint8Array({ minLength: 16, maxLength: 16 }), (a) => {
      const b = Buffer.from(a);
      const back = ipToBytes(bytesToIp(b))!;
      if (back.length === 4) assert.deepEqual(Buffer.concat([Buffer.from('00000000000000000000ffff', 'hex'), back]), b);
      else assert.deepEqual(back, b);
    }),
  );
  fc.assert(fc.property(fc.ipV4(), (s) => assert.equal(bytesToIp(ipToBytes(s)!), s)));
  const mapped = (b: Buffer) => (b.length === 4 ? Buffer.concat([Buffer.from('00000000000000000000ffff', 'hex'), b]) : b);
  fc.assert(
    fc.property(fc.ipV6(), (s) => {
      const b = ipToBytes(s)!;
      assert.equal(b.length, 16);
      const text = bytesToIp(b);
      assert.deepEqual(mapped(ipToBytes(text)!), b);
      // an independent oracle for the RFC 5952 text form: the WHATWG URL serializer
      if (text.includes(':')) assert.equal(text, new URL(`http://[${s}]/`).hostname.slice(1, -1));
    }),
  );
});

test('normalizeAddress unwraps v4-mapped addresses from dual-stack sockets', () => {
  assert.deepEqual(normalizeAddress('::ffff:127.0.0.1'), { host: '127.0.0.1', family: 4 });
  assert.deepEqual(normalizeAddress('10.0.0.1'), { host: '10.0.0.1', family: 4 });
  assert.deepEqual(normalizeAddress('::1'), { host: '::1', family: 6 });
});

test('compact peers: IPv4 (6 bytes) and IPv6 (18 bytes) round trip, port 0 dropped, bad length rejected', () => {
  const v4 = Buffer.concat([encodeCompactPeer('10.1.2.3', 6881)!, encodeCompactPeer('127.0.0.1', 0)!, encodeCompactPeer('1.2.3.4', 65535)!]);
  assert.equal(v4.length, 18);
  assert.deepEqual(decodeCompactPeers(v4, 4), [
    { host: '10.1.2.3', port: 6881 },
    { host: '1.2.3.4', port: 65535 },
  ]);
  const v6 = Buffer.concat([encodeCompactPeer('::1', 7000)!, encodeCompactPeer('2001:db8::5', 1)!]);
  assert.equal(v6.length, 36);
  assert.deepEqual(decodeCompactPeers(v6, 6), [
    { host: '::1', port: 7000 },
    { host: '2001:db8::5', port: 1 },
  ]);
  assert.throws(() => decodeCompactPeers(Buffer.alloc(7), 4), (e: unknown) => e instanceof TrackerError && e.code === 'MALFORMED');
  assert.throws(() => decodeCompactPeers(Buffer.alloc(20), 6), TrackerError);
  assert.equal(encodeCompactPeer('host.example', 1), undefined);
  // the cap on peers kept from one answer
  const many = Buffer.concat(Array.from({ length: 100 }, (_, i) => encodeCompactPeer(`10.0.0.${i + 1}`, 1000)!));
  assert.equal(decodeCompactPeers(many, 4, 10).length, 10);
  fc.assert(
    fc.property(fc.array(fc.tuple(fc.ipV4(), fc.integer({ min: 1, max: 65535 })), { maxLength: 50 }), (peers) => {
      const buf = Buffer.concat(peers.map(([h, p]) => encodeCompactPeer(h, p)!));
      assert.deepEqual(decodeCompactPeers(buf, 4), peers.map(([host, port]) => ({ host, port })));
    }),
  );
});
