import assert from 'node:assert/strict';
import { createServer, type Socket } from 'node:net';
import { once } from 'node:events';
import { after, test, type TestContext } from 'node:test';
import { Worker } from 'node:worker_threads';
import { connectPeer } from '../../../src/net/connect.js';
import { WireError } from '../../../src/util/errors.js';
import { openHandles } from './helpers.js';

after(async () => {
  assert.deepEqual(await openHandles(), [], 'sockets left open');
});

const isWire = (code: string) => (e: unknown) => e instanceof WireError && e.code === code;

/**
 * A listener on 127.0.0.1 whose accept queue is full, so a new connect hangs in SYN_SENT:
 * it lives in a worker whose event loop is blocked, so nothing ever accepts.
 */
async function unresponsivePort(t: TestContext): Promise<number> {
  const flag = new Int32Array(new SharedArrayBuffer(4));
  const worker = new Worker(
    `const { parentPort, workerData } = require('node:worker_threads');
     const srv = require('node:net').createServer();
     srv.listen({ port: 0, host: '127.0.0.1', backlog: 1 }, () => {
       parentPort.postMessage(srv.address().port);
       Atomics.wait(workerData, 0, 0, 30000);
       srv.close();
       process.exit(0);
     });`,
    { eval: true, workerData: flag },
  );
  const [port] = (await once(worker, 'message')) as [number];
  const fillers: Socket[] = [];
  t.after(async () => {
    for (const s of fillers) s.destroy();
    Atomics.store(flag, 0, 1);
    Atomics.notify(flag, 0);
    await once(worker, 'exit');
  });
  // fill the accept queue; these complete in the kernel without an accept()
  for (let i = 0; i < 4; i++) {
    const s = (await import('node:net')).connect(port, '127.0.0.1');
    s.on('error', () => {});
    fillers.push(s);
  }
  await new Promise((r) => setTimeout(r, 100));
  return port;
}

test('connects to a listening peer and hands back the socket', async () => {
  const srv = createServer((s) => s.end('hi'));
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const socket = await connectPeer('127.0.0.1', (srv.address() as { port: number }).port, { timeoutMs: 2000 });
  const [data] = (await once(socket, 'data')) as [Buffer];
  assert.equal(data.toString(), 'hi');
  assert.equal(socket.listenerCount('error'), 0, 'connectPeer leaves no listeners behind');
  socket.destroy();
  await new Promise((r) => srv.close(r));
});

test('a refused connection rejects with CONNECT_FAILED', async () => {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const port = (srv.address() as { port: number }).port;
  await new Promise((r) => srv.close(r));
  await assert.rejects(connectPeer('127.0.0.1', port, { timeoutMs: 2000 }), (e) => {
    return isWire('CONNECT_FAILED')(e) && (e as WireError).message.includes(`127.0.0.1:${port}`);
  });
  await assert.rejects(connectPeer('127.0.0.1', 0), isWire('CONNECT_FAILED'));
});

test('a connect that hangs times out', async (t) => {
  const port = await unresponsivePort(t);
  const start = performance.now();
  await assert.rejects(connectPeer('127.0.0.1', port, { timeoutMs: 200 }), isWire('CONNECT_TIMEOUT'));
  const took = performance.now() - start;
  assert.ok(took >= 190 && took < 2000, `took ${took} ms`);
});

test('an AbortSignal cancels a connect, before or during', async (t) => {
  const port = await unresponsivePort(t);
  const ac = new AbortController();
  const pending = connectPeer('127.0.0.1', port, { timeoutMs: 10_000, signal: ac.signal });
  setTimeout(() => ac.abort(new Error('torrent stopped')), 50);
  await assert.rejects(pending, isWire('ABORTED'));
  await assert.rejects(connectPeer('127.0.0.1', port, { signal: ac.signal }), isWire('ABORTED'));
});
