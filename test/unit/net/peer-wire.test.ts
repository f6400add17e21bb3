import assert from 'node:assert/strict';
import { once } from 'node:events';
import { after, test } from 'node:test';
import fc from 'fast-check';
import { PeerWire } from '../../../src/net/peer-wire.js';
import { WireError } from '../../../src/util/errors.js';
import { Bitfield } from '../../../src/wire/bitfield.js';
import { encodeHandshake, makeReserved, supportsExtensionProtocol, supportsFastExtension } from '../../../src/wire/handshake.js';
import { encodeMessage, type Message } from '../../../src/wire/messages.js';
import { messageArb } from '../wire/arbitraries.js';
import { closed, collect, handshaken, HASH_A, HASH_B, ID_1, ID_2, openHandles, sleep, tcpPair, wires } from './helpers.js';

after(async () => {
  assert.deepEqual(await openHandles(), [], 'sockets left open');
});

test('two PeerWires handshake over TCP and exchange messages both ways', async (t) => {
  const { a, b } = await handshaken(
    t,
    { reserved: makeReserved({ extensionProtocol: true, fast: true }) },
    { reserved: makeReserved({ extensionProtocol: true }) },
  );
  assert.ok(a.ready && b.ready);
  assert.deepEqual(b.remote?.peerId, ID_1);
  assert.deepEqual(b.infoHash, HASH_A);
  assert.deepEqual(a.remote?.peerId, ID_2);
  assert.deepEqual(a.remote?.infoHash, HASH_A);
  assert.ok(supportsFastExtension(b.remote!.reserved) && supportsExtensionProtocol(b.remote!.reserved));
  assert.ok(!supportsFastExtension(a.remote!.reserved) && supportsExtensionProtocol(a.remote!.reserved));
  assert.equal(a.bytesSent, 68);
  assert.equal(b.bytesReceived, 68);

  const toB = collect(b, 3);
  assert.equal(a.send({ type: 'interested' }), true);
  a.send({ type: 'have', index: 7 });
  a.sendPiece(1, 16384, Buffer.alloc(1000, 9));
  assert.deepEqual(await toB, [
    { type: 'interested' },
    { type: 'have', index: 7 },
    { type: 'piece', index: 1, begin: 16384, block: Buffer.alloc(1000, 9) },
  ]);
  const toA = collect(a, 1);
  b.send({ type: 'unchoke' });
  assert.deepEqual(await toA, [{ type: 'unchoke' }]);

  // counters: 68 handshake + 5 + 9 + 13 + 1000
  assert.equal(a.bytesSent, 68 + 5 + 9 + 13 + 1000);
  assert.equal(a.payloadSent, 1000);
  assert.equal(a.protocolSent, 68 + 5 + 9 + 13);
  assert.equal(b.bytesReceived, a.bytesSent);
  assert.equal(b.payloadReceived, 1000);
  assert.equal(b.protocolReceived, 68 + 5 + 9 + 13);
});

test('property: random message streams arrive intact and in order over a real socket', async (t) => {
  const { a, b } = await handshaken(t);
  await fc.assert(
    fc.asyncProperty(fc.array(messageArb, { minLength: 1, maxLength: 40 }), async (msgs) => {
      const got = collect(b, msgs.length);
      for (const m of msgs) a.send(m);
      assert.deepEqual(await got, msgs);
    }),
    { numRuns: 50 },
  );
  // and big pieces, which TCP will split
  const big = Array.from({ length: 20 }, (_, i) => ({ type: 'piece' as const, index: i, begin: 0, block: Buffer.alloc(256 * 1024 + i, i) }));
  const got = collect(b, big.length);
  for (const m of big) a.send(m);
  assert.deepEqual(await got, big);
});

test('no message is lost to a listener attached after awaiting the handshake', async (t) => {
  for (const lateMs of [0, 50]) {
    const { client, server } = await tcpPair(t);
    const b = new PeerWire({ socket: server, direction: 'incoming', peerId: ID_2 });
    t.after(() => b.close('test-end'));
    client.write(Buffer.concat([
      encodeHandshake({ infoHash: HASH_A, peerId: ID_1 }),
      encodeMessage({ type: 'bitfield', bits: Buffer.from([0xf0]) }),
      encodeMessage({ type: 'have-all' }),
    ]));
    await once(b, 'handshake');
    if (lateMs) {
      await sleep(lateMs);
      client.write(encodeMessage({ type: 'unchoke' }));
      await sleep(20);
      assert.ok(b.isPaused === false && !b.closed);
    }
    const got = collect(b, lateMs ? 3 : 2);
    const [reply] = (await once(client, 'data')) as [Buffer];
    assert.deepEqual(reply.subarray(0, 68), encodeHandshake({ infoHash: HASH_A, peerId: ID_2 }));
    assert.deepEqual((await got).slice(0, 2), [{ type: 'bitfield', bits: Buffer.from([0xf0]) }, { type: 'have-all' }]);
    // reading goes on after the release
    const more = collect(b, 1);
    client.write(encodeMessage({ type: 'have', index: 1 }));
    assert.deepEqual(await more, [{ type: 'have', index: 1 }]);
  }
});

test('without a message listener a wire holds at most a chunk or two and stops reading', async (t) => {
  const { a, b } = await handshaken(t);
  const burst = Buffer.concat(Array.from({ length: 20_000 }, (_, i) => encodeMessage({ type: 'have', index: i })));
  let writes = 0;
  while (writes < 20 && a.writableLength < 4 * 1024 * 1024) {
    a['socket'].write(burst); // raw frames, past send()'s accounting
    writes++;
  }
  await sleep(150);
  assert.ok(b.bytesReceived < 512 * 1024, `read ${b.bytesReceived} bytes with nobody listening`);
  const got = collect(b, writes * 20_000, 10_000);
  const all = await got;
  assert.deepEqual(all.slice(0, 2), [{ type: 'have', index: 0 }, { type: 'have', index: 1 }]);
  assert.equal(b.bytesReceived, 68 + writes * burst.length);
});

test('a connection to ourselves is dropped with reason self', async (t) => {
  const { client, server } = await tcpPair(t);
  const { a, b } = wires(t, client, server, { peerId: ID_1 }, { peerId: ID_1 });
  let handshakes = 0;
  b.on('handshake', () => handshakes++);
  const [[reasonB], [reasonA]] = await Promise.all([closed(b), closed(a)]);
  assert.equal(reasonB, 'self');
  assert.equal(reasonA, 'remote-closed');
  assert.equal(handshakes, 0);
});

test('an outgoing wire refuses a reply for another torrent, and a self reply', async (t) => {
  for (const [reply, reason] of [
    [encodeHandshake({ infoHash: HASH_B, peerId: ID_2 }), 'info-hash-mismatch'],
    [encodeHandshake({ infoHash: HASH_A, peerId: ID_1 }), 'self'],
  ] as const) {
    const { client, server } = await tcpPair(t);
    const a = new PeerWire({ socket: client, direction: 'outgoing', peerId: ID_1, infoHash: HASH_A });
    server.write(reply);
    const [why] = await closed(a);
    assert.equal(why, reason);
    assert.equal(a.remote, undefined);
  }
});

test('an incoming wire asks accept() and refuses unknown torrents with its reason', async (t) => {
  const asked: Buffer[] = [];
  const accept = (h: { infoHash: Buffer }) => {
    asked.push(h.infoHash);
    return h.infoHash.equals(HASH_B) || 'unknown-torrent';
  };
  const { client, server } = await tcpPair(t);
  const { a, b } = wires(t, client, server, {}, { accept });
  const [[whyB], [whyA]] = await Promise.all([closed(b), closed(a)]);
  assert.equal(whyB, 'unknown-torrent');
  assert.equal(whyA, 'remote-closed');
  assert.deepEqual(asked, [HASH_A]);
  assert.equal(b.bytesSent, 0, 'no handshake is sent to a refused peer');

  const ok = await handshaken(t, { infoHash: HASH_B }, { accept });
  assert.deepEqual(ok.b.infoHash, HASH_B);
});

test('a handshake that never comes times out', async (t) => {
  const { server } = await tcpPair(t);
  const b = new PeerWire({ socket: server, direction: 'incoming', peerId: ID_2, handshakeTimeoutMs: 100 });
  const start = performance.now();
  const [why] = await closed(b);
  assert.equal(why, 'handshake-timeout');
  assert.ok(performance.now() - start >= 95);
});

test('a peer speaking another protocol is refused on its first byte', async (t) => {
  const { client, server } = await tcpPair(t);
  const b = new PeerWire({ socket: server, direction: 'incoming', peerId: ID_2 });
  client.write('G');
  const [why, err] = await closed(b);
  assert.equal(why, 'protocol-error');
  assert.ok(err instanceof WireError && err.code === 'BAD_HANDSHAKE');
});

test('a protocol error after the handshake closes the wire with the WireError', async (t) => {
  const { client, server } = await tcpPair(t);
  const b = new PeerWire({ socket: server, direction: 'incoming', peerId: ID_2, maxFrame: 1000 });
  b.on('message', () => {}); // frames are decoded once someone listens
  client.write(encodeHandshake({ infoHash: HASH_A, peerId: ID_1 }));
  client.write(Buffer.from([0, 0, 0x03, 0xe9, 7])); // a 1001-byte frame
  const [why, err] = await closed(b);
  assert.equal(why, 'protocol-error');
  assert.ok(err instanceof WireError && err.code === 'FRAME_TOO_LARGE');
});

test('a listener that throws closes the wire: WireError as protocol-error, others as handler-error', async (t) => {
  const one = await handshaken(t);
  const have = new Bitfield(4);
  one.b.on('message', (m) => {
    if (m.type === 'have') have.set(m.index);
  });
  one.a.send({ type: 'have', index: 4 });
  const [why, err] = await closed(one.b);
  assert.equal(why, 'protocol-error');
  assert.ok(err instanceof WireError && err.code === 'BAD_INDEX');

  const two = await handshaken(t);
  two.b.on('message', () => {
    throw new TypeError('bug');
  });
  two.a.send({ type: 'choke' });
  const [why2, err2] = await closed(two.b);
  assert.equal(why2, 'handler-error');
  assert.ok(err2 instanceof TypeError);
});

test('send() returns false under backpressure, then drain comes and everything arrives', async (t) => {
  const { a, b } = await handshaken(t, { writeHighWaterMark: 64 * 1024 });
  b.pause();
  const block = Buffer.alloc(16 * 1024, 1);
  let sent = 0;
  while (a.sendPiece(0, sent * block.length, block)) {
    sent++;
    assert.ok(sent < 10_000, 'send() never reported backpressure');
  }
  sent++;
  assert.ok(a.writableLength >= 64 * 1024);
  const drained = once(a, 'drain');
  let received = 0;
  b.on('message', (m) => {
    if (m.type === 'piece') received++;
  });
  b.resume();
  await drained;
  for (let i = 0; i < 500 && received < sent; i++) await sleep(10);
  assert.equal(received, sent);
  assert.equal(b.payloadReceived, sent * block.length);
});

test('pause() stops messages until resume()', async (t) => {
  const { a, b } = await handshaken(t);
  b.pause();
  assert.ok(b.isPaused);
  let n = 0;
  b.on('message', () => n++);
  for (let i = 0; i < 10; i++) a.send({ type: 'have', index: i });
  await sleep(100);
  assert.equal(n, 0);
  b.resume();
  for (let i = 0; i < 100 && n < 10; i++) await sleep(10);
  assert.equal(n, 10);
});

test('idle timeout closes a silent peer, but not while we are paused', async (t) => {
  const { b } = await handshaken(t, { keepAliveMs: 60_000 }, { idleTimeoutMs: 150 });
  const start = performance.now();
  const [why] = await closed(b);
  assert.equal(why, 'idle-timeout');
  const took = performance.now() - start;
  assert.ok(took >= 140 && took < 1000, `closed after ${took} ms`);

  const p = await handshaken(t, { keepAliveMs: 60_000 }, { idleTimeoutMs: 100 });
  p.b.pause();
  await sleep(300);
  assert.ok(!p.b.closed, 'idle timeout fired while paused');
  p.b.resume();
  const [why2] = await closed(p.b);
  assert.equal(why2, 'idle-timeout');
});

test('keep-alives are sent when we send nothing, and keep the remote from timing out', async (t) => {
  const { a, b } = await handshaken(t, { keepAliveMs: 40 }, { idleTimeoutMs: 200, keepAliveMs: 60_000 });
  let keepAlives = 0;
  b.on('message', (m) => {
    if (m.type === 'keep-alive') keepAlives++;
  });
  await sleep(500);
  assert.ok(!b.closed, `remote closed: ${b.closeReason}`);
  assert.ok(keepAlives >= 3, `${keepAlives} keep-alives`);
  // nothing but the handshake and 4-byte keep-alives went out; one may still be on its way
  const sentKeepAlives = (a.bytesSent - 68) / 4;
  assert.ok(sentKeepAlives === keepAlives || sentKeepAlives === keepAlives + 1, `sent ${a.bytesSent} bytes, ${keepAlives} keep-alives arrived`);
  // a wire that keeps sending does not add keep-alives
  const before = keepAlives;
  const busy = setInterval(() => a.send({ type: 'have', index: 0 }), 10);
  await sleep(200);
  clearInterval(busy);
  assert.ok(keepAlives - before <= 1, `${keepAlives - before} keep-alives while busy`);
});

test('a chunk that made us send nothing gets a keep-alive (the ACK goes now) while ackPromptly says so', async (t) => {
  const { a, b } = await handshaken(t);
  // b serves a: it answers interested with unchoke, and the rest with nothing
  b.on('message', (m) => {
    if (m.type === 'interested') b.send({ type: 'unchoke' });
  });
  const seen: string[] = [];
  a.on('message', (m) => seen.push(m.type));
  /** `msg` alone in a chunk, read by b; then a round trip: what a received meanwhile. */
  const step = async (msg: Message): Promise<string[]> => {
    seen.length = 0;
    const read = once(b, 'message');
    a.send(msg);
    await read;
    const unchoked = new Promise<void>((resolve) => {
      const on = (m: Message) => {
        if (m.type !== 'unchoke') return;
        a.off('message', on);
        resolve();
      };
      a.on('message', on);
    });
    a.send({ type: 'interested' });
    await unchoked;
    return [...seen];
  };
  const have: Message = { type: 'have', index: 3 };
  assert.deepEqual(await step(have), ['unchoke'], 'no ackPromptly: nothing extra');
  b.ackPromptly = () => false;
  assert.deepEqual(await step(have), ['unchoke']);
  b.ackPromptly = () => true;
  assert.deepEqual(await step(have), ['keep-alive', 'unchoke']);
  // a keep-alive is not answered (two wires cannot ping-pong), nor a chunk we answered
  assert.deepEqual(await step({ type: 'keep-alive' }), ['unchoke']);
  assert.deepEqual(await step({ type: 'interested' }), ['unchoke', 'unchoke']);
  assert.deepEqual(await step(have), ['keep-alive', 'unchoke']);
});

test('close() is idempotent, emits close once with the reason, and the remote sees it', async (t) => {
  const { a, b } = await handshaken(t);
  let closes = 0;
  a.on('close', () => closes++);
  const remote = closed(b);
  a.close('choked-too-long');
  a.close('again');
  const [why] = await closed(a);
  assert.equal(why, 'choked-too-long');
  assert.equal(a.closeReason, 'choked-too-long');
  assert.equal((await remote)[0], 'remote-closed');
  await sleep(10);
  assert.equal(closes, 1);
  assert.equal(a.send({ type: 'choke' }), false);
  assert.equal(a.sendPiece(0, 0, Buffer.alloc(1)), false);
  assert.ok(!a.ready);
});

test('send before the handshake throws; an outgoing wire needs an info hash', async (t) => {
  const { client, server } = await tcpPair(t);
  const b = new PeerWire({ socket: server, direction: 'incoming', peerId: ID_2 });
  t.after(() => b.close('test-end'));
  assert.throws(() => b.send({ type: 'choke' }), (e) => e instanceof WireError && e.code === 'NOT_READY');
  assert.throws(
    () => new PeerWire({ socket: client, direction: 'outgoing', peerId: ID_1 }),
    (e) => e instanceof WireError && e.code === 'BAD_OPTION',
  );
  assert.throws(
    () => new PeerWire({ socket: client, direction: 'incoming', peerId: Buffer.alloc(19) }),
    (e) => e instanceof WireError && e.code === 'BAD_FIELD',
  );
});

test('an AbortSignal closes the wire with reason aborted', async (t) => {
  const ac = new AbortController();
  const { a } = await handshaken(t, { signal: ac.signal });
  ac.abort();
  const [why] = await closed(a);
  assert.equal(why, 'aborted');
  const { client } = await tcpPair(t);
  const pre = new PeerWire({ socket: client, direction: 'outgoing', peerId: ID_1, infoHash: HASH_A, signal: ac.signal });
  assert.equal((await closed(pre))[0], 'aborted');
});
