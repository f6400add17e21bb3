import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import { WireError } from '../util/errors.js';
import { logger } from '../util/log.js';
import { Liveness } from './liveness.js';
import { Obfuscation } from './obfuscation.js';
import { PEER_WIRE_DEFAULTS, type AcceptHandshake, type PeerWireEvents, type PeerWireOptions } from './peer-wire-types.js';
import { readTapOf } from './shared-reads.js';
import { WireSender, type BlockSource } from './wire-sender.js';
import { FrameDecoder } from '../wire/frame-decoder.js';
import { encodeHandshake, HandshakeReader, type Handshake } from '../wire/handshake.js';
import {
  describeMessage,
  encodeMessage,
  encodeRequests,
  KEEP_ALIVE_FRAME,
  ownedExceptBlock,
  type Message,
} from '../wire/messages.js';

const log = logger('wire');

export { PEER_WIRE_DEFAULTS } from './peer-wire-types.js';
export type { BlockSource } from './wire-sender.js';
export type { AcceptHandshake, CloseReason, PeerWireEvents, PeerWireOptions } from './peer-wire-types.js';

/**
 * One peer connection's bytes: the handshake, then messages both ways.
 *
 * Events: 'handshake' (remote) once; then 'message' (msg) for each message; 'drain' when
 * the socket buffer has emptied after send() returned false; 'close' (reason, error?)
 * exactly once, after the socket is fully closed. No message is lost to a late listener:
 * until the first 'message' listener is attached, messages are held back and reading
 * stops, so `await once(wire, 'handshake')` followed by `wire.on('message', ...)` sees
 * the bitfield that came in the same packet as the handshake.
 *
 * Messages refer to the socket's chunk (see FrameDecoder): keep or copy, never mutate.
 * On a socket made with connectPeer's `sharedReads`, a piece's block is valid only while
 * its 'message' event runs (the memory is reused by the next read): copy what you keep.
 * Other messages are copied out for the listeners then, so they may be kept.
 * A listener that throws closes the wire ('protocol-error' for a WireError, such as a
 * Bitfield index check failing, otherwise 'handler-error'); the error goes to 'close'.
 */
export class PeerWire extends EventEmitter<PeerWireEvents> {
  readonly direction: 'outgoing' | 'incoming';
  readonly remoteAddress: string;
  readonly remotePort: number;
  /** The remote's handshake, once received. */
  remote: Handshake | undefined;
  /** The torrent of this connection (for incoming, known after the handshake). */
  infoHash: Buffer | undefined;
  closed = false;
  closeReason: string | undefined;
  closeError: Error | undefined;

  /** Every byte read from the socket (handshake and framing included); block bytes of pieces. */
  bytesReceived = 0;
  payloadReceived = 0;
  /**
   * Asked after a chunk from the remote that made us send nothing: true answers it with a
   * keep-alive, to acknowledge it now (see acknowledge()). The torrent says true while it
   * serves the peer.
   */
  ackPromptly: (() => boolean) | undefined;

  private readonly socket: Socket;
  private readonly peerId: Buffer;
  private readonly reserved: Buffer;
  private readonly accept: AcceptHandshake | undefined;
  private readonly signal: AbortSignal | undefined;
  private readonly decoder: FrameDecoder;
  private readonly idleTimeoutMs: number;
  private readonly keepAliveMs: number;
  private readonly out: WireSender;
  private readonly handshakeReader = new HandshakeReader();
  private handshakeTimer: NodeJS.Timeout | undefined;
  private tickTimer: NodeJS.Timeout | undefined;
  private paused = false;
  /** Bytes that arrived before anyone listened for 'message' (see hold()). */
  private holding = false;
  private held: Buffer[] = [];
  private closeEmitted = false;
  private liveness: Liveness | undefined;
  /** The chunk being read held a message other than keep-alive. */
  private chunkHadMessage = false;
  /** Chunks come from the shared read buffer (see shared-reads.ts): valid only during onData. */
  private readonly borrowed: boolean;

  constructor(opts: PeerWireOptions) {
    super();
    const { socket } = opts;
    this.socket = socket;
    this.direction = opts.direction;
    this.peerId = opts.peerId;
    this.reserved = opts.reserved ?? Buffer.alloc(8);
    this.accept = opts.accept;
    this.signal = opts.signal;
    this.infoHash = opts.infoHash;
    this.remoteAddress = socket.remoteAddress ?? '';
    this.remotePort = socket.remotePort ?? 0;
    const tap = readTapOf(socket);
    this.borrowed = tap !== undefined;
    this.decoder = new FrameDecoder({ ...(opts.maxFrame === undefined ? {} : { maxFrame: opts.maxFrame }), reuse: this.borrowed });
    this.idleTimeoutMs = opts.idleTimeoutMs ?? PEER_WIRE_DEFAULTS.idleTimeoutMs;
    this.keepAliveMs = opts.keepAliveMs ?? PEER_WIRE_DEFAULTS.keepAliveMs;
    // at least the socket's own mark, so a false from send() is always followed by 'drain'
    this.out = new WireSender(socket, Math.max(opts.writeHighWaterMark ?? PEER_WIRE_DEFAULTS.writeHighWaterMark, socket.writableHighWaterMark));
    if (this.direction === 'outgoing' && this.infoHash === undefined) {
      throw new WireError('BAD_OPTION', 'an outgoing PeerWire needs the info hash');
    }
    // checked here so a bad option is not mistaken later for the remote's protocol error
    encodeHandshake({ infoHash: this.infoHash ?? Buffer.alloc(20), peerId: this.peerId, reserved: this.reserved });

    socket.setNoDelay(true);
    if (tap) tap.attach(this.onData);
    else socket.on('data', this.onData);
    socket.on('drain', this.onDrain);
    socket.on('end', this.onEnd);
    socket.on('error', this.onError);
    socket.once('close', this.onSocketClose);
    this.signal?.addEventListener('abort', this.onAbort, { once: true });
    this.handshakeTimer = setTimeout(this.onHandshakeTimeout, opts.handshakeTimeoutMs ?? PEER_WIRE_DEFAULTS.handshakeTimeoutMs);
    this.handshakeTimer.unref();

    if (socket.destroyed || this.signal?.aborted) {
      this.close(this.signal?.aborted ? 'aborted' : 'remote-closed');
      if (socket.closed) process.nextTick(this.onSocketClose);
      return;
    }
    if (this.direction === 'incoming') {
      this.out.layer = Obfuscation.incoming(opts.obfuscation);
    } else if (opts.obfuscation?.initiate) {
      // our handshake rides inside the MSE handshake, as its initial payload
      const { layer, opening } = Obfuscation.outgoing(opts.obfuscation, this.infoHash!, this.ourHandshake(this.infoHash!));
      this.out.layer = layer;
      this.out.writeRaw(opening);
    } else {
      this.out.write(this.ourHandshake(this.infoHash!));
    }
  }

  /** Message Stream Encryption under the handshake, when allowed (see obfuscation.ts); the sender ciphers with it. */
  private get layer(): Obfuscation | undefined {
    return this.out.layer;
  }

  /** 'none' for a plain connection; else the method its MSE handshake chose. */
  get encryption(): 'none' | 'plaintext' | 'rc4' {
    return this.layer?.method ?? 'none';
  }

  /** True once both handshakes are exchanged: send() may be used. */
  get ready(): boolean {
    return this.remote !== undefined && !this.closed;
  }

  get protocolReceived(): number {
    return this.bytesReceived - this.payloadReceived;
  }

  /** Every byte written to the socket (handshake and framing included); block bytes of pieces. */
  get bytesSent(): number {
    return this.out.bytesSent;
  }

  get payloadSent(): number {
    return this.out.payloadSent;
  }

  get protocolSent(): number {
    return this.bytesSent - this.payloadSent;
  }

  /** Bytes queued to send, not yet taken by the kernel (in the socket, or in slabs until uncork). */
  get writableLength(): number {
    return this.out.writableLength;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  /**
   * Send one message. Returns false when the socket's buffer is over the high-water mark
   * (wait for 'drain') or the wire is closed. A piece goes out without copying its block.
   * Throws WireError 'NOT_READY' before the handshake, 'BAD_FIELD' for values that do not fit.
   */
  send(msg: Message): boolean {
    if (msg.type === 'piece') return this.sendPiece(msg.index, msg.begin, msg.block);
    if (this.closed) return false;
    this.checkReady();
    return this.out.write(encodeMessage(msg));
  }

  /** Request messages for these blocks in one socket write (a batch costs one syscall, not many). */
  sendRequests(blocks: readonly { index: number; begin: number; length: number }[]): boolean {
    if (this.closed) return false;
    this.checkReady();
    return this.out.write(encodeRequests(blocks));
  }

  /**
   * A piece message as header + block in one writev: the block is never copied, so its
   * memory must stay as it is until `written` is called (by the socket, once the bytes
   * are in the kernel or the socket is gone; at once when nothing is written).
   */
  sendPiece(index: number, begin: number, block: Buffer, written?: () => void): boolean {
    if (this.closed) {
      written?.();
      return false;
    }
    this.checkReady();
    return this.out.piece(index, begin, block, written);
  }

  /**
   * A piece message whose block `source` reads straight into the outgoing buffer, after
   * its header. Undefined when the source cannot read it now (nothing is sent); else as
   * send(). While corked, the blocks of adjacent calls leave as one chunk at uncork().
   */
  sendPieceFrom(index: number, begin: number, length: number, source: BlockSource): boolean | undefined {
    if (this.closed) return false;
    this.checkReady();
    return this.out.pieceFrom(index, begin, length, source);
  }

  /**
   * Hold writes until uncork() (counted: as many uncorks as corks). Many blocks sent in
   * between leave in one system call instead of one each.
   */
  cork(): void {
    this.out.cork();
  }

  uncork(): void {
    this.out.uncork();
  }

  /** Stop reading (storage is behind). Takes effect at the next chunk: at most one more chunk's messages. */
  pause(): void {
    if (this.paused || this.closed) return;
    this.paused = true;
    this.socket.pause();
  }

  resume(): void {
    if (!this.paused || this.closed) return;
    this.paused = false;
    if (!this.holding) this.socket.resume();
  }

  /** Close the connection (idempotent). 'close' follows once the socket is gone. */
  close(reason: string, error?: Error): void {
    if (this.closed) return;
    this.closed = true;
    this.closeReason = reason;
    this.closeError = error;
    clearTimeout(this.handshakeTimer);
    clearInterval(this.tickTimer);
    this.signal?.removeEventListener('abort', this.onAbort);
    this.held = [];
    this.out.drop();
    log('%s:%d closed: %s%s', this.remoteAddress, this.remotePort, reason, error ? ` (${error.message})` : '');
    this.socket.destroy();
  }

  private checkReady(): void {
    if (this.remote === undefined) {
      throw new WireError('NOT_READY', 'cannot send before the handshake is complete');
    }
  }

  private ourHandshake(infoHash: Buffer): Buffer {
    return encodeHandshake({ infoHash, peerId: this.peerId, reserved: this.reserved });
  }

  private readonly onData = (chunk: Buffer): void => {
    if (this.closed) return;
    this.bytesReceived += chunk.length;
    try {
      let rest: Buffer | null = chunk;
      const layer = this.layer;
      if (layer?.handshaking) {
        const { data, send } = layer.unwrap(chunk);
        if (send) this.out.writeRaw(send);
        if (data === null || data.length === 0) return;
        rest = data;
      } else if (layer?.decrypt) {
        // ours to change: a fresh chunk, or the shared read buffer
        layer.decrypt.apply(chunk);
      }
      if (this.remote === undefined) {
        rest = this.readHandshake(rest);
        if (rest === null || rest.length === 0) return;
      }
      if (this.holding || this.listenerCount('message') === 0) {
        this.hold(rest);
        return;
      }
      const sentBefore = this.out.bytesSent;
      this.chunkHadMessage = false;
      this.decoder.feed(rest, this.onFrame);
      if (this.chunkHadMessage && this.out.bytesSent === sentBefore) this.acknowledge();
    } catch (err) {
      this.fail(err);
    }
  };

  /**
   * Peers that leave Nagle's algorithm on (libtorrent does) hold their small writes, such
   * as their next requests, while a segment of theirs is unacknowledged; the kernel
   * acknowledges a segment we answer with nothing (a batch of haves) only when its
   * delayed-ACK timer fires, 40 ms later. libtorrent downloading 1 GiB of 16 KiB pieces
   * from us sat through 23 such 40 ms gaps. A keep-alive carries the acknowledgement now.
   * Not when bytes are queued (they are going out, acknowledging as they go), and never
   * for keep-alives alone, so two of us cannot keep answering each other.
   */
  private acknowledge(): void {
    if (this.closed || this.out.writableLength > 0 || this.ackPromptly?.() !== true) return;
    this.out.write(KEEP_ALIVE_FRAME);
  }

  /**
   * No one listens for messages yet (the caller is still awaiting 'handshake'): keep the
   * bytes and stop reading until a 'message' listener arrives, so nothing is lost.
   */
  private hold(chunk: Buffer): void {
    this.held.push(this.borrowed ? Buffer.from(chunk) : chunk);
    if (this.holding) return;
    this.holding = true;
    this.socket.pause();
    (this as EventEmitter).on('newListener', this.onNewListener);
  }

  private readonly onNewListener = (event: string | symbol): void => {
    // called before the listener is added: release on the next tick
    if (event === 'message') process.nextTick(this.release);
  };

  private readonly release = (): void => {
    if (!this.holding || this.closed || this.listenerCount('message') === 0) return;
    this.holding = false;
    (this as EventEmitter).off('newListener', this.onNewListener);
    const chunks = this.held;
    this.held = [];
    try {
      for (const c of chunks) if (!this.closed) this.decoder.feed(c, this.onFrame);
    } catch (err) {
      this.fail(err);
      return;
    }
    if (!this.paused && !this.closed) this.socket.resume();
  };

  private readonly onFrame = (m: Message): void => {
    if (this.closed) return;
    const msg = this.borrowed ? ownedExceptBlock(m) : m;
    if (msg.type === 'piece') this.payloadReceived += msg.block.length;
    if (msg.type !== 'keep-alive') this.chunkHadMessage = true;
    if (log.enabled) log('%s:%d <- %s', this.remoteAddress, this.remotePort, describeMessage(msg));
    this.emit('message', msg);
  };

  /**
   * Collects the remote handshake; returns what follows it, or null while incomplete or
   * closed. Throws WireError on a wrong protocol string (after its first wrong byte).
   */
  private readHandshake(chunk: Buffer): Buffer | null {
    const got = this.handshakeReader.feed(chunk);
    if (!got) return null;
    const remote = got.handshake;
    const named = this.direction === 'outgoing' ? this.infoHash! : this.layer?.infoHash;
    if (named && !remote.infoHash.equals(named)) {
      this.close('info-hash-mismatch');
      return null;
    }
    if (remote.peerId.equals(this.peerId)) {
      this.close('self');
      return null;
    }
    if (this.direction === 'incoming') {
      const verdict = this.accept ? this.accept(remote) : true;
      if (verdict !== true) {
        this.close(verdict);
        return null;
      }
      this.infoHash = remote.infoHash;
      this.out.write(this.ourHandshake(remote.infoHash));
    }
    this.remote = remote;
    clearTimeout(this.handshakeTimer);
    this.startTicking();
    this.emit('handshake', remote);
    return this.closed ? null : got.rest;
  }

  private startTicking(): void {
    this.liveness = new Liveness(this.idleTimeoutMs, this.keepAliveMs, performance.now(), this.bytesReceived, this.bytesSent);
    this.tickTimer = setInterval(this.onTick, this.liveness.tickMs);
    this.tickTimer.unref();
  }

  private readonly onTick = (): void => {
    const action = this.liveness!.tick(performance.now(), this.bytesReceived, this.bytesSent, this.paused);
    if (action === 'idle-timeout') this.close('idle-timeout');
    else if (action === 'keep-alive') this.out.write(KEEP_ALIVE_FRAME);
  };

  private fail(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    this.close(err instanceof WireError ? 'protocol-error' : 'handler-error', error);
  }

  private readonly onHandshakeTimeout = (): void => this.close('handshake-timeout');
  private readonly onAbort = (): void => this.close('aborted');
  private readonly onDrain = (): void => {
    if (!this.closed) this.emit('drain');
  };
  private readonly onEnd = (): void => this.close('remote-closed');
  private readonly onError = (err: Error): void => this.close('socket-error', err);

  private readonly onSocketClose = (): void => {
    if (this.closeEmitted) return;
    this.closeEmitted = true;
    this.close('remote-closed');
    this.emit('close', this.closeReason!, this.closeError);
  };
}
