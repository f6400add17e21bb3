import type { PieceLayout } from '../metainfo/layout.js';
import { logger } from '../util/log.js';
import { PieceAssembler, type AssembledPiece } from './assembler.js';
import { BlockBlame } from './block-blame.js';
import type { TorrentLimits } from './defaults.js';
import type { PeerAddress } from './peer-book.js';
import type { PeerConnection } from './peer-connection.js';
import type { PiecePicker } from './picker.js';

const log = logger('download');

/** What the Downloader needs from the torrent around it. */
export interface DownloadHost {
  readonly layout: PieceLayout;
  readonly picker: PiecePicker;
  readonly limits: TorrentLimits;
  now(): number;
  peerByKey(key: number): PeerConnection | undefined;
  /** Whether `digest` (latin1, as the assembler makes it) is the torrent's hash of the piece. */
  hashMatches(index: number, digest: string): boolean;
  /** A verified piece to store; resolves when it is on disk. */
  store(index: number, data: Buffer): void;
  /** A piece failed its hash check; `contributors` (peer keys) are to blame for it. */
  pieceFailed(index: number, contributors: number[]): void;
  /** Peers found to have sent bad blocks of a piece that has since passed. */
  blame(peers: PeerAddress[]): void;
  downloading(): boolean;
  /** Payload bytes received (for the download limit). */
  received(bytes: number): void;
}

/**
 * Asks peers for blocks and turns the blocks that come back into verified pieces.
 * Only a block we asked that peer for is accepted; every piece is checked by SHA-1 before
 * it is stored; a peer that delivers nothing for too long gives its blocks back.
 */
export class Downloader {
  private readonly assembler: PieceAssembler;
  private readonly blockBlame: BlockBlame;
  private readonly blocksPerPiece: number;
  /** Verified bytes received, and bytes thrown away (duplicates, failed pieces). */
  verifiedBytes = 0;
  wastedBytes = 0;
  failedPieces = 0;

  constructor(private readonly host: DownloadHost) {
    this.assembler = new PieceAssembler(host.layout, host.limits.bufferPoolBytes);
    this.blockBlame = new BlockBlame(host.layout);
    this.blocksPerPiece = Math.ceil(host.layout.pieceLength / host.layout.blockLength);
  }

  /** The buffer of a stored piece may be reused once it is on disk. */
  release(buf: Buffer): void {
    this.assembler.release(buf);
  }

  get unverifiedBytes(): number {
    return this.assembler.bytes;
  }

  blockKey(index: number, begin: number): number {
    return index * this.blocksPerPiece + begin / this.host.layout.blockLength;
  }

  private blockOf(key: number): { index: number; begin: number; length: number } {
    const index = Math.floor(key / this.blocksPerPiece);
    const b = key - index * this.blocksPerPiece;
    return { index, begin: b * this.host.layout.blockLength, length: this.host.layout.blockSize(index, b) };
  }

  /** How many requests to keep in flight to this peer: a couple of seconds of its rate. */
  pipelineTarget(peer: PeerConnection): number {
    const { minPipeline, maxPipeline, pipelineSeconds } = this.host.limits;
    const perSecond = peer.down.rate(this.host.now()) / this.host.layout.blockLength;
    // more than the peer said it queues would be rejected, or dropped
    const most = Math.min(maxPipeline, peer.reqq ?? maxPipeline);
    return Math.max(Math.min(minPipeline, most), Math.min(most, Math.ceil(perSecond * pipelineSeconds)));
  }

  /** Sends as many requests to this peer as its pipeline has room for. */
  fill(peer: PeerConnection): void {
    if (peer.closed || peer.peerChoking || !peer.amInterested || !this.host.downloading()) return;
    // a snubbed peer keeps one request: a probe that lifts the snub when it is answered
    const target = peer.snubbed ? 1 : this.pipelineTarget(peer);
    const room = target - peer.requested.size;
    if (room <= 0) return;
    // topping up after every block would cost a socket write per 17-byte request: wait
    // until a good share of the pipeline is free, while plenty is still in flight
    if (peer.requested.size > 0 && room < Math.max(4, target >> 3)) return;
    const now = this.host.now();
    const mayTake = (i: number) => peer.has.has(i) && this.blockBlame.mayTake(i, peer.key, this.active);
    let reqs = this.host.picker.next(peer.key, mayTake, room, now, false);
    // New pieces only as many as fit under the cap (rounded up: the cap plus one piece at
    // most), counting every piece under way: a piece's buffer appears only with its first
    // block, so assembler bytes alone let a burst of requests start far too many.
    const free = this.host.limits.maxUnverifiedBytes - this.bytesUnderWay();
    if (reqs.length < room && free > 0) {
      const newPieces = Math.ceil(free / this.host.layout.pieceLength);
      const max = Math.min(room - reqs.length, newPieces * this.blocksPerPiece);
      reqs = reqs.concat(this.host.picker.next(peer.key, mayTake, max, now, true));
    }
    if (reqs.length === 0) return;
    if (peer.requested.size === 0) peer.lastBlockAt = now;
    for (const r of reqs) {
      this.blockBlame.took(r.index, peer.key);
      peer.requested.set(this.blockKey(r.index, r.begin), now);
    }
    // one socket write for the batch instead of one per 17-byte request
    peer.sendRequests(reqs);
  }

  /** Unverified bytes in memory, or soon to be: every started piece counts whole. */
  private bytesUnderWay(): number {
    return Math.max(this.assembler.bytes, this.host.picker.partialCount() * this.host.layout.pieceLength);
  }

  /** Still a useful source: connected, unchoking us, not snubbed. */
  private readonly active = (key: number): boolean => {
    const p = this.host.peerByKey(key);
    return p !== undefined && !p.closed && !p.peerChoking && !p.snubbed;
  };

  /** A `piece` message. Returns false when the block was not one we asked this peer for. */
  onBlock(peer: PeerConnection, index: number, begin: number, block: Buffer): boolean {
    const layout = this.host.layout;
    if (!layout.isBlock(index, begin, block.length)) return false;
    const key = this.blockKey(index, begin);
    if (!peer.requested.delete(key)) {
      if (!peer.cancelled.delete(key)) return false;
      // it crossed our cancel on the wire (endgame, timeout): normal, and of no use
      this.wastedBytes += block.length;
      return true;
    }
    const now = this.host.now();
    peer.lastBlockAt = now;
    peer.snubbed = false;
    peer.down.add(block.length, now);
    this.host.received(block.length);
    const res = this.host.picker.received(peer.key, index, begin, block.length);
    for (const c of res.cancel) {
      const other = this.host.peerByKey(c.peer);
      const k = this.blockKey(c.index, c.begin);
      if (other && other.requested.delete(k)) this.sendCancel(other, k, c);
    }
    if (!res.accepted) {
      this.wastedBytes += block.length;
      return true;
    }
    const piece = this.assembler.add(index, begin, block, peer.key);
    if (piece) this.finish(piece);
    return true;
  }

  private finish(piece: AssembledPiece): void {
    if (this.host.hashMatches(piece.index, piece.sha1)) {
      this.verifiedBytes += piece.data.length;
      const liars = this.blockBlame.passed(piece.index, piece.data);
      this.host.store(piece.index, piece.data);
      if (liars.length > 0) this.host.blame(liars);
      return;
    }
    this.failedPieces++;
    this.wastedBytes += piece.data.length;
    const contributors = this.host.picker.failed(piece.index);
    log('piece %d failed its hash check (from %o)', piece.index, contributors);
    // one sender: it is the liar. Several: blame waits until the piece passes and shows
    // whose blocks were bad, so a liar cannot get the honest peers it mixed with banned.
    const senders = [...new Set(piece.from)];
    if (senders.length > 1) this.blockBlame.recordFailure(piece.index, piece.data, piece.from.map((k) => this.host.peerByKey(k)?.addr));
    else this.blockBlame.failedAlone(piece.index);
    // only now: recordFailure hashes the blocks, and a released buffer may be handed out again
    this.assembler.release(piece.data);
    this.host.pieceFailed(piece.index, senders.length === 1 ? senders : []);
  }

  /** The peer choked us, timed out, or went away: its requests go back to the pool. */
  giveBack(peer: PeerConnection, sendCancel: boolean): void {
    for (const key of peer.requested.keys()) {
      const b = this.blockOf(key);
      this.host.picker.cancelled(peer.key, b.index, b.begin);
      if (sendCancel) this.sendCancel(peer, key, b);
    }
    peer.requested.clear();
  }

  /** Cancels a request in flight, remembering it so that its block is no violation if it still comes. */
  private sendCancel(peer: PeerConnection, key: number, b: { index: number; begin: number; length: number }): void {
    peer.send({ type: 'cancel', index: b.index, begin: b.begin, length: b.length });
    peer.cancelled.add(key);
    // a peer that honours cancels never sends these: forget the oldest
    if (peer.cancelled.size > this.host.limits.maxPipeline) peer.cancelled.delete(peer.cancelled.values().next().value!);
  }

  /** A fast-extension reject: that one request goes back to the pool. */
  onReject(peer: PeerConnection, index: number, begin: number): void {
    if (!this.host.layout.inPiece(index, begin, 1)) return;
    const key = this.blockKey(index, begin);
    peer.cancelled.delete(key);
    if (peer.requested.delete(key)) this.host.picker.cancelled(peer.key, index, begin);
  }

  /** Periodic check: a peer that sent nothing for the timeout is snubbed and loses its requests. */
  checkTimeouts(peers: Iterable<PeerConnection>): PeerConnection[] {
    const now = this.host.now();
    const timedOut: PeerConnection[] = [];
    for (const p of peers) {
      if (p.requested.size === 0 || now - p.lastBlockAt < this.host.limits.requestTimeoutMs) continue;
      log('%s sent nothing for %d ms: snubbed, %d requests given back', p.label, now - p.lastBlockAt, p.requested.size);
      p.snubbed = true;
      this.giveBack(p, true);
      timedOut.push(p);
    }
    return timedOut;
  }

  /** Drops partial pieces (on stop). */
  clear(): void {
    this.assembler.clear();
    this.blockBlame.clear();
  }
}
