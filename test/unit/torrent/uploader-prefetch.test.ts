import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PieceLayout } from '../../../src/metainfo/layout.js';
import type { PeerConnection } from '../../../src/torrent/peer-connection.js';
import type { Uploader } from '../../../src/torrent/uploader.js';
import { fakeUploader } from './uploader-helpers.js';

/** How far ahead of the block being sent the Uploader reads a peer's requested pieces. */

const KiB = 1024;
const MiB = 1024 * KiB;

/** An Uploader over `layout` with one unchoked peer; the host's reads and cache are the test's. */
function uploader(
  layout: PieceLayout,
  host: { readPiece: (i: number) => Promise<Buffer>; cached: (i: number) => 'no' | 'first' | 'yes' },
  sendPiece: (index: number) => boolean = () => true,
): { up: Uploader; peer: PeerConnection } {
  const made = fakeUploader(layout, { sendPiece }, host);
  made.peer.amChoking = false;
  return made;
}

/** Queues every request first, then lets the uploader start. */
async function requestAll(up: Uploader, peer: PeerConnection, requests: { index: number; begin: number; length: number }[]): Promise<void> {
  peer.blocked = true;
  for (const r of requests) up.onRequest(peer, r);
  await new Promise((r) => setImmediate(r)); // the blocked pumps have ended
  up.onDrain(peer);
}

/** An uploader whose reads never finish, one unchoked peer, and `pieces` requested in that order. */
async function setup(pieceLength: number, count: number, pieces: number[]): Promise<number[]> {
  const layout = new PieceLayout([{ path: ['f'], length: count * pieceLength }], pieceLength);
  const reads: number[] = [];
  const { up, peer } = uploader(layout, {
    readPiece: (i) => {
      reads.push(i);
      return new Promise<Buffer>(() => undefined);
    },
    cached: (i) => (reads.includes(i) ? 'first' : 'no'),
  });
  const blocks = Math.min(4, pieceLength / (16 * KiB));
  await requestAll(
    up,
    peer,
    pieces.flatMap((index) => Array.from({ length: blocks }, (_, b) => ({ index, begin: b * 16 * KiB, length: 16 * KiB }))),
  );
  return reads;
}

/** `n` distinct piece indices below `max`, scattered. */
function scattered(n: number, max: number): number[] {
  return Array.from({ length: n }, (_, k) => (k * 7919) % max);
}

test('16 KiB pieces asked for out of order: up to 2 MiB of them are read ahead at once', async () => {
  const reads = await setup(16 * KiB, 4096, scattered(300, 4096));
  assert.equal(reads.length, 1 + 128, 'the piece being sent, then 2 MiB of the rest');
  assert.deepEqual(reads.slice(0, 5), scattered(5, 4096), 'in the order asked');
});

test('1 MiB pieces: the next two pieces, as before', async () => {
  const reads = await setup(MiB, 64, scattered(20, 64));
  assert.equal(reads.length, 1 + 2);
});

test('4 MiB pieces: still two ahead (the minimum), never more', async () => {
  const reads = await setup(4 * MiB, 16, [3, 9, 1, 12, 5]);
  assert.deepEqual(reads, [3, 9, 1]);
});

test('16 KiB pieces served one by one: reads stay ahead of the sends, and the queue is not walked for every piece', async () => {
  const pieceLength = 16 * KiB;
  const layout = new PieceLayout([{ path: ['f'], length: 4096 * pieceLength }], pieceLength);
  const order = scattered(1000, 4096);
  const sent: number[] = [];
  const read = new Map<number, number>(); // piece -> how many had been sent when it was read
  let looks = 0;
  const { up, peer } = uploader(
    layout,
    {
      readPiece: async (i) => {
        if (!read.has(i)) read.set(i, sent.length);
        return Buffer.alloc(pieceLength);
      },
      cached: (i) => {
        looks++;
        return read.has(i) ? 'first' : 'no';
      },
    },
    (index) => {
      sent.push(index);
      return true;
    },
  );
  await requestAll(
    up,
    peer,
    order.map((index) => ({ index, begin: 0, length: pieceLength })),
  );
  for (let i = 0; i < 100 && sent.length < order.length; i++) await new Promise((r) => setImmediate(r));
  assert.deepEqual(sent, order, 'every piece sent, in order');
  // each piece but the first was read while at least one piece before it was still to send
  const late = order.filter((i, k) => k > 0 && read.get(i)! >= k);
  assert.equal(late.length, 0, `pieces read only when their turn came: ${late.slice(0, 5)}`);
  assert.ok(looks < 6 * order.length, `${looks} cache lookups for ${order.length} pieces`);
});
