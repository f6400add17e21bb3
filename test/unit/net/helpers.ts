import { once } from 'node:events';
import { createServer, connect, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import { PeerWire, type PeerWireOptions } from '../../../src/net/peer-wire.js';
import type { Message } from '../../../src/wire/messages.js';

export const HASH_A = Buffer.alloc(20, 0xa1);
export const HASH_B = Buffer.alloc(20, 0xb2);
export const ID_1 = Buffer.from('-SW0001-111111111111');
export const ID_2 = Buffer.from('-SW0001-222222222222');

/** Two connected TCP sockets on 127.0.0.1, destroyed after the test. */
export async function tcpPair(t: TestContext): Promise<{ client: Socket; server: Socket }> {
  const srv = createServer();
  srv.listen(0, '127.0.0.1');
  await once(srv, 'listening');
  const accepted = once(srv, 'connection') as Promise<[Socket]>;
  const client = connect((srv.address() as { port: number }).port, '127.0.0.1');
  const [[server]] = await Promise.all([accepted, once(client, 'connect')]);
  srv.close(); // stops listening now; its close event would wait for these sockets
  t.after(() => {
    client.destroy();
    server.destroy();
  });
  return { client, server };
}

type Extra = Partial<Omit<PeerWireOptions, 'socket' | 'direction'>>;

/** An outgoing and an incoming PeerWire over one TCP connection; closed after the test. */
export function wires(t: TestContext, client: Socket, server: Socket, out: Extra = {}, inc: Extra = {}) {
  const a = new PeerWire({ socket: client, direction: 'outgoing', peerId: ID_1, infoHash: HASH_A, ...out });
  const b = new PeerWire({ socket: server, direction: 'incoming', peerId: ID_2, ...inc });
  t.after(() => {
    a.close('test-end');
    b.close('test-end');
  });
  return { a, b };
}

export async function handshaken(t: TestContext, out: Extra = {}, inc: Extra = {}) {
  const { client, server } = await tcpPair(t);
  const w = wires(t, client, server, out, inc);
  await Promise.all([once(w.a, 'handshake'), once(w.b, 'handshake')]);
  return { ...w, client, server };
}

export function closed(w: PeerWire): Promise<[string, Error | undefined]> {
  return once(w, 'close') as Promise<[string, Error | undefined]>;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Resolves when `n` messages arrived on `w`; rejects after `ms`. */
export function collect(w: PeerWire, n: number, ms = 5000): Promise<Message[]> {
  return new Promise((resolve, reject) => {
    const got: Message[] = [];
    const timer = setTimeout(() => {
      w.off('message', on);
      reject(new Error(`got ${got.length} of ${n} messages`));
    }, ms);
    const on = (m: Message) => {
      got.push(m);
      if (got.length === n) {
        clearTimeout(timer);
        w.off('message', on);
        resolve(got);
      }
    };
    w.on('message', on);
  });
}

/** TCP sockets and servers still open in this process (after a short settle). */
export async function openHandles(): Promise<string[]> {
  await sleep(20);
  return process.getActiveResourcesInfo().filter((r) => r === 'TCPSocketWrap' || r === 'TCPServerWrap');
}
