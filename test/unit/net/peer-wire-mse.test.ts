import assert from 'node:assert/strict';
import { once } from 'node:events';
import { createServer, type Socket } from 'node:net';
import { test } from 'node:test';
import { connectPeer } from '../../../src/net/connect.js';
import type { ObfuscationOptions } from '../../../src/net/obfuscation.js';
import { PeerWire } from '../../../src/net/peer-wire.js';
import { encodeHandshake } from '../../../src/wire/handshake.js';
import type { Message } from '../../../src/wire/messages.js';
import { MseInitiator } from '../../../src/wire/mse-handshake.js';
import { closed, HASH_A, HASH_B, handshaken, ID_1, ID_2, tcpPair, wires } from './helpers.js';

const BOTH = { plaintext: true, rc4: true };
const accepting = (infoHashes = [HASH_B, HASH_A]): ObfuscationOptions => ({ methods: BOTH, infoHashes: () => infoHashes });
const block = (i: number) => Buffer.alloc(16384, (i * 13 + 5) & 0xff);

/** Sends n blocks one way and checks each arrives intact. */
async function blocksArrive(from: PeerWire, to: PeerWire, n: number): Promise<void> {
  let good = 0;
  const got = new Promise<void>((resolve, reject) => {
    to.on('message', (m: Message) => {
      if (m.type !== 'piece') return;
      if (!m.block.equals(block(m.index))) reject(new Error(`block ${m.index} arrived wrong`));
      if (++good === n) resolve();
    });
  });
  for (let i = 0; i < n; i++) from.send({ type: 'piece', index: i, begin: 0, block: block(i) });
  await got;
}

test('an MSE handshake offering both methods ends in plain bytes, and messages flow both ways', async (t) => {
  const { a, b } = await handshaken(t, { obfuscation: { methods: BOTH, initiate: true } }, { obfuscation: accepting() });
  assert.equal(a.encryption, 'plaintext');
  assert.equal(b.encryption, 'plaintext');
  assert.ok(b.infoHash!.equals(HASH_A));
  await blocksArrive(a, b, 20);
  await blocksArrive(b, a, 20);
});

test('RC4 only: every byte on the wire is ciphered, and blocks come out intact', async (t) => {
  const { client, server } = await tcpPair(t);
  // what crosses the wire, seen before the wire deciphers it (listeners run in order)
  const raw: Buffer[] = [];
  server.on('data', (d: Buffer) => raw.push(Buffer.from(d)));
  const { a, b } = wires(t, client, server, { obfuscation: { methods: { plaintext: false, rc4: true }, initiate: true } }, { obfuscation: accepting() });
  await Promise.all([once(a, 'handshake'), once(b, 'handshake')]);
  assert.equal(a.encryption, 'rc4');
  assert.equal(b.encryption, 'rc4');
  const sent = block(3);
  await blocksArrive(a, b, 40);
  await blocksArrive(b, a, 40);
  const all = Buffer.concat(raw);
  assert.ok(all.length > 40 * 16384);
  assert.equal(all.indexOf(sent.subarray(0, 64)), -1, 'no block is readable on the wire');
  assert.equal(all.indexOf(Buffer.from('BitTorrent protocol')), -1, 'nor the handshake');
  // a block we sent is the piece cache's: ciphering a copy leaves it as it was
  assert.ok(sent.equals(block(3)));
});

test('a wire that accepts MSE still takes a plain handshake (the first 20 bytes decide)', async (t) => {
  const { a, b } = await handshaken(t, {}, { obfuscation: accepting() });
  assert.equal(a.encryption, 'none');
  assert.equal(b.encryption, 'none');
  await blocksArrive(a, b, 5);
});

test('MSE naming a torrent we do not serve is closed as a protocol error', async (t) => {
  const { client, server } = await tcpPair(t);
  const { a, b } = wires(t, client, server, { obfuscation: { methods: BOTH, initiate: true } }, { obfuscation: accepting([HASH_B]) });
  const [[reason, err]] = await Promise.all([closed(b), closed(a)]);
  assert.equal(reason, 'protocol-error');
  assert.match(err!.message, /torrent we do not serve/);
});

test('without MSE allowed, an encrypted opening is refused after its first bytes', async (t) => {
  const { client, server } = await tcpPair(t);
  const { b } = wires(t, client, server, { obfuscation: { methods: BOTH, initiate: true } }, {});
  const [reason] = await closed(b);
  assert.equal(reason, 'protocol-error');
});

test('the BitTorrent handshake inside MSE must name the torrent the MSE handshake named', async (t) => {
  const { client, server } = await tcpPair(t);
  const b = new PeerWire({ socket: server, direction: 'incoming', peerId: ID_2, obfuscation: accepting([HASH_A, HASH_B]) });
  t.after(() => b.close('test-end'));
  // a raw initiator whose MSE marker names HASH_A while the handshake it carries names HASH_B
  const mse = new MseInitiator({ infoHash: HASH_A, provide: BOTH, initialPayload: encodeHandshake({ infoHash: HASH_B, peerId: ID_1 }) });
  client.write(mse.start());
  let over = false;
  client.on('data', (d: Buffer) => {
    if (over) return;
    const step = mse.feed(d);
    if (step.send) client.write(step.send);
    over = step.done !== undefined;
  });
  const [reason] = await closed(b);
  assert.equal(reason, 'info-hash-mismatch');
});

test('RC4 over shared reads (the buffer is deciphered in place): 300 blocks in 7001-byte writes arrive intact', async (t) => {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  t.after(() => srv.close());
  const accepted = once(srv, 'connection') as Promise<[Socket]>;
  const socket = await connectPeer('127.0.0.1', (srv.address() as { port: number }).port, { sharedReads: true, timeoutMs: 2000 });
  const [server] = await accepted;
  const a = new PeerWire({ socket, direction: 'outgoing', peerId: ID_1, infoHash: HASH_A, obfuscation: { methods: { plaintext: false, rc4: true }, initiate: true } });
  const b = new PeerWire({ socket: server, direction: 'incoming', peerId: ID_2, obfuscation: accepting() });
  t.after(() => {
    a.close('test-end');
    b.close('test-end');
  });
  await Promise.all([once(a, 'handshake'), once(b, 'handshake')]);
  await blocksArrive(b, a, 300);
});
