import { errorMessage, WireError } from '../util/errors.js';
import { logger } from '../util/log.js';
import type { TorrentLimits } from './defaults.js';
import type { PeerAddress, PeerBook } from './peer-book.js';
import type { PeerSet } from './peer-set.js';
import type { Dialled } from './torrent-types.js';

const log = logger('connect');

export interface ConnectorDeps {
  book: PeerBook;
  peers: PeerSet;
  limits: TorrentLimits;
  now: () => number;
  dial: (addr: PeerAddress, signal: AbortSignal) => Promise<Dialled>;
  signal: AbortSignal;
  ourPeerId: Buffer;
  /** Whether the torrent still wants connections when a dial completes. */
  active: () => boolean;
}

/** Dials the addresses the PeerBook offers, within the half-open and connection caps. */
export class Connector {
  halfOpen = 0;

  constructor(private readonly d: ConnectorDeps) {}

  dialSome(): void {
    const { book, peers, limits } = this.d;
    const room = Math.min(limits.maxHalfOpen - this.halfOpen, limits.maxConnections - peers.size - this.halfOpen);
    for (const addr of book.takeDialable(this.d.now(), room)) {
      this.halfOpen++;
      this.d.dial(addr, this.d.signal).then(
        (w) => this.connected(addr, w),
        (err: unknown) => this.failed(addr, err),
      );
    }
  }

  private connected(addr: PeerAddress, w: Dialled): void {
    this.halfOpen--;
    if (!this.d.active()) return w.transport.close('torrent not active');
    if (w.peerId.equals(this.d.ourPeerId)) {
      this.d.book.remove(addr);
      return w.transport.close('connected to ourselves');
    }
    this.d.peers.attach(w.transport, addr, w.peerId, this.d.book.sourceOf(addr) ?? 'tracker', w.reserved);
  }

  private failed(addr: PeerAddress, err: unknown): void {
    this.halfOpen--;
    log('dial %s:%d failed: %s', addr.host, addr.port, errorMessage(err));
    // the wire drops a handshake with our own peer id before we see it: forget that address
    if (err instanceof WireError && err.code === 'SELF') this.d.book.remove(addr);
    else this.d.book.failed(addr, this.d.now());
  }
}
