import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { FrameDecoder } from '../../../src/wire/frame-decoder.js';
import {
  describeMessage,
  encodeMessage,
  encodePieceHeader,
  encodeRequests,
  KEEP_ALIVE_FRAME,
  type Message,
} from '../../../src/wire/messages.js';
import { WireError } from '../../../src/util/errors.js';
import { messageArb } from './arbitraries.js';

const hex = (s: string) => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const isWire = (code: string) => (e: unknown) => e instanceof WireError && e.code === code;

test('encodes every message as BEP 3 / BEP 6 / BEP 10 specify', () => {
  const cases: [Message, string][] = [
    [{ type: 'keep-alive' }, '00000000'],
    [{ type: 'choke' }, '00000001 00'],
    [{ type: 'unchoke' }, '00000001 01'],
    [{ type: 'interested' }, '00000001 02'],
    [{ type: 'not-interested' }, '00000001 03'],
    [{ type: 'have', index: 0x01020304 }, '00000005 04 01020304'],
    [{ type: 'bitfield', bits: hex('f0a1') }, '00000003 05 f0a1'],
    [{ type: 'request', index: 1, begin: 0x4000, length: 0x4000 }, '0000000d 06 00000001 00004000 00004000'],
    [{ type: 'piece', index: 2, begin: 3, block: hex('aabb') }, '0000000b 07 00000002 00000003 aabb'],
    [{ type: 'cancel', index: 1, begin: 2, length: 3 }, '0000000d 08 00000001 00000002 00000003'],
    [{ type: 'port', port: 6881 }, '00000003 09 1ae1'],
    [{ type: 'suggest', index: 7 }, '00000005 0d 00000007'],
    [{ type: 'have-all' }, '00000001 0e'],
    [{ type: 'have-none' }, '00000001 0f'],
    [{ type: 'reject-request', index: 1, begin: 2, length: 3 }, '0000000d 10 00000001 00000002 00000003'],
    [{ type: 'allowed-fast', index: 0xffffffff }, '00000005 11 ffffffff'],
    [{ type: 'extended', id: 3, payload: hex('6465') }, '00000004 14 03 6465'],
    [{ type: 'unknown', id: 21, payload: hex('01') }, '00000002 15 01'],
  ];
  for (const [msg, wire] of cases) {
    assert.deepEqual(encodeMessage(msg), hex(wire), msg.type);
    assert.deepEqual(new FrameDecoder().push(hex(wire)), [msg], msg.type);
  }
  assert.deepEqual(KEEP_ALIVE_FRAME, hex('00000000'));
});

test('property: every message decodes to itself after encoding', () => {
  fc.assert(
    fc.property(messageArb, (msg) => {
      assert.deepEqual(new FrameDecoder().push(encodeMessage(msg)), [msg]);
    }),
    { numRuns: 2000 },
  );
});

test('a piece header followed by its block is the encoded piece message', () => {
  fc.assert(
    fc.property(
      fc.nat(),
      fc.nat(),
      fc.uint8Array({ maxLength: 100 }).map((a) => Buffer.from(a)),
      (index, begin, block) => {
        const header = encodePieceHeader(index, begin, block.length);
        assert.equal(header.length, 13);
        assert.deepEqual(Buffer.concat([header, block]), encodeMessage({ type: 'piece', index, begin, block }));
      },
    ),
  );
});

test('a batch of requests is the request messages back to back', () => {
  const block = fc.record({ index: fc.nat(), begin: fc.nat(), length: fc.nat() });
  fc.assert(
    fc.property(fc.array(block, { maxLength: 40 }), (blocks) => {
      const one = blocks.map((b) => encodeMessage({ type: 'request', ...b }));
      assert.deepEqual(encodeRequests(blocks), Buffer.concat(one));
    }),
  );
  assert.deepEqual(encodeRequests([{ index: 1, begin: 16384, length: 16384 }]), hex('0000000d 06 00000001 00004000 00004000'));
});

test('encoding refuses values that do not fit their fields', () => {
  assert.throws(() => encodeMessage({ type: 'have', index: -1 }), isWire('BAD_FIELD'));
  assert.throws(() => encodeMessage({ type: 'have', index: 2 ** 32 }), isWire('BAD_FIELD'));
  assert.throws(() => encodeMessage({ type: 'request', index: 0, begin: 1.5, length: 1 }), isWire('BAD_FIELD'));
  assert.throws(() => encodeMessage({ type: 'port', port: 65536 }), isWire('BAD_FIELD'));
  assert.throws(() => encodeMessage({ type: 'extended', id: 256, payload: Buffer.alloc(0) }), isWire('BAD_FIELD'));
  assert.throws(() => encodeMessage({ type: 'unknown', id: 7, payload: Buffer.alloc(0) }), isWire('BAD_FIELD'));
  assert.throws(() => encodePieceHeader(0, -5, 10), isWire('BAD_FIELD'));
  assert.throws(() => encodeRequests([{ index: 0, begin: 0, length: 16384 }, { index: 2 ** 32, begin: 0, length: 1 }]), isWire('BAD_FIELD'));
});

test('describeMessage names the message without its payload', () => {
  assert.equal(describeMessage({ type: 'request', index: 1, begin: 16384, length: 16384 }), 'request 1:16384+16384');
  assert.equal(describeMessage({ type: 'piece', index: 1, begin: 0, block: Buffer.alloc(5) }), 'piece 1:0+5');
  assert.equal(describeMessage({ type: 'unchoke' }), 'unchoke');
});
