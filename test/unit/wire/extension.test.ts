import assert from 'node:assert/strict';
import { test } from 'node:test';
import { encode } from '../../../src/bencode/encode.js';
import {
  decodeExtendedHandshake,
  encodeExtendedHandshake,
  EXTENSION_LIMITS,
} from '../../../src/wire/extension.js';
import { WireError } from '../../../src/util/errors.js';

const isBad = (e: unknown) => e instanceof WireError && e.code === 'BAD_EXTENDED_HANDSHAKE';

test('round trip of every field', () => {
  const payload = encodeExtendedHandshake({
    m: { ut_metadata: 3, ut_pex: 0 },
    v: 'swarm 0.1 é',
    p: 6881,
    reqq: 500,
    metadataSize: 31_337,
    yourip: Buffer.from([127, 0, 0, 1]),
  });
  assert.equal(
    payload.toString('latin1'),
    'd1:md11:ut_metadatai3e6:ut_pexi0ee13:metadata_sizei31337e1:pi6881e4:reqqi500e1:v12:swarm 0.1 \xc3\xa96:yourip4:\x7f\x00\x00\x01e',
  );
  const h = decodeExtendedHandshake(payload);
  assert.deepEqual([...h.m], [['ut_metadata', 3], ['ut_pex', 0]]);
  assert.equal(h.v, 'swarm 0.1 é');
  assert.equal(h.p, 6881);
  assert.equal(h.reqq, 500);
  assert.equal(h.metadataSize, 31_337);
  assert.deepEqual(h.yourip, Buffer.from([127, 0, 0, 1]));
  assert.deepEqual(decodeExtendedHandshake(encodeExtendedHandshake({ m: new Map([['x', 1]]) })).m, new Map([['x', 1]]));
});

test('tolerates unknown keys and a missing m; reads p=0 as no port', () => {
  const h = decodeExtendedHandshake(encode({ upload_only: 1, complete_ago: -1, lt_donthave: { a: [1, 2] }, p: 0 }));
  assert.equal(h.m.size, 0);
  assert.equal(h.p, undefined);
  assert.equal(h.v, undefined);
  // a __proto__ extension name is just a name
  assert.deepEqual([...decodeExtendedHandshake(encode({ m: { __proto__x: 2 } })).m], [['__proto__x', 2]]);
  assert.deepEqual([...decodeExtendedHandshake(Buffer.from('d1:md9:__proto__i2eee')).m], [['__proto__', 2]]);
});

test('refuses wrong types, out-of-range values and oversized fields', () => {
  const bad: unknown[] = [
    [1, 2],
    'just a string',
    7,
    { m: [1] },
    { m: { ut_metadata: 'x' } },
    { m: { ut_metadata: 256 } },
    { m: { ut_metadata: -1 } },
    { m: { ['n'.repeat(EXTENSION_LIMITS.maxNameLength + 1)]: 1 } },
    { m: Object.fromEntries(Array.from({ length: EXTENSION_LIMITS.maxExtensions + 1 }, (_, i) => [`e${i}`, 1])) },
    { p: 70000 },
    { p: 'x' },
    { reqq: 0 },
    { metadata_size: 0 },
    { metadata_size: EXTENSION_LIMITS.maxMetadataSize + 1 },
    { v: 3 },
    { v: 'v'.repeat(EXTENSION_LIMITS.maxClientName + 1) },
    { yourip: Buffer.alloc(5) },
    { yourip: 4 },
  ];
  for (const value of bad) {
    assert.throws(() => decodeExtendedHandshake(encode(value as never)), isBad, JSON.stringify(value).slice(0, 80));
  }
  for (const raw of ['', 'd', 'd1:mi1e', 'de1:x', 'i1e', 'l-3:e']) {
    assert.throws(() => decodeExtendedHandshake(Buffer.from(raw, 'latin1')), isBad, raw);
  }
  const huge = Buffer.concat([Buffer.from('d1:x'), Buffer.from(`${EXTENSION_LIMITS.maxPayload}:`), Buffer.alloc(EXTENSION_LIMITS.maxPayload), Buffer.from('e')]);
  assert.throws(() => decodeExtendedHandshake(huge), isBad);
  assert.throws(() => encodeExtendedHandshake({ m: { x: 300 } }), (e) => e instanceof WireError && e.code === 'BAD_FIELD');
});
