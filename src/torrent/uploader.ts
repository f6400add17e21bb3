import type { PieceLayout } from '../metainfo/layout.js';
import type { BlockSource } from '../net/peer-wire.js';
import { errorMessage } from '../util/errors.js';
import { logger } from '../util/log.js';
import type { TokenBucket } from '../util/token-bucket.js';
import { BLOCK_SIZE, CHOKE, UNCHOKE } from '../wire/messages.js';
import { choke } from './choker.js';
import type { TorrentLimits } from './defaults.js';
import type { BlockRequest, PeerConnection } from './peer-connection.js';

const log = logger('upload');

/**
 * Bytes of the pieces a peer asked for that are read ahead of the one being sent (at
 * least two pieces): with small pieces asked for out of order, many reads in flight keep
 * the thread pool busy instead of waking it once per piece.
 */
const PREFETCH_BYTES = 2 * 1024 * 1024;
const PREFETCH_MIN_PIECES = 2;
/** Small pieces a peer asked for in a row are read from disk together, up to this many bytes. */
const READ_RUN_BYTES = 1024 * 1024;

/**
 * How many pieces in a row, from the piece of queue entry `from` on, the queue asks for
 * (blocks of one piece together, pieces in ascending order), at most `max`.
 */
export function runLength(queue: readonly { index: number }[], from: number, max: number): number {
  const first = queue[from]?.index;
  if (first === undefined) return 1;
  let last = first;
  for (let i = from + 1; i < queue.length && last - first + 1 < max; i++) {
    const index = queue[i]!.index;
    if (index === last) continue;
    if (index !== last + 1) break;
    last = index;
  }
  return last - first + 1;
}

export interface UploadHost {
  readonly layout: PieceLayout;
  readonly limits: TorrentLimits;
  readonly uploadLimit: TokenBucket | undefined;
  readonly signal: AbortSignal;
  now(): number;
  havePiece(index: number): boolean;
  /**
   * The whole piece. `ahead()`, asked only when the piece must be read from disk, says how
   * many pieces from `index` on the peer asked for in a row: they may be read with it.
   */
  readPiece(index: number, ahead?: () => number): Promise<Buffer>;
  /**
   * Whether the piece is read (or being read): 'no'; 'first' when it is the first piece of
   * a run read together; 'yes' otherwise. Without it, every block looks ahead.
   */
  cached?(index: number): 'no' | 'first' | 'yes';
  /**
   * Blocks read straight into the socket's outgoing buffer when that needs no waiting (a
   * cached piece, a file in the page cache); readPiece() serves the rest.
   */
  readonly blocks?: BlockSource;
  /**
   * A block of a piece goes to a socket: the callback to call once the socket has written
   * it (the piece's buffer is recycled only when none is out).
   */
  lend?(block: Buffer): (() => void) | undefined;
  seeding(): boolean;
  peers(): Iterable<PeerConnection>;
  /** A read from disk failed: the torrent decides what that means. */
  readFailed(index: number, err: unknown): void;
}

/**
 * Serves other peers: which of them are unchoked (tit-for-tat plus one optimistic slot),
 * which requests are valid, and sending blocks as fast as each socket and the upload
 * limit allow, never faster.
 */
export class Uploader {
  uploadedBytes = 0;
  private optimistic: number | undefined;
  private optimisticSince: number | undefined;
  private readonly pumping = new Set<PeerConnection>();
  private readonly waiting = new Map<PeerConnection, NodeJS.Timeout>();
  /** The piece each peer was last sent a block of. */
  private readonly lastServed = new WeakMap<PeerConnection, number>();
  /** Pieces each peer reaches before prefetch() looks ahead again (it read far enough). */
  private readonly prefetchSkip = new WeakMap<PeerConnection, number>();
  /** Peers whose socket holds our writes until the next tick. */
  private readonly corked = new Set<PeerConnection>();

  constructor(private readonly host: UploadHost) {}

  /**
   * A `request`. Returns false for a protocol violation that should count against the
   * peer (asking while choked, for a piece we do not have, or for a bad range).
   */
  onRequest(peer: PeerConnection, r: BlockRequest): boolean {
    // r may be the request message itself: every reply spreads it first, then sets its own type
    const { layout, limits } = this.host;
    const valid = r.length <= BLOCK_SIZE && layout.inPiece(r.index, r.begin, r.length) && this.host.havePiece(r.index);
    if (peer.amChoking || !valid) {
      if (peer.fast) peer.send({ ...r, type: 'reject-request' });
      if (!valid) return false;
      // requests that crossed our choke on the wire are normal (at most a full queue of
      // them); more since we choked are a stream, and each is a violation
      return ++peer.chokedRequests <= limits.maxQueuedRequests;
    }
    if (peer.uploadQueue.length >= limits.maxQueuedRequests) {
      if (peer.fast) peer.send({ ...r, type: 'reject-request' });
      return false;
    }
    peer.uploadQueue.push({ index: r.index, begin: r.begin, length: r.length });
    this.pump(peer);
    return true;
  }

  onCancel(peer: PeerConnection, r: BlockRequest): void {
    const q = peer.uploadQueue;
    // the head may be in the middle of being read: pump() re-checks it after the read
    for (let i = 0; i < q.length; i++) {
      const x = q[i]!;
      if (x.index === r.index && x.begin === r.begin && x.length === r.length) {
        q.splice(i, 1);
        return;
      }
    }
  }

  onDrain(peer: PeerConnection): void {
    peer.blocked = false;
    this.pump(peer);
  }

  /** A peer became interested: if a slot is free, unchoke now instead of at the next round. */
  onInterested(): void {
    let unchoked = 0;
    for (const p of this.host.peers()) if (!p.amChoking && p.peerInterested) unchoked++;
    if (unchoked < this.host.limits.uploadSlots + 1) this.rechoke();
  }

  /** Re-chooses the unchoked peers (the torrent calls this every chokeIntervalMs). */
  rechoke(): void {
    const now = this.host.now();
    const peers = [...this.host.peers()].filter((p) => !p.closed);
    const res = choke(
      peers.map((p) => ({
        key: p.key,
        interested: p.peerInterested,
        downloadRate: p.down.rate(now),
        uploadRate: p.up.rate(now),
        snubbed: p.snubbed,
        connectedAt: p.connectedAt,
      })),
      {
        slots: this.host.limits.uploadSlots,
        seeding: this.host.seeding(),
        now,
        optimisticPeer: this.optimistic,
        optimisticSince: this.optimisticSince,
        optimisticMs: this.host.limits.optimisticIntervalMs,
      },
    );
    this.optimistic = res.optimistic;
    this.optimisticSince = res.optimisticSince;
    for (const p of peers) {
      const unchoke = res.unchoke.has(p.key) || res.optimistic === p.key;
      if (unchoke && p.amChoking) {
        p.amChoking = false;
        p.chokedRequests = 0;
        p.send(UNCHOKE);
      } else if (!unchoke && !p.amChoking) {
        this.chokePeer(p);
      }
    }
  }

  chokePeer(p: PeerConnection): void {
    p.amChoking = true;
    p.send(CHOKE);
    if (p.fast) for (const r of p.uploadQueue) p.send({ ...r, type: 'reject-request' });
    p.uploadQueue.length = 0;
    this.prefetchSkip.delete(p);
  }

  /** Sends queued blocks to this peer until its queue empties, it blocks, or it is choked. */
  pump(peer: PeerConnection): void {
    if (this.pumping.has(peer) || this.waiting.has(peer)) return;
    this.pumping.add(peer);
    this.serve(peer).catch((err: unknown) => log('%s: upload stopped: %s', peer.label, errorMessage(err)));
  }

  /**
   * Sends until the queue is empty, the peer blocks or is choked. Without a wait for the
   * disk this runs to the end synchronously, within the pump() that started it, so it
   * also marks itself over synchronously (not in a promise callback): the next request
   * of the same socket chunk calls pump() before any promise callback could run.
   */
  private async serve(peer: PeerConnection): Promise<void> {
    try {
      const signal = this.host.signal;
      const blocks = this.host.blocks;
      while (!peer.closed && !peer.amChoking && !peer.blocked && !signal.aborted) {
        const r = peer.uploadQueue[0];
        if (!r) return;
        const bucket = this.host.uploadLimit;
        if (bucket) {
          const wait = bucket.delayFor(r.length, this.host.now());
          if (wait > 0) {
            this.waitThenPump(peer, wait);
            return;
          }
        }
        if (blocks) {
          this.cork(peer);
          const ok = peer.transport.sendPieceFrom(r.index, r.begin, r.length, blocks);
          if (ok !== undefined) {
            peer.uploadQueue.shift();
            this.sent(peer, r.length, ok);
            continue;
          }
        }
        let piece: Buffer;
        try {
          // looking ahead costs a walk over the queue: do it once per piece, and once per run
          // read together, not once per block
          const state = this.host.cached?.(r.index) ?? 'no';
          const reading = this.host.readPiece(r.index, () => runLength(peer.uploadQueue, 0, this.maxRun));
          if (state !== 'yes' && this.lastServed.get(peer) !== r.index) this.prefetch(peer, r.index);
          this.lastServed.set(peer, r.index);
          piece = await reading;
        } catch (err) {
          this.host.readFailed(r.index, err);
          peer.uploadQueue.length = 0;
          return;
        }
        // the request may have been cancelled, or the peer choked, while we read
        if (peer.uploadQueue[0] !== r || peer.closed || peer.amChoking) continue;
        peer.uploadQueue.shift();
        this.cork(peer);
        const block = piece.subarray(r.begin, r.begin + r.length);
        this.sent(peer, r.length, peer.transport.sendPiece(r.index, r.begin, block, this.host.lend?.(block)));
      }
    } finally {
      this.pumping.delete(peer);
    }
  }

  private sent(peer: PeerConnection, bytes: number, ok: boolean): void {
    const now = this.host.now();
    this.host.uploadLimit?.spend(bytes, now);
    peer.up.add(bytes, now);
    this.uploadedBytes += bytes;
    if (!ok) peer.blocked = true;
  }

  /**
   * Blocks served from the cache go out one after the other without leaving the microtask
   * queue: hold them in the socket until the next tick (when this loop waits for the disk,
   * is blocked, or is done) and send them in one system call, not one each.
   */
  private cork(peer: PeerConnection): void {
    if (this.corked.has(peer) || !peer.transport.cork) return;
    this.corked.add(peer);
    peer.transport.cork();
    process.nextTick(() => {
      this.corked.delete(peer);
      peer.transport.uncork();
    });
  }

  /**
   * Starts reading the next pieces this peer has asked for while the current one is sent,
   * so the disk is never the gap between two pieces.
   */
  private prefetch(peer: PeerConnection, current: number): void {
    const skip = this.prefetchSkip.get(peer) ?? 0;
    if (skip > 0) {
      this.prefetchSkip.set(peer, skip - 1);
      return;
    }
    let last = current;
    let pieces = 0;
    let bytes = 0;
    // pieces ahead that will call prefetch() again when reached (first of a run, or not read)
    let calls = 0;
    const q = peer.uploadQueue;
    const size = this.host.layout.pieceLength;
    for (let i = 1; i < q.length && (pieces < PREFETCH_MIN_PIECES || bytes < PREFETCH_BYTES); i++) {
      const index = q[i]!.index;
      if (index === last) continue;
      last = index;
      pieces++;
      bytes += size;
      const state = this.host.cached?.(index) ?? 'no';
      if (state !== 'yes') calls++;
      // read already, or with a run started earlier
      if (state !== 'no') continue;
      this.host.readPiece(index, () => runLength(q, i, this.maxRun)).catch(() => undefined);
    }
    // a peer asking for random small pieces calls this for every piece: walking its whole
    // window each time was a twentieth of a seeder's CPU, for reads already started
    this.prefetchSkip.set(peer, Math.floor(calls / 2));
  }

  /** Pieces read together at most: 1 MiB of small pieces. */
  private get maxRun(): number {
    return Math.max(1, Math.floor(READ_RUN_BYTES / this.host.layout.pieceLength));
  }

  private waitThenPump(peer: PeerConnection, ms: number): void {
    const timer = setTimeout(() => {
      this.waiting.delete(peer);
      this.pump(peer);
    }, ms);
    this.waiting.set(peer, timer);
  }

  /** Cancels the rate-limit waits (the torrent is stopping). */
  stop(): void {
    for (const t of this.waiting.values()) clearTimeout(t);
    this.waiting.clear();
  }
}
