import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  checkProtocolPrefix,
  HandshakeReader,
  encodeHandshake,
  makeReserved,
  parseHandshake,
  reservedFlags,
  supportsDht,
  supportsExtensionProtocol,
  supportsFastExtension,
} from '../../../src/wire/handshake.js';
import { WireError } from '../../../src/util/errors.js';

const isWire = (code: string) => (e: unknown) => e instanceof WireError && e.code === code;
const infoHash = Buffer.alloc(20, 0xaa);
const peerId = Buffer.from('-SW0001-abcdefghijkl');

test('encodes the 68-byte handshake and parses it back', () => {
  const reserved = makeReserved({ extensionProtocol: true, fast: true });
  const hs = encodeHandshake({ infoHash, peerId, reserved });
  assert.equal(hs.length, 68);
  assert.equal(hs[0], 19);
  assert.equal(hs.subarray(1, 20).toString('latin1'), 'BitTorrent protocol');
  assert.deepEqual(hs.subarray(20, 28), Buffer.from('0000000000100004', 'hex'));
  // trailing bytes (the first messages) are left for the caller
  const parsed = parseHandshake(Buffer.concat([hs, Buffer.from([0, 0, 0, 0])]));
  assert.deepEqual(parsed, { reserved, infoHash, peerId });
  hs.fill(0, 28);
  assert.deepEqual(parsed.infoHash, infoHash, 'the parsed fields are copies');
  assert.deepEqual(encodeHandshake({ infoHash, peerId }).subarray(20, 28), Buffer.alloc(8));
});

test('refuses a wrong protocol string, a short handshake and wrong field sizes', () => {
  const good = encodeHandshake({ infoHash, peerId });
  const wrongLen = Buffer.from(good);
  wrongLen[0] = 18;
  assert.throws(() => parseHandshake(wrongLen), isWire('BAD_HANDSHAKE'));
  const wrongName = Buffer.from(good);
  wrongName[5] = 0x78;
  assert.throws(() => parseHandshake(wrongName), isWire('BAD_HANDSHAKE'));
  assert.throws(() => parseHandshake(good.subarray(0, 67)), isWire('BAD_HANDSHAKE'));
  assert.throws(() => parseHandshake(Buffer.from('GET / HTTP/1.1\r\nHost: x\r\n\r\n'.repeat(3))), isWire('BAD_HANDSHAKE'));
  assert.throws(() => encodeHandshake({ infoHash: Buffer.alloc(19), peerId }), isWire('BAD_FIELD'));
  assert.throws(() => encodeHandshake({ infoHash, peerId, reserved: Buffer.alloc(7) }), isWire('BAD_FIELD'));
});

test('checkProtocolPrefix judges a partial handshake by the bytes it has', () => {
  const good = encodeHandshake({ infoHash, peerId });
  for (let n = 0; n <= 68; n++) checkProtocolPrefix(good.subarray(0, n), n);
  assert.throws(() => checkProtocolPrefix(Buffer.from('G'), 1), isWire('BAD_HANDSHAKE'));
  assert.throws(() => checkProtocolPrefix(Buffer.from('\x13BitTorrent x'), 13), isWire('BAD_HANDSHAKE'));
});

test('reserved bits: BEP 10 in byte 5, fast and DHT in byte 7', () => {
  // what libtorrent sends: extension protocol, fast extension, DHT
  const lt = Buffer.from('0000000000100005', 'hex');
  assert.deepEqual(reservedFlags(lt), { extensionProtocol: true, fast: true, dht: true });
  assert.deepEqual(makeReserved({ extensionProtocol: true, fast: true, dht: true }), lt);
  const none = Buffer.alloc(8);
  assert.ok(!supportsExtensionProtocol(none) && !supportsFastExtension(none) && !supportsDht(none));
  assert.ok(supportsDht(Buffer.from('0000000000000001', 'hex')));
  assert.ok(!supportsFastExtension(Buffer.from('ffffffffffef00fb', 'hex')));
  assert.ok(!supportsExtensionProtocol(Buffer.from('ffffffffffef00fb', 'hex')));
});

test('HandshakeReader takes a handshake cut anywhere and hands back what follows it', () => {
  const h = { infoHash: Buffer.alloc(20, 3), peerId: Buffer.alloc(20, 4), reserved: makeReserved({ fast: true }) };
  const stream = Buffer.concat([encodeHandshake(h), Buffer.from('after')]);
  for (const cut of [1, 7, 68, 73]) {
    const r = new HandshakeReader();
    let got: ReturnType<HandshakeReader['feed']> = null;
    let rest = Buffer.alloc(0);
    for (let i = 0; i < stream.length; i += cut) {
      const piece = stream.subarray(i, i + cut);
      if (got) rest = Buffer.concat([rest, piece]);
      else if ((got = r.feed(piece))) rest = Buffer.from(got.rest);
    }
    assert.ok(got);
    assert.deepEqual(got.handshake, h);
    assert.equal(rest.toString(), 'after');
  }
  assert.throws(() => new HandshakeReader().feed(Buffer.from('GET / HTTP/1.1')), isWire('BAD_HANDSHAKE'));
});
