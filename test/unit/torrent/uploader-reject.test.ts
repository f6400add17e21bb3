import assert from 'node:assert/strict';
import { test } from 'node:test';
import { PieceLayout } from '../../../src/metainfo/layout.js';
import { DEFAULT_LIMITS } from '../../../src/torrent/defaults.js';
import type { PeerConnection } from '../../../src/torrent/peer-connection.js';
import type { Uploader } from '../../../src/torrent/uploader.js';
import type { Message } from '../../../src/wire/messages.js';
import { fakeUploader } from './uploader-helpers.js';

/** An uploader over 4 pieces of 32 KiB, and one fast-extension peer whose sent messages are kept. */
function setup(limits = DEFAULT_LIMITS): { up: Uploader; peer: PeerConnection; sent: Message[] } {
  const layout = new PieceLayout([{ path: ['f'], length: 4 * 32 * 1024 }], 32 * 1024);
  const sent: Message[] = [];
  const { up, peer } = fakeUploader(layout, { send: (m: Message) => (sent.push(m), true) }, {
    limits,
    // never resolves: requests stay queued, so the queue bound can be reached
    readPiece: () => new Promise<Buffer>(() => undefined),
  });
  peer.fast = true;
  return { up, peer, sent };
}

// The peer set hands the uploader the request message itself, `type` included.
const request = (index: number, begin: number) => ({ type: 'request' as const, index, begin, length: 16384 });

test('a request while choked is answered with reject-request, never echoed back as a request', () => {
  const { up, peer, sent } = setup();
  assert.equal(peer.amChoking, true);
  up.onRequest(peer, request(2, 16384));
  assert.deepEqual(sent, [{ type: 'reject-request', index: 2, begin: 16384, length: 16384 }]);
});

test('past maxQueuedRequests: reject-request, and the queue stays at its bound', () => {
  const limits = { ...DEFAULT_LIMITS, maxQueuedRequests: 3 };
  const { up, peer, sent } = setup(limits);
  peer.amChoking = false;
  for (let i = 0; i < 4; i++) up.onRequest(peer, request(i, 0));
  assert.ok(peer.uploadQueue.length <= 3);
  const rejects = sent.filter((m) => m.type === 'reject-request');
  assert.equal(rejects.length, 1);
  assert.ok(!sent.some((m) => m.type === 'request'));
});

test('the default incoming queue holds a full pipeline of our own leecher', () => {
  assert.ok(DEFAULT_LIMITS.maxQueuedRequests >= DEFAULT_LIMITS.maxPipeline);
});
