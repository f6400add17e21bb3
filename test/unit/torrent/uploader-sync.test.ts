import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PieceLayout } from '../../../src/metainfo/layout.js';
import type { BlockSource } from '../../../src/net/peer-wire.js';
import { fakeUploader } from './uploader-helpers.js';

/**
 * Blocks the host can read without waiting go out from within the pump() that a request
 * starts; the rest wait for readPiece(). Both must serve every request, in order.
 */

const KiB = 1024;
const BLOCK = 16 * KiB;
const tick = () => new Promise((r) => setImmediate(r));

interface Sent {
  index: number;
  begin: number;
  how: 'now' | 'read';
}

/** An Uploader with one unchoked peer over a fake transport that records what it sends. */
function setup(opts: { now: (index: number) => boolean; full?: (sent: number) => boolean }) {
  const layout = new PieceLayout([{ path: ['f'], length: 64 * BLOCK }], BLOCK);
  const sent: Sent[] = [];
  const reads: number[] = [];
  let corks = 0;
  const ok = () => !(opts.full?.(sent.length) ?? false);
  const transport = {
    cork: () => corks++,
    uncork: () => corks--,
    sendPiece(index: number, begin: number) {
      sent.push({ index, begin, how: 'read' });
      return ok();
    },
    sendPieceFrom(index: number, begin: number, length: number, source: BlockSource) {
      if (!source.readBlock(index, begin, length, Buffer.alloc(length), 0)) return undefined;
      sent.push({ index, begin, how: 'now' });
      return ok();
    },
  };
  const { up, peer } = fakeUploader(layout, transport, {
    readPiece: async (i) => {
      reads.push(i);
      return Buffer.alloc(BLOCK);
    },
    blocks: { readBlock: (index) => opts.now(index) },
  });
  peer.amChoking = false;
  return { up, peer, sent, reads, corks: () => corks };
}

test('requests of one socket chunk, each pumping as it comes: every one is served at once', async () => {
  const s = setup({ now: () => true });
  // the handler of one chunk: several requests in a row, no await between them
  for (let i = 0; i < 5; i++) s.up.onRequest(s.peer, { index: i, begin: 0, length: BLOCK });
  assert.equal(s.sent.length, 5, 'served within the calls, not after a promise');
  await tick();
  assert.deepEqual(
    s.sent.map((x) => x.index),
    [0, 1, 2, 3, 4],
  );
  assert.equal(s.reads.length, 0);
  assert.equal(s.corks(), 0, 'every cork undone');
  assert.equal(s.peer.uploadQueue.length, 0);
});

test('a block that cannot be read now waits for the disk; the ones behind it keep their order', async () => {
  const s = setup({ now: (i) => i !== 2 });
  for (let i = 0; i < 5; i++) s.up.onRequest(s.peer, { index: i, begin: 0, length: BLOCK });
  for (let k = 0; k < 10 && s.sent.length < 5; k++) await tick();
  assert.deepEqual(s.sent, [
    { index: 0, begin: 0, how: 'now' },
    { index: 1, begin: 0, how: 'now' },
    { index: 2, begin: 0, how: 'read' },
    { index: 3, begin: 0, how: 'now' },
    { index: 4, begin: 0, how: 'now' },
  ]);
  assert.deepEqual(s.reads, [2]);
  assert.equal(s.up.uploadedBytes, 5 * BLOCK);
});

test('a full socket stops the sync path; drain takes it up again', async () => {
  const s = setup({ now: () => true, full: (n) => n === 3 });
  for (let i = 0; i < 6; i++) s.up.onRequest(s.peer, { index: i, begin: 0, length: BLOCK });
  assert.equal(s.sent.length, 3);
  assert.ok(s.peer.blocked);
  assert.equal(s.peer.uploadQueue.length, 3);
  s.up.onDrain(s.peer);
  assert.equal(s.sent.length, 6);
  assert.deepEqual(
    s.sent.map((x) => x.index),
    [0, 1, 2, 3, 4, 5],
  );
});
