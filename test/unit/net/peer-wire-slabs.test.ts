import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import type { BlockSource } from '../../../src/net/peer-wire.js';
import type { Message } from '../../../src/wire/messages.js';
import { collect, HASH_A, HASH_B, handshaken, sleep } from './helpers.js';

/**
 * sendPieceFrom(): the block is read by a source straight into a shared slab behind its
 * header. What arrives must be the same messages, in the same order, as send() would give.
 */

const BLOCK = 16384;
const blockOf = (index: number, begin: number, length: number) => Buffer.alloc(length, (index * 31 + begin / BLOCK + 7) & 0xff);

/** Fills blocks with blockOf(); refuses the pieces in `cold`. */
function source(cold = new Set<number>()): BlockSource & { reads: number } {
  return {
    reads: 0,
    readBlock(index, begin, length, into, at) {
      this.reads++;
      if (cold.has(index)) return false;
      blockOf(index, begin, length).copy(into, at);
      return true;
    },
  };
}

const piece = (index: number, begin = 0, length = BLOCK): Message => ({ type: 'piece', index, begin, block: blockOf(index, begin, length) });

test('blocks sent corked leave in order with the other messages, and the counters add up', async (t) => {
  const { a, b } = await handshaken(t);
  const src = source();
  const got = collect(b, 6);
  const sentBefore = a.bytesSent;
  a.cork();
  assert.equal(a.sendPieceFrom(0, 0, BLOCK, src), true);
  assert.equal(a.sendPieceFrom(0, BLOCK, 1000, src), true);
  a.send({ type: 'have', index: 9 });
  assert.equal(a.sendPieceFrom(5, 0, BLOCK, src), true);
  a.sendPiece(6, 0, blockOf(6, 0, 500));
  assert.equal(a.sendPieceFrom(7, 0, BLOCK, src), true);
  a.uncork();
  assert.deepEqual(await got, [piece(0), piece(0, BLOCK, 1000), { type: 'have', index: 9 }, piece(5), piece(6, 0, 500), piece(7)]);
  assert.equal(a.bytesSent - sentBefore, 13 * 5 + 3 * BLOCK + 1000 + 500 + 9);
  assert.equal(b.payloadReceived, 3 * BLOCK + 1000 + 500);
});

test('uncorked, a block goes out at once', async (t) => {
  const { a, b } = await handshaken(t);
  const got = collect(b, 1);
  assert.equal(a.sendPieceFrom(3, BLOCK, BLOCK, source()), true);
  assert.deepEqual(await got, [piece(3, BLOCK)]);
});

test('a source that cannot read now: undefined, and nothing is sent or counted', async (t) => {
  const { a, b } = await handshaken(t);
  const src = source(new Set([2]));
  const sentBefore = a.bytesSent;
  a.cork();
  assert.equal(a.sendPieceFrom(2, 0, BLOCK, src), undefined);
  assert.equal(a.bytesSent, sentBefore);
  assert.equal(a.sendPieceFrom(4, 0, BLOCK, src), true);
  a.uncork();
  const got = collect(b, 1);
  assert.deepEqual(await got, [piece(4)]);
  await sleep(50);
  assert.equal(b.payloadReceived, BLOCK, 'the refused block never arrives');
  // larger than a slab: not this path
  assert.equal(a.sendPieceFrom(4, 0, 512 * 1024, src), undefined);
});

test('two connections append to the same slabs: each stream arrives whole and in order', async (t) => {
  const one = await handshaken(t);
  const two = await handshaken(t);
  const src = source();
  const want1: Message[] = [];
  const want2: Message[] = [];
  for (let k = 0; k < 200; k++) {
    want1.push(piece(k));
    if (k % 7 === 0) want1.push({ type: 'have', index: k });
    want2.push(piece(k + 1000));
  }
  const got1 = collect(one.b, want1.length, 10_000);
  const got2 = collect(two.b, want2.length, 10_000);
  // about 25 slabs between them, the two interleaved block by block
  for (let i = 0; i < 200; i += 10) {
    one.a.cork();
    two.a.cork();
    for (let k = i; k < i + 10; k++) {
      one.a.sendPieceFrom(k, 0, BLOCK, src);
      two.a.sendPieceFrom(k + 1000, 0, BLOCK, src);
      if (k % 7 === 0) one.a.send({ type: 'have', index: k });
    }
    one.a.uncork();
    two.a.uncork();
    await sleep(0);
  }
  assert.deepEqual(await got1, want1);
  assert.deepEqual(await got2, want2);
});

test('backpressure: false once the queued bytes (slabs included) reach the mark, then drain', async (t) => {
  const { a, b } = await handshaken(t, { writeHighWaterMark: 64 * 1024 });
  b.pause();
  const src = source();
  let sent = 0;
  a.cork();
  while (a.sendPieceFrom(sent, 0, BLOCK, src)) {
    sent++;
    assert.ok(sent < 10_000, 'never reported backpressure');
  }
  sent++;
  // false came from bytes still in the slab, before the socket saw any of them
  assert.ok(a.writableLength >= 64 * 1024, `${a.writableLength} queued`);
  assert.ok(a.writableLength < 64 * 1024 + BLOCK + 13 + 1, 'no block past the one that crossed the mark');
  const drained = once(a, 'drain');
  a.uncork();
  let received = 0;
  b.on('message', (m) => m.type === 'piece' && received++);
  b.resume();
  await drained;
  for (let i = 0; i < 500 && received < sent; i++) await sleep(10);
  assert.equal(received, sent);
});

test('a wire closed with blocks still in a slab sends nothing more and returns false', async (t) => {
  const { a, b } = await handshaken(t);
  const src = source();
  let arrived = 0;
  b.on('message', () => arrived++);
  a.cork();
  a.sendPieceFrom(1, 0, BLOCK, src);
  a.close('test');
  a.uncork();
  assert.equal(a.sendPieceFrom(2, 0, BLOCK, src), false);
  await sleep(50);
  assert.equal(arrived, 0);
});

/** RC4 both ways: the block is ciphered in the slab, in step with the other messages. */
test('RC4: blocks read into slabs are ciphered in order with the rest of the stream', async (t) => {
  const BOTH = { plaintext: false, rc4: true };
  const { a, b } = await handshaken(t, { obfuscation: { methods: BOTH, initiate: true } }, { obfuscation: { methods: BOTH, infoHashes: () => [HASH_B, HASH_A] } });
  assert.equal(a.encryption, 'rc4');
  const src = source();
  const want: Message[] = [];
  const got = collect(b, 60);
  for (let i = 0; i < 20; i++) {
    a.cork();
    a.sendPieceFrom(i, 0, BLOCK, src);
    a.send({ type: 'have', index: i });
    a.uncork();
    a.sendPiece(i + 100, 0, blockOf(i + 100, 0, BLOCK));
    want.push(piece(i), { type: 'have', index: i }, piece(i + 100));
  }
  assert.deepEqual(await got, want);
});
