import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { connectPeer } from '../../../src/net/connect.js';
import { PeerWire } from '../../../src/net/peer-wire.js';
import { readTapOf } from '../../../src/net/shared-reads.js';
import { encodeHandshake } from '../../../src/wire/handshake.js';
import { encodeMessage, type Message } from '../../../src/wire/messages.js';
import { closed, HASH_A, ID_1, ID_2, sleep } from './helpers.js';

/** A raw peer: answers the handshake, then writes `stream` in pieces of `step` bytes. */
async function rawPeer(t: import('node:test').TestContext, stream: Buffer, step: number) {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const conn = new Promise<Socket>((resolve) => srv.once('connection', resolve));
  t.after(() => srv.close());
  return {
    port: (srv.address() as { port: number }).port,
    serve: async () => {
      const s = await conn;
      t.after(() => s.destroy());
      await once(s, 'data'); // our handshake
      s.write(encodeHandshake({ infoHash: HASH_A, peerId: ID_2 }));
      for (let i = 0; i < stream.length; i += step) {
        s.write(stream.subarray(i, i + step));
        if (i % (step * 16) === 0) await sleep(1);
      }
      return s;
    },
  };
}

const block = (i: number) => Buffer.alloc(16384, (i * 7 + 1) & 0xff);

test('an outgoing wire on shared reads delivers every block intact while its event runs, and keeps bitfields', async (t) => {
  const bits = Buffer.from([0b10110000, 0xff]);
  const msgs: Message[] = [{ type: 'bitfield', bits }, { type: 'unchoke' }];
  for (let i = 0; i < 200; i++) msgs.push({ type: 'piece', index: i, begin: 0, block: block(i) });
  // 7001-byte writes: most block frames straddle two reads
  const peer = await rawPeer(t, Buffer.concat(msgs.map(encodeMessage)), 7001);
  const socket = await connectPeer('127.0.0.1', peer.port, { sharedReads: true, timeoutMs: 2000 });
  assert.ok(readTapOf(socket), 'the socket reads through a tap');
  const wire = new PeerWire({ socket, direction: 'outgoing', peerId: ID_1, infoHash: HASH_A });
  t.after(() => wire.close('test-end'));
  assert.equal(socket.listenerCount('data'), 0, "no 'data' listener: reads go to the shared buffer");
  const served = peer.serve();
  await once(wire, 'handshake');

  let bitfield: Buffer | undefined;
  const views: Buffer[] = [];
  let good = 0;
  const done = new Promise<void>((resolve, reject) => {
    wire.on('message', (m) => {
      if (m.type === 'bitfield') bitfield = m.bits;
      if (m.type !== 'piece') return;
      if (m.block.equals(block(m.index))) good++;
      else reject(new Error(`block ${m.index} was wrong while its event ran`));
      views.push(m.block);
      if (m.index === 199) resolve();
    });
  });
  await served;
  await done;
  assert.equal(good, 200);
  assert.deepEqual(bitfield, bits, 'a bitfield is copied out, so it can be kept');
  // the rule this all rests on: the views were reused by later reads
  const overwritten = views.filter((v, i) => !v.equals(block(i))).length;
  assert.ok(overwritten > 0, 'kept block views do change later: listeners must copy');
});

test('pause and resume work on shared reads, and the remote closing is seen', async (t) => {
  const msgs: Message[] = [];
  for (let i = 0; i < 64; i++) msgs.push({ type: 'have', index: i });
  const peer = await rawPeer(t, Buffer.concat(msgs.map(encodeMessage)), 9);
  const socket = await connectPeer('127.0.0.1', peer.port, { sharedReads: true, timeoutMs: 2000 });
  const wire = new PeerWire({ socket, direction: 'outgoing', peerId: ID_1, infoHash: HASH_A });
  t.after(() => wire.close('test-end'));
  const got: number[] = [];
  wire.on('message', (m) => {
    if (m.type !== 'have') return;
    got.push(m.index);
    if (m.index === 10) wire.pause();
  });
  const s = await peer.serve();
  await sleep(50);
  const whilePaused = got.length;
  assert.ok(whilePaused < 64, `paused at 10 with the rest unread (got ${whilePaused})`);
  await sleep(100);
  assert.equal(got.length, whilePaused, 'nothing arrives while paused');
  wire.resume();
  for (let i = 0; i < 100 && got.length < 64; i++) await sleep(10);
  assert.deepEqual(got, [...Array(64).keys()]);
  const c = closed(wire);
  s.end();
  const [reason] = await c;
  assert.equal(reason, 'remote-closed');
});
