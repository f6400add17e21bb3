import assert from 'node:assert/strict';
import { once } from 'node:events';
import { connect, type Socket } from 'node:net';
import { after, test } from 'node:test';
import { connectPeer } from '../../../src/net/connect.js';
import { PeerListener } from '../../../src/net/listener.js';
import { PeerWire } from '../../../src/net/peer-wire.js';
import { WireError } from '../../../src/util/errors.js';
import { closed, HASH_A, HASH_B, ID_1, ID_2, openHandles, sleep } from './helpers.js';

after(async () => {
  assert.deepEqual(await openHandles(), [], 'sockets left open');
});

function rawClient(port: number): Promise<Socket> {
  const s = connect(port, '127.0.0.1');
  s.on('error', () => {});
  return once(s, 'connect').then(() => s);
}

test('listens on 127.0.0.1 on a free port and hands sockets over', async (t) => {
  const got: Socket[] = [];
  const listener = new PeerListener({ onConnection: (s) => got.push(s) });
  t.after(() => listener.close());
  const { host, port } = await listener.listen();
  assert.equal(host, '127.0.0.1');
  assert.ok(port > 0 && listener.port === port);
  const c = await rawClient(port);
  for (let i = 0; i < 100 && got.length === 0; i++) await sleep(5);
  assert.equal(got.length, 1);
  assert.equal(got[0]!.remotePort, c.localPort);
  assert.equal(listener.halfOpenCount, 1);
  c.destroy();
  for (let i = 0; i < 100 && listener.halfOpenCount > 0; i++) await sleep(5);
  assert.equal(listener.halfOpenCount, 0, 'a closed socket stops counting');
});

test('caps half-open connections; established ones stop counting', async (t) => {
  const pending: Array<() => void> = [];
  const listener = new PeerListener({ maxHalfOpen: 2, onConnection: (_s, established) => pending.push(established) });
  t.after(() => listener.close());
  const { port } = await listener.listen();
  const clients = [await rawClient(port), await rawClient(port)];
  t.after(() => clients.forEach((c) => c.destroy()));
  for (let i = 0; i < 100 && pending.length < 2; i++) await sleep(5);
  const third = await rawClient(port);
  clients.push(third);
  await once(third, 'close');
  assert.equal(listener.dropped, 1);
  assert.equal(pending.length, 2);
  pending[0]!();
  pending[0]!(); // idempotent
  assert.equal(listener.halfOpenCount, 1);
  const fourth = await rawClient(port);
  clients.push(fourth);
  for (let i = 0; i < 100 && pending.length < 3; i++) await sleep(5);
  assert.equal(pending.length, 3);
  assert.equal(listener.dropped, 1);
});

test('close() stops listening and drops connections still handshaking', async () => {
  const listener = new PeerListener({ onConnection: () => {} });
  const { port } = await listener.listen();
  const c = await rawClient(port);
  for (let i = 0; i < 100 && listener.halfOpenCount === 0; i++) await sleep(5);
  const gone = once(c, 'close');
  await listener.close();
  await gone;
  await assert.rejects(connectPeer('127.0.0.1', port, { timeoutMs: 2000 }), (e) => e instanceof WireError && e.code === 'CONNECT_FAILED');
  await listener.close(); // twice is fine
});

test('a busy port rejects listen() with LISTEN_FAILED', async (t) => {
  const first = new PeerListener({ onConnection: () => {} });
  t.after(() => first.close());
  const { port } = await first.listen();
  const second = new PeerListener({ port, onConnection: () => {} });
  await assert.rejects(second.listen(), (e) => e instanceof WireError && e.code === 'LISTEN_FAILED');
  await second.close();
});

test('one listener serves several torrents: the handshake picks the torrent', async (t) => {
  const served = new Map([[HASH_A.toString('hex'), 'A'], [HASH_B.toString('hex'), 'B']]);
  const attached: string[] = [];
  const listener = new PeerListener({
    onConnection: (socket, established) => {
      const w = new PeerWire({
        socket,
        direction: 'incoming',
        peerId: ID_2,
        accept: (h) => served.has(h.infoHash.toString('hex')) || 'unknown-torrent',
      });
      w.once('handshake', (h) => {
        established();
        attached.push(served.get(h.infoHash.toString('hex'))!);
      });
      t.after(() => w.close('test-end'));
    },
  });
  t.after(() => listener.close());
  const { port } = await listener.listen();
  const dial = async (infoHash: Buffer) => {
    const w = new PeerWire({ socket: await connectPeer('127.0.0.1', port), direction: 'outgoing', peerId: ID_1, infoHash });
    t.after(() => w.close('test-end'));
    return w;
  };
  const a = await dial(HASH_A);
  const b = await dial(HASH_B);
  await Promise.all([once(a, 'handshake'), once(b, 'handshake')]);
  const c = await dial(Buffer.alloc(20, 0xcc));
  assert.equal((await closed(c))[0], 'remote-closed');
  assert.deepEqual(attached.sort(), ['A', 'B']);
  assert.equal(listener.halfOpenCount, 0);
});
