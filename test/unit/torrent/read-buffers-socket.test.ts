import assert from 'node:assert/strict';
import { once } from 'node:events';
import { test } from 'node:test';
import { ReadBuffers } from '../../../src/torrent/read-buffers.js';
import { handshaken, sleep } from '../net/helpers.js';

/**
 * Lending over a real socket: blocks are written without a copy, so a recycled buffer
 * must not come back while its block waits in the socket's queue. Every buffer taken back
 * is overwritten at once, as a new read would: the peer must still get the old bytes.
 */

const BLOCK = 16 * 1024;
const turn = () => new Promise((r) => setImmediate(r));

test('a buffer whose block waits in a socket queue is not recycled until the socket wrote it', async (t) => {
  const { a, b } = await handshaken(t, { writeHighWaterMark: 256 * 1024 });
  b.pause();
  const rb = new ReadBuffers(BLOCK, 64 * 1024 * 1024);
  const sent: Buffer[] = [];
  // fill the kernel's buffers, then 1 MiB more in the socket's own queue
  while (a.writableLength < 1024 * 1024) {
    assert.ok(sent.length < 4096, 'the socket never queued');
    const buf = rb.take(BLOCK).fill(sent.length % 251);
    a.sendPiece(sent.length, 0, buf, rb.lend(buf));
    sent.push(buf);
  }
  for (const buf of sent) rb.give(buf);
  await turn();
  await sleep(50);
  const mine = new Set(sent);
  let early = 0;
  for (let i = 0; i < sent.length; i++) {
    const buf = rb.take(BLOCK);
    if (mine.has(buf)) early++;
    buf.fill(0xee); // a new read
  }
  assert.ok(early > 0, 'blocks the kernel took freed their buffers at once');
  assert.ok(early <= sent.length - 64, `${early} of ${sent.length} came back while a MiB was queued`);

  let wrong = 0;
  let got = 0;
  b.on('message', (m) => {
    if (m.type !== 'piece') return;
    got++;
    if (m.block.length !== BLOCK || m.block.some((x) => x !== m.index % 251)) wrong++;
  });
  b.resume();
  for (let i = 0; i < 500 && got < sent.length; i++) await sleep(10);
  assert.equal(got, sent.length);
  assert.equal(wrong, 0, 'no block was overwritten while queued');
  if (a.writableLength > 0) await once(a, 'drain');
  await turn();
  const back = new Set(Array.from({ length: sent.length }, () => rb.take(BLOCK)));
  assert.equal([...mine].filter((x) => back.has(x)).length, sent.length - early, 'the rest came back once written');
});
