import { EventEmitter } from 'node:events';
import { errorMessage } from '../util/errors.js';
import { logger } from '../util/log.js';
import { Bitfield } from '../wire/bitfield.js';
import { supportsExtensionProtocol, supportsFastExtension } from '../wire/handshake.js';
import { HAVE_ALL, HAVE_NONE, INTERESTED, NOT_INTERESTED, type Message } from '../wire/messages.js';
import type { TorrentLimits } from './defaults.js';
import type { Downloader } from './downloader.js';
import { ourExtendedHandshake, takeExtendedHandshake } from './extended-handshake.js';
import { PeerConnection, type PeerTransport } from './peer-connection.js';
import type { PeerAddress, PeerBook, PeerSource } from './peer-book.js';
import type { PiecePicker } from './picker.js';
import type { Uploader } from './uploader.js';

const log = logger('peers');

export interface PeerSetHost {
  readonly limits: TorrentLimits;
  readonly picker: PiecePicker;
  readonly book: PeerBook;
  readonly downloader: Downloader;
  readonly uploader: Uploader;
  readonly pieceCount: number;
  /** Where we accept connections (0: unknown), told to peers in the extended handshake. */
  readonly listenPort: number;
  /** Pieces we have on disk (what we tell peers). */
  readonly haveBits: Bitfield;
  now(): number;
  /** True while there is something left to download. */
  downloading(): boolean;
  /** We want this piece (selected, not yet had). */
  wantsPiece(index: number): boolean;
}

/**
 * The connected peers of one torrent: attaching and detaching them, reading their
 * messages, and the periodic housekeeping (request timeouts, idle peers, choke rounds).
 */
export class PeerSet extends EventEmitter {
  private readonly byKey = new Map<number, PeerConnection>();
  private readonly byId = new Map<string, PeerConnection>();
  private nextKey = 1;
  private lastChoke = 0;
  private ourExtendedHandshake: Buffer | undefined;

  constructor(private readonly host: PeerSetHost) {
    super();
  }

  get size(): number {
    return this.byKey.size;
  }

  values(): IterableIterator<PeerConnection> {
    return this.byKey.values();
  }

  get(key: number): PeerConnection | undefined {
    return this.byKey.get(key);
  }

  hasPeerId(peerId: Buffer): boolean {
    return this.byId.has(peerId.toString('hex'));
  }

  /**
   * Takes over a connection whose handshake is done. Returns undefined if refused.
   * `reserved`: the reserved bytes of the peer's handshake (the extensions it supports).
   */
  attach(transport: PeerTransport, addr: PeerAddress, peerId: Buffer, source: PeerSource, reserved: Buffer): PeerConnection | undefined {
    const id = peerId.toString('hex');
    if (transport.closed) return undefined;
    if (this.byId.has(id)) {
      transport.close('duplicate connection');
      return undefined;
    }
    if (this.byKey.size >= this.host.limits.maxConnections) {
      transport.close('too many connections');
      return undefined;
    }
    const h = this.host;
    const peer = new PeerConnection(this.nextKey++, transport, addr, peerId, source, h.pieceCount, h.now());
    peer.fast = supportsFastExtension(reserved);
    peer.extensions = supportsExtensionProtocol(reserved);
    this.byKey.set(peer.key, peer);
    this.byId.set(id, peer);
    h.book.connected(addr, source);
    h.picker.addPeer(peer.key, []);
    transport.on('message', (msg) => this.onMessage(peer, msg));
    transport.on('drain', () => {
      peer.blocked = false;
      h.uploader.onDrain(peer);
      h.downloader.fill(peer);
    });
    transport.on('close', (reason) => this.detach(peer, reason));
    // the bitfield (or have-all) must be the first message; the extended handshake follows
    this.sendHave(peer);
    if (peer.extensions) {
      this.ourExtendedHandshake ??= ourExtendedHandshake(h.limits, h.listenPort);
      peer.send({ type: 'extended', id: 0, payload: this.ourExtendedHandshake });
    }
    log('%s connected (%s), %d peers', peer.label, source, this.byKey.size);
    this.emit('peer', peer);
    return peer;
  }

  private onExtended(peer: PeerConnection, id: number, payload: Buffer): void {
    // other ids are extensions we do not offer: a peer may not send them, and they do no harm
    if (id !== 0) return;
    try {
      takeExtendedHandshake(peer, payload);
    } catch (err) {
      // the extension protocol is optional: the peer still speaks the rest well enough
      this.violation(peer, errorMessage(err));
    }
  }

  private sendHave(peer: PeerConnection): void {
    const have = this.host.haveBits;
    if (peer.fast && have.isComplete()) peer.send(HAVE_ALL);
    else if (peer.fast && have.isEmpty()) peer.send(HAVE_NONE);
    else if (!have.isEmpty()) peer.send({ type: 'bitfield', bits: have.toBuffer() });
  }

  private detach(peer: PeerConnection, reason: string): void {
    if (peer.closed) return;
    peer.closed = true;
    peer.closeReason ||= reason;
    const h = this.host;
    h.downloader.giveBack(peer, false);
    h.picker.removePeer(peer.key);
    this.byKey.delete(peer.key);
    this.byId.delete(peer.peerId.toString('hex'));
    peer.uploadQueue.length = 0;
    h.book.disconnected(peer.addr, h.now());
    log('%s closed: %s', peer.label, peer.closeReason);
    this.emit('peer-closed', peer);
    // its blocks are free again: let the others have them
    for (const p of this.byKey.values()) h.downloader.fill(p);
    if (!peer.amChoking) h.uploader.rechoke();
  }

  private violation(peer: PeerConnection, what: string): void {
    peer.violations++;
    log('%s: %s (%d violations)', peer.label, what, peer.violations);
    if (peer.violations > this.host.limits.maxViolations) peer.close(`too many protocol violations (last: ${what})`);
  }

  private onMessage(peer: PeerConnection, msg: Message): void {
    if (peer.closed) return;
    try {
      this.dispatch(peer, msg);
    } catch (err) {
      // a message that does not fit this torrent (bad bitfield, have out of range, ...)
      peer.close(errorMessage(err));
    }
    // each answer it makes us write waits for it to read: one that never reads is dropped
    if (peer.transport.writableLength > this.host.limits.maxSendBuffer) peer.close('not reading what we send');
  }

  private dispatch(peer: PeerConnection, msg: Message): void {
    const h = this.host;
    const first = !peer.sawMessage;
    // some clients send their extended handshake before their bitfield
    if (msg.type !== 'extended') peer.sawMessage = true;
    switch (msg.type) {
      case 'keep-alive':
        return;
      case 'choke':
        peer.peerChoking = true;
        if (!peer.fast) h.downloader.giveBack(peer, false);
        return;
      case 'unchoke':
        peer.peerChoking = false;
        h.downloader.fill(peer);
        return;
      case 'interested':
        peer.peerInterested = true;
        peer.lastUsefulAt = h.now();
        h.uploader.onInterested();
        return;
      case 'not-interested':
        peer.peerInterested = false;
        if (!peer.amChoking) h.uploader.rechoke();
        return;
      case 'have':
        this.gotPieces(peer, [msg.index], false);
        return;
      case 'bitfield': {
        const bits = Bitfield.fromBuffer(msg.bits, h.pieceCount);
        if (first) {
          peer.has = bits;
          this.gotPieces(peer, peer.has, true);
        } else {
          // aria2 sends a fresh bitfield (or have-all) instead of 20 or more haves: take
          // what it adds; pieces a peer had do not go away
          this.gotPieces(peer, bits, false);
        }
        return;
      }
      case 'have-all':
      case 'have-none': {
        if (!peer.fast || (!first && msg.type === 'have-none')) return this.violation(peer, `${msg.type} out of place`);
        // a repeat tells nothing new, and going over every piece again for 5 bytes is a DoS
        if (msg.type === 'have-all' && !peer.has.isComplete()) {
          peer.has.setAll();
          this.gotPieces(peer, peer.has, true);
        }
        return;
      }
      case 'request':
        if (!h.uploader.onRequest(peer, msg)) this.violation(peer, `bad request ${msg.index}:${msg.begin}+${msg.length}`);
        return;
      case 'cancel':
        h.uploader.onCancel(peer, msg);
        return;
      case 'piece':
        if (!h.downloader.onBlock(peer, msg.index, msg.begin, msg.block)) {
          this.violation(peer, `unrequested block ${msg.index}:${msg.begin}+${msg.block.length}`);
          return;
        }
        h.downloader.fill(peer);
        this.updateInterest(peer);
        return;
      case 'reject-request':
        h.downloader.onReject(peer, msg.index, msg.begin);
        h.downloader.fill(peer);
        return;
      case 'extended':
        this.onExtended(peer, msg.id, msg.payload);
        return;
      default:
        // port, suggest, allowed-fast, unknown: nothing we act on yet
        return;
    }
  }

  /**
   * The peer has these pieces. `recorded` says they are already in peer.has (a bitfield or
   * have-all); otherwise (a have) they are added, and Bitfield.set throws on an index out
   * of range, which closes the connection.
   */
  private gotPieces(peer: PeerConnection, indices: Iterable<number>, recorded: boolean): void {
    const h = this.host;
    let wanted = false;
    if (recorded && peer.has.isComplete()) {
      // a seed (have-all, or a full bitfield): one step for the picker, where one per piece
      // counted 65,536 pieces in and out again for a GiB of 16 KiB pieces
      h.picker.addPeer(peer.key, 'all');
      wanted = h.picker.isInteresting(peer.key);
    } else {
      for (const i of indices) {
        if (!recorded) {
          if (peer.has.has(i)) continue;
          peer.has.set(i);
        }
        h.picker.peerHave(peer.key, i);
        if (!wanted && h.wantsPiece(i)) wanted = true;
      }
    }
    if (wanted && !peer.amInterested && h.downloading()) {
      peer.amInterested = true;
      peer.lastUsefulAt = h.now();
      peer.send(INTERESTED);
    }
    h.downloader.fill(peer);
  }

  /** Sends not-interested once a peer has nothing left that we want. */
  updateInterest(peer: PeerConnection): void {
    if (!peer.amInterested || peer.requested.size > 0) return;
    const h = this.host;
    // by key: O(1) from the picker's per-peer count, not a walk over the missing pieces
    if (h.downloading() && h.picker.interesting((i) => peer.has.has(i), peer.key)) return;
    peer.amInterested = false;
    peer.send(NOT_INTERESTED);
  }

  /**
   * A piece is on disk: tell every peer that lacks it, and drop interest where it no longer
   * holds. A peer that has the piece (a seed above all) can never ask us for it: with small
   * pieces those haves were one socket write per piece per seed, for nothing.
   */
  broadcastHave(index: number): void {
    for (const p of this.byKey.values()) {
      if (!p.has.has(index)) p.send({ type: 'have', index });
      if (p.amInterested && p.requested.size === 0) this.updateInterest(p);
    }
  }

  /** Periodic housekeeping; `seeding` says whether seeds are of any use to us. */
  tick(seeding: boolean): void {
    const h = this.host;
    const now = h.now();
    for (const p of h.downloader.checkTimeouts(this.byKey.values())) h.downloader.fill(p);
    for (const p of [...this.byKey.values()]) {
      if (p.amInterested || p.peerInterested) p.lastUsefulAt = now;
      if (seeding && p.has.isComplete()) p.close('both sides are seeds');
      else if (now - p.lastUsefulAt > h.limits.uselessPeerMs) p.close('neither side wants anything');
      else h.downloader.fill(p);
    }
    if (now - this.lastChoke >= h.limits.chokeIntervalMs) {
      this.lastChoke = now;
      h.uploader.rechoke();
    }
  }

  /** Download finished: we want nothing more from anyone. */
  notInterestedInAll(): void {
    for (const p of this.byKey.values()) {
      if (!p.amInterested) continue;
      p.amInterested = false;
      p.send(NOT_INTERESTED);
    }
  }

  closeAll(reason: string): void {
    for (const p of [...this.byKey.values()]) p.close(reason);
  }
}
