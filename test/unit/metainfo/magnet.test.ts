import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { base32Decode, base32Encode } from '../../../src/metainfo/base32.js';
import { formatMagnet, MAX_MAGNET_LENGTH, parseMagnet, parseTarget } from '../../../src/metainfo/magnet.js';
import { MetainfoError, UsageError } from '../../../src/util/errors.js';

const HEX = 'ee7de26fbcf440cf9a26e50bb63c06732d0b6eef';
const B32 = base32Encode(Buffer.from(HEX, 'hex'));

function bad(uri: string, code: string, re?: RegExp): void {
  assert.throws(
    () => parseMagnet(uri),
    (e: unknown) => e instanceof MetainfoError && e.code === code && (!re || re.test(e.message)),
  );
}

test('base32: RFC 4648 vectors and round trips', () => {
  assert.equal(base32Encode(Buffer.from('foobar')), 'MZXW6YTBOI');
  assert.equal(base32Decode('mzxw6ytboi')!.toString(), 'foobar');
  assert.equal(base32Decode('MZXW6YTB0I'), undefined); // '0' is not in the alphabet
  fc.assert(fc.property(fc.uint8Array({ minLength: 20, maxLength: 20 }), (b) => base32Decode(base32Encode(b))!.equals(Buffer.from(b))));
  assert.equal(B32.length, 32);
});

test('btih in hex or base32, any case', () => {
  for (const h of [HEX, HEX.toUpperCase(), B32, B32.toLowerCase()]) {
    const m = parseMagnet(`magnet:?xt=urn:btih:${h}`);
    assert.equal(m.infoHashHex, HEX);
    assert.ok(m.infoHash.equals(Buffer.from(HEX, 'hex')));
  }
  assert.equal(parseMagnet(`MAGNET:?XT=URN:BTIH:${HEX}`).infoHashHex, HEX);
});

test('a bare info hash is accepted where a magnet is', () => {
  assert.deepEqual(parseMagnet(HEX), { infoHash: Buffer.from(HEX, 'hex'), infoHashHex: HEX, trackers: [], webSeeds: [], peers: [] });
  assert.equal(parseMagnet(B32.toLowerCase()).infoHashHex, HEX);
  assert.equal(parseMagnet(`  ${HEX.toUpperCase()}\n`).infoHashHex, HEX);
});

test('dn, tr (and tr.N), ws, x.pe', () => {
  const uri =
    `magnet:?xt=urn:btih:${HEX}&dn=My+Film%20(2020)&tr=http%3A%2F%2Ft1%2Fannounce&tr.1=udp://t2:80&tr=http%3A%2F%2Ft1%2Fannounce` +
    `&ws=http%3A%2F%2Fws%2Ff&x.pe=127.0.0.1:6881&x.pe=%5B%3A%3A1%5D%3A51413&x.pe=nohost&x.pe=h:0&foo=bar&&as=x`;
  const m = parseMagnet(uri);
  assert.equal(m.name, 'My Film (2020)');
  assert.deepEqual(m.trackers, ['http://t1/announce', 'udp://t2:80']);
  assert.deepEqual(m.webSeeds, ['http://ws/f']);
  assert.deepEqual(m.peers, [
    { host: '127.0.0.1', port: 6881 },
    { host: '::1', port: 51413 },
  ]);
});

test('bad magnets fail with one clear message', () => {
  bad('http://example/', 'BAD_MAGNET', /not a magnet link or an info hash/);
  bad('magnet:?dn=x', 'BAD_MAGNET', /no info hash/);
  bad('magnet:?xt=urn:btih:1234', 'BAD_MAGNET', /neither 40 hex/);
  bad(`magnet:?xt=urn:btih:${HEX}&xt=urn:btih:${'0'.repeat(40)}`, 'BAD_MAGNET', /two different/);
  bad(`magnet:?xt=urn:btih:${HEX}&dn=%E0%A4%A`, 'BAD_MAGNET', /%-escape/);
  bad(`magnet:?xt=urn:btih:${HEX}&tr=${'a'.repeat(MAX_MAGNET_LENGTH)}`, 'BAD_MAGNET', /limit/);
  bad('magnet:?xt=urn:btmh:1220' + 'ab'.repeat(32), 'V2_UNSUPPORTED', /v2 torrents are not supported yet/);
  // the same info hash twice is fine, and a hybrid link (btih + btmh) is v1
  assert.equal(parseMagnet(`magnet:?xt=urn:btih:${HEX}&xt=urn:btih:${B32}`).infoHashHex, HEX);
  assert.equal(parseMagnet(`magnet:?xt=urn:btmh:1220${'ab'.repeat(32)}&xt=urn:btih:${HEX}`).infoHashHex, HEX);
});

test('formatMagnet escapes every value and parseMagnet reads it back', () => {
  assert.equal(
    formatMagnet({ infoHashHex: HEX.toUpperCase(), name: 'a b&c', trackers: ['http://t/a?x=1&y=2'], webSeeds: ['http://w/'] }),
    `magnet:?xt=urn:btih:${HEX}&dn=a%20b%26c&tr=http%3A%2F%2Ft%2Fa%3Fx%3D1%26y%3D2&ws=http%3A%2F%2Fw%2F`,
  );
  assert.throws(() => formatMagnet({ infoHashHex: 'xyz' }), RangeError);
  const url = fc.webUrl().filter((u) => !/\s/.test(u));
  fc.assert(
    fc.property(
      fc.uint8Array({ minLength: 20, maxLength: 20 }),
      fc.option(fc.string({ minLength: 1 }), { nil: undefined }),
      fc.uniqueArray(url, { maxLength: 3 }),
      fc.uniqueArray(url, { maxLength: 2 }),
      (hash, name, trackers, webSeeds) => {
        const infoHashHex = Buffer.from(hash).toString('hex');
        const m = parseMagnet(formatMagnet({ infoHashHex, name, trackers, webSeeds }));
        assert.equal(m.infoHashHex, infoHashHex);
        assert.equal(m.name, name);
        assert.deepEqual(m.trackers, trackers);
        assert.deepEqual(m.webSeeds, webSeeds);
      },
    ),
  );
});

test('parseTarget tells magnets and info hashes from file paths', () => {
  assert.deepEqual(parseTarget('a.torrent'), { kind: 'torrent', path: 'a.torrent' });
  assert.deepEqual(parseTarget('./dir/x'), { kind: 'torrent', path: './dir/x' });
  const t = parseTarget(HEX);
  assert.equal(t.kind, 'magnet');
  assert.equal(t.kind === 'magnet' && t.magnet.infoHashHex, HEX);
  assert.equal(parseTarget(`magnet:?xt=urn:btih:${B32}`).kind, 'magnet');
  assert.throws(() => parseTarget('  '), UsageError);
  assert.throws(() => parseTarget('magnet:?dn=x'), MetainfoError);
});
