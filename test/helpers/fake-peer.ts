import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { connect, createServer, type Server, type Socket } from 'node:net';
import type { TestContext } from 'node:test';
import type { PieceLayout } from '../../src/metainfo/layout.js';
import { FrameDecoder } from '../../src/wire/frame-decoder.js';
import { encodeHandshake, HANDSHAKE_LENGTH, makeReserved, parseHandshake, type Handshake } from '../../src/wire/handshake.js';
import { encodeMessage, type Message } from '../../src/wire/messages.js';

/**
 * A scriptable BitTorrent peer for hostile-peer tests. It speaks raw bytes over real TCP
 * on 127.0.0.1: it encodes with our codec but never validates what it sends, so a test can
 * make it lie in any way (wrong data, bad frames, bad handshakes, floods, stalls). What it
 * receives is decoded and recorded.
 */

export interface FakeTorrent {
  infoHash: Buffer;
  layout: PieceLayout;
  /** The torrent's bytes end to end, for serving blocks honestly. */
  data?: Buffer;
}

export interface FakeOptions {
  torrent: FakeTorrent;
  /** Our peer id; default a random one tagged -FK0001-. */
  peerId?: Buffer;
  /** The info hash we put in our handshake (default the torrent's): lets a peer lie about it. */
  handshakeInfoHash?: Buffer;
  /** Advertise the fast extension (BEP 6) in the reserved bytes. */
  fast?: boolean;
  /** Advertise the extension protocol (BEP 10) in the reserved bytes. */
  extensions?: boolean;
  /** Skip the handshake entirely: the behaviour gets the bare socket (pre-handshake attacks). */
  raw?: boolean;
}

/** What a fake peer does once a connection is up (after the handshake unless `raw`). */
export type Behaviour = (c: FakeConnection) => void | Promise<void>;

export function fakePeerId(): Buffer {
  return Buffer.concat([Buffer.from('-FK0001-', 'latin1'), randomBytes(12)]);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `cond` every 20 ms until it holds; throws after `ms` with `what`. */
export async function until(cond: () => boolean, ms: number, what: string): Promise<void> {
  const deadline = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await sleep(20);
  }
}

/**
 * One TCP connection of the fake peer. Events: 'message' (msg), 'close'.
 * Timers made with `after`/`every` die with the connection.
 */
export class FakeConnection extends EventEmitter {
  readonly received: Message[] = [];
  remote: Handshake | undefined;
  /** Our side's decoder failed on what the remote sent (should never happen with swarm). */
  decodeError: Error | undefined;
  /** The remote closed (FIN or reset) before we did. */
  remoteClosed = false;
  closed = false;
  bytesSent = 0;
  bytesReceived = 0;
  readonly closedAt: Promise<void>;
  private readonly decoder = new FrameDecoder({ maxFrame: 16 * 1024 * 1024 });
  private readonly timers = new Set<NodeJS.Timeout>();
  private hsBuf = Buffer.alloc(0);
  private onHandshake: ((h: Handshake) => void) | undefined;

  constructor(
    readonly socket: Socket,
    readonly opts: FakeOptions,
    readonly peerId: Buffer,
  ) {
    super();
    this.closedAt = new Promise((resolve) => socket.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => this.onData(chunk));
    socket.on('end', () => this.remoteGone());
    socket.on('error', () => this.remoteGone());
    socket.once('close', () => {
      this.remoteGone();
      this.closed = true;
      for (const t of this.timers) clearTimeout(t);
      this.timers.clear();
      this.emit('close');
    });
  }

  get layout(): PieceLayout {
    return this.opts.torrent.layout;
  }

  private remoteGone(): void {
    if (!this.closed) this.remoteClosed = true;
  }

  /** Our handshake as the options describe it. */
  handshakeBytes(): Buffer {
    return encodeHandshake({
      infoHash: this.opts.handshakeInfoHash ?? this.opts.torrent.infoHash,
      peerId: this.peerId,
      reserved: makeReserved({ fast: this.opts.fast ?? false, extensionProtocol: this.opts.extensions ?? false }),
    });
  }

  /** Resolves with the remote's handshake (already received or still to come). */
  readHandshake(ms = 5000): Promise<Handshake> {
    if (this.remote) return Promise.resolve(this.remote);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('no handshake from the remote')), ms);
      const onClose = () => {
        clearTimeout(timer);
        reject(new Error('closed before the remote handshake'));
      };
      this.once('close', onClose);
      this.onHandshake = (h) => {
        clearTimeout(timer);
        this.off('close', onClose);
        resolve(h);
      };
    });
  }

  private onData(chunk: Buffer): void {
    this.bytesReceived += chunk.length;
    if (this.opts.raw) return;
    let rest = chunk;
    if (!this.remote) {
      this.hsBuf = Buffer.concat([this.hsBuf, chunk]);
      if (this.hsBuf.length < HANDSHAKE_LENGTH) return;
      this.remote = parseHandshake(this.hsBuf);
      rest = this.hsBuf.subarray(HANDSHAKE_LENGTH);
      this.hsBuf = Buffer.alloc(0);
      this.onHandshake?.(this.remote);
    }
    if (rest.length === 0 || this.decodeError) return;
    try {
      for (const m of this.decoder.push(Buffer.from(rest))) {
        this.received.push(m);
        this.emit('message', m);
      }
    } catch (err) {
      this.decodeError = err as Error;
    }
  }

  /** Writes raw bytes; false once the socket is gone. */
  write(buf: Buffer): boolean {
    if (this.closed || this.socket.destroyed) return false;
    this.bytesSent += buf.length;
    this.socket.write(buf);
    return true;
  }

  send(msg: Message): boolean {
    return this.write(encodeMessage(msg));
  }

  /** Stops reading the socket (the kernel buffers fill, then the remote's writes queue). */
  stopReading(): void {
    this.socket.pause();
  }

  close(): void {
    this.socket.destroy();
  }

  after(ms: number, fn: () => void): void {
    if (this.closed) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      if (!this.closed) fn();
    }, ms);
    this.timers.add(t);
  }

  every(ms: number, fn: () => void): void {
    this.after(ms, () => {
      fn();
      this.every(ms, fn);
    });
  }

  /** The first received message matching `pred` (seen already or still to come). */
  waitFor(pred: (m: Message) => boolean, ms = 5000, what = 'a message'): Promise<Message> {
    const seen = this.received.find(pred);
    if (seen) return Promise.resolve(seen);
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => done(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
      const onMsg = (m: Message) => {
        if (pred(m)) done(undefined, m);
      };
      const onClose = () => done(new Error(`closed while waiting for ${what}`));
      const done = (err?: Error, m?: Message) => {
        clearTimeout(timer);
        this.off('message', onMsg);
        this.off('close', onClose);
        if (err) reject(err);
        else resolve(m!);
      };
      this.on('message', onMsg);
      this.once('close', onClose);
    });
  }

  /** Resolves when the connection is closed (by either side); rejects after `ms`. */
  async waitClosed(ms = 10_000): Promise<void> {
    if (this.closed) return;
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`connection still open after ${ms} ms`)), ms);
    });
    await Promise.race([this.closedAt, timeout]).finally(() => clearTimeout(timer));
  }

  count(type: Message['type']): number {
    return this.received.filter((m) => m.type === type).length;
  }

  // ---- building blocks for behaviours ----

  /** A bitfield with every piece set (correct length, no spare bits). */
  sendFullBitfield(): void {
    const n = this.layout.pieceCount;
    const bits = Buffer.alloc(Math.ceil(n / 8));
    for (let i = 0; i < n; i++) bits[i >> 3]! |= 0x80 >> (i & 7);
    this.send({ type: 'bitfield', bits });
  }

  /** The honest bytes of a block. */
  block(index: number, begin: number, length: number): Buffer {
    const data = this.opts.torrent.data;
    if (!data) throw new Error('the fake peer has no data to serve');
    const off = index * this.layout.pieceLength + begin;
    return data.subarray(off, off + length);
  }

  /**
   * Answers requests in order, honouring cancels of requests not yet started. Without a
   * rate, at once; with `bytesPerSecond`, the bytes (frames included) trickle out in
   * small slices at that rate, so a rate of 1 is a slowloris. `corrupt` sends random bytes
   * of the right length instead of the torrent's. `random` answers the queued requests in
   * random order (so blocks of several pieces arrive interleaved).
   */
  serve(o: { bytesPerSecond?: number; corrupt?: boolean; random?: boolean } = {}): void {
    const queue: Array<{ index: number; begin: number; length: number }> = [];
    const frameOf = (r: { index: number; begin: number; length: number }) =>
      encodeMessage({
        type: 'piece',
        index: r.index,
        begin: r.begin,
        block: o.corrupt ? randomBytes(r.length) : this.block(r.index, r.begin, r.length),
      });
    const rate = o.bytesPerSecond;
    const tickMs = rate ? Math.max(50, Math.ceil(1000 / rate)) : 0;
    const slice = rate ? Math.max(1, Math.round((rate * tickMs) / 1000)) : 0;
    let out: Buffer = Buffer.alloc(0);
    let ticking = false;
    const tick = () => {
      if (out.length === 0) {
        const r = o.random ? queue.splice(Math.floor(Math.random() * queue.length), 1)[0] : queue.shift();
        if (!r) {
          ticking = false;
          return;
        }
        out = frameOf(r);
      }
      this.write(out.subarray(0, slice));
      out = out.subarray(slice);
      this.after(tickMs, tick);
    };
    this.on('message', (m: Message) => {
      if (m.type === 'request') {
        const r = { index: m.index, begin: m.begin, length: m.length };
        if (!rate) {
          this.write(frameOf(r));
          return;
        }
        queue.push(r);
        if (!ticking) {
          ticking = true;
          tick();
        }
      } else if (m.type === 'cancel') {
        const k = queue.findIndex((r) => r.index === m.index && r.begin === m.begin && r.length === m.length);
        if (k >= 0) queue.splice(k, 1);
      }
    });
  }
}

/** Reads exactly the remote's handshake after sending ours (dial) or before (listen). */
async function handshake(c: FakeConnection, weSendFirst: boolean): Promise<void> {
  if (weSendFirst) c.write(c.handshakeBytes());
  await c.readHandshake();
  if (!weSendFirst) c.write(c.handshakeBytes());
}

/**
 * A fake peer that listens on 127.0.0.1 for our leecher to dial it; each connection runs
 * `behaviour` after the handshake. Closed (server and every socket) when the test ends.
 */
export class FakePeer {
  readonly connections: FakeConnection[] = [];
  readonly peerId: Buffer;
  private readonly server: Server;
  port = 0;
  /** Connections accepted that are still open. */
  open = 0;
  maxOpen = 0;

  constructor(
    readonly opts: FakeOptions,
    readonly behaviour: Behaviour,
  ) {
    this.peerId = opts.peerId ?? fakePeerId();
    this.server = createServer((socket) => this.accept(socket));
  }

  static async listen(t: TestContext, opts: FakeOptions, behaviour: Behaviour): Promise<FakePeer> {
    const p = new FakePeer(opts, behaviour);
    t.after(() => p.close());
    await new Promise<void>((resolve) => p.server.listen(0, '127.0.0.1', resolve));
    p.port = (p.server.address() as { port: number }).port;
    return p;
  }

  get address(): { host: string; port: number } {
    return { host: '127.0.0.1', port: this.port };
  }

  private accept(socket: Socket): void {
    const c = new FakeConnection(socket, this.opts, this.peerId);
    this.connections.push(c);
    this.open++;
    this.maxOpen = Math.max(this.maxOpen, this.open);
    c.once('close', () => this.open--);
    const run = async () => {
      if (!this.opts.raw) await handshake(c, false);
      await this.behaviour(c);
    };
    run().catch(() => c.close());
  }

  /** Every message received on every connection. */
  received(): Message[] {
    return this.connections.flatMap((c) => c.received);
  }

  async close(): Promise<void> {
    for (const c of this.connections) c.close();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}

/**
 * Dials our seeder at 127.0.0.1:port and (unless `raw`) does the handshake. The
 * connection is destroyed when the test ends.
 */
export async function dialPeer(t: TestContext, port: number, opts: FakeOptions): Promise<FakeConnection> {
  const socket = connect({ host: '127.0.0.1', port });
  const c = new FakeConnection(socket, opts, opts.peerId ?? fakePeerId());
  t.after(() => c.close());
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  if (!opts.raw) await handshake(c, true);
  return c;
}

/** A length prefix and id byte, then nothing: the header of a frame of `length` bytes. */
export function frameHeader(length: number, id: number): Buffer {
  const b = Buffer.alloc(5);
  b.writeUInt32BE(length, 0);
  b[4] = id;
  return b;
}
