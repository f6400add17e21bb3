import type { PeerWire } from '../net/peer-wire.js';
import type { Message } from '../wire/messages.js';
import { Bitfield } from '../wire/bitfield.js';
import { RateMeter } from '../util/rate.js';
import type { PeerAddress, PeerSource } from './peer-book.js';
import type { BlockRequest } from './picker-types.js';

/** The socket side of a peer: handshake done, messages both ways. */
export type PeerTransport = PeerWire;

export type { BlockRequest };

/**
 * One peer's state: choke and interest flags, the pieces it has, our requests in flight
 * to it, its requests queued for upload, and its rates. Decisions live elsewhere
 * (Downloader, Uploader); this class only keeps the facts straight.
 */
export class PeerConnection {
  /** Pieces the peer has (replaced by its bitfield message). */
  has: Bitfield;
  /** Any message seen yet: a bitfield is only allowed first. */
  sawMessage = false;
  amChoking = true;
  amInterested = false;
  peerChoking = true;
  peerInterested = false;
  /** Our requests in flight to this peer: block key -> time sent. */
  readonly requested = new Map<number, number>();
  /** Requests we cancelled while in flight (oldest first, bounded): their blocks may still come. */
  readonly cancelled = new Set<number>();
  /** The peer's requests waiting to be served, oldest first. */
  readonly uploadQueue: BlockRequest[] = [];
  readonly down = new RateMeter();
  readonly up = new RateMeter();
  /** Last time a block we asked for arrived (or the first request was sent). */
  lastBlockAt: number;
  /** Last time either side was interested in the other. */
  lastUsefulAt: number;
  violations = 0;
  /** Requests received while we choke it, since we last unchoked it. */
  chokedRequests = 0;
  snubbed = false;
  /** Sending is paused until the socket drains. */
  blocked = false;
  /** The peer supports the fast extension (BEP 6). */
  fast = false;
  /** The peer supports the extension protocol (BEP 10). */
  extensions = false;
  /** How many requests the peer queues (its extended handshake's reqq), when it said. */
  reqq: number | undefined;
  /** Its client's name and version (the extended handshake's v), when it said. */
  client: string | undefined;
  closed = false;
  closeReason = '';
  /** Contributed a bad piece; kept to ban repeat offenders. */
  strikes = 0;

  constructor(
    readonly key: number,
    readonly transport: PeerTransport,
    readonly addr: PeerAddress,
    readonly peerId: Buffer,
    readonly source: PeerSource,
    pieceCount: number,
    readonly connectedAt: number,
  ) {
    this.has = new Bitfield(pieceCount);
    // while we serve it, its requests must not wait behind an unacknowledged segment
    transport.ackPromptly = () => !this.amChoking && this.peerInterested;
    this.lastBlockAt = connectedAt;
    this.lastUsefulAt = connectedAt;
  }

  get label(): string {
    return `${this.addr.host}:${this.addr.port}`;
  }

  /** Sends unless closed; returns false when the socket buffer is full. */
  send(msg: Message): boolean {
    if (this.closed) return false;
    const ok = this.transport.send(msg);
    if (!ok) this.blocked = true;
    return ok;
  }

  sendRequests(blocks: readonly BlockRequest[]): boolean {
    if (this.closed) return false;
    const ok = this.transport.sendRequests(blocks);
    if (!ok) this.blocked = true;
    return ok;
  }

  close(reason: string): void {
    if (this.closed) return;
    this.closeReason = reason;
    this.transport.close(reason);
  }
}
