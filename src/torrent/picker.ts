/**
 * PiecePicker: which blocks to ask which peer for. Pure: values in, values out, time
 * passed in. Partial pieces first (the piece a peer was already filling before all
 * others), then new pieces rarest first with random ties (the first few at random),
 * and endgame duplicates once nothing is free. Pieces are taken in runs: rarest
 * first picks an extent (4 MiB), then the peer gets its equally rare pieces in order.
 *
 * Costs: per block O(1); a new piece is found in the availability groups of Rarity,
 * and when a peer lacks most of the rarest pieces, from a short cached rarest list built
 * by a word-wide pass over its bitfield. A piece nobody started costs ~20 bytes.
 */
import type { PieceLayout } from '../metainfo/layout.js';
import { chooseNew, duplicates, enterExtent, inExtent } from './picker-choose.js';
import { Partial, REQUESTED } from './picker-partial.js';
import { PeerState } from './picker-peer.js';
import { Rarity } from './picker-rarity.js';
import type { BlockRequest, PeerBlock, PeerKey, PickerOptions, PieceState, ReceivedResult } from './picker-types.js';

export type { BlockRequest, PeerBlock, PeerKey, PickerOptions, PieceState, ReceivedResult } from './picker-types.js';

const NONE = 0;
const PARTIAL = 1;
const VERIFYING = 2;
const HAVE = 3;

/** Finished Partials kept for reuse. */
const POOL_SIZE = 64;
/**
 * See PickerOptions.extentBytes. 1 MiB pieces at random meant 1 MiB O_DIRECT writes to
 * random places: 2.5-3.0 s of writing per GiB here; in runs of four, 1.5-1.8 s.
 */
const DEFAULT_EXTENT_BYTES = 4 * 1024 * 1024;
/** Cap on pieces per extent, so following one costs a bounded number of probes with tiny pieces. */
const MAX_EXTENT_PIECES = 256;
const NO_CANCEL: readonly PeerBlock[] = Object.freeze([]);
const REFUSED: ReceivedResult = Object.freeze({ accepted: false, pieceDone: false, cancel: NO_CANCEL });
const ACCEPTED: ReceivedResult = Object.freeze({ accepted: true, pieceDone: false, cancel: NO_CANCEL });
const ACCEPTED_DONE: ReceivedResult = Object.freeze({ accepted: true, pieceDone: true, cancel: NO_CANCEL });

/** A torrent has at least this many extents, so peers still spread over a small one at random. */
const MIN_EXTENTS = 16;

export class PiecePicker {
  readonly pieceCount: number;
  private readonly blockLength: number;
  private readonly perPiece: number;
  private readonly random: () => number;
  private readonly initialRandom: number;
  private readonly maxRequesters: number;
  /** Pieces per extent; 1: no extents. */
  private readonly extent: number;

  private readonly phase: Uint8Array;
  private readonly wantedFlag: Uint8Array;
  private readonly rarity: Rarity;
  private readonly partials = new Map<number, Partial>();
  /** Partial pieces with a free block, oldest first. */
  private readonly withFree = new Set<number>();
  private readonly verifyingFrom = new Map<number, PeerKey[]>();
  private readonly peers = new Map<PeerKey, PeerState>();
  private readonly pool: Partial[] = [];
  private seeds = 0;

  private haveN = 0;
  private wantedN = 0;
  /** Wanted pieces we do not have. */
  private missing = 0;
  private left = 0;
  /** Free blocks of wanted pieces not yet verifying or had: 0 means endgame. */
  private freeWanted = 0;
  private started = 0;

  constructor(
    readonly layout: PieceLayout,
    opts: PickerOptions = {},
  ) {
    const n = layout.pieceCount;
    this.pieceCount = n;
    this.blockLength = layout.blockLength;
    this.perPiece = Math.ceil(layout.pieceLength / layout.blockLength);
    this.random = opts.random ?? Math.random;
    this.initialRandom = opts.initialRandomPieces ?? 4;
    this.maxRequesters = 1 + Math.max(0, opts.endgameDuplicates ?? 2);
    const extentBytes = opts.extentBytes ?? DEFAULT_EXTENT_BYTES;
    this.extent = Math.max(1, Math.min(MAX_EXTENT_PIECES, Math.floor(n / MIN_EXTENTS), Math.floor(extentBytes / layout.pieceLength)));
    this.phase = new Uint8Array(n);
    this.wantedFlag = new Uint8Array(n);
    this.rarity = new Rarity(n);
    for (let i = 0; i < n; i++) {
      if (opts.wanted && !opts.wanted(i)) continue;
      this.wantedFlag[i] = 1;
      this.wantedN++;
      this.missing++;
      this.left += this.size(i);
      this.freeWanted += this.blocksOf(i);
      this.rarity.add(i);
    }
  }

  // ---- availability ----

  /** A peer and the pieces it has; calling again for a known peer adds to what it has. */
  addPeer(peer: PeerKey, has: Iterable<number> | 'all'): void {
    const st = this.peerState(peer);
    if (has === 'all') this.makeSeed(st);
    else for (const i of has) this.addHave(st, i);
  }

  /** The peer has piece `index` (a `have`). Throws RangeError outside the torrent. */
  peerHave(peer: PeerKey, index: number): void {
    this.addHave(this.peerState(peer), index);
  }

  /** The peer is gone: its availability goes, and every block it had requested is free again. */
  removePeer(peer: PeerKey): void {
    const st = this.peers.get(peer);
    if (!st) return;
    this.release(peer, st);
    if (st.seed) this.seeds--;
    else st.forEach((i) => this.rarity.dec(i));
    this.rarity.epoch++;
    this.peers.delete(peer);
  }

  availability(index: number): number {
    this.check(index);
    return this.rarity.avail[index]! + this.seeds;
  }

  // ---- our pieces ----

  /** We have this piece already (resume, or checked on disk). */
  setHave(index: number): void {
    this.check(index);
    this.toHave(index);
  }

  setWanted(index: number, wanted: boolean): void {
    this.check(index);
    if ((this.wantedFlag[index] === 1) === wanted) return;
    const d = wanted ? 1 : -1;
    this.wantedFlag[index] = wanted ? 1 : 0;
    this.wantedN += d;
    const ph = this.phase[index]!;
    if (ph !== HAVE) {
      this.missing += d;
      this.left += d * this.size(index);
      this.peersWant(index, d);
    }
    if (ph === NONE) {
      this.freeWanted += d * this.blocksOf(index);
      if (wanted) this.rarity.add(index);
      else this.rarity.remove(index);
    } else if (ph === PARTIAL) {
      this.freeWanted += d * this.partials.get(index)!.free;
    }
  }

  /** The piece passed its hash check. */
  verified(index: number): void {
    this.check(index);
    this.toHave(index);
  }

  /**
   * The piece failed its hash check: it is wanted again with every block free. Returns the
   * peers that sent its blocks, for blame. Also takes back a piece we had (bad data on disk).
   */
  failed(index: number): PeerKey[] {
    this.check(index);
    const ph = this.phase[index]!;
    if (ph === NONE) return [];
    let from: PeerKey[] = [];
    if (ph === VERIFYING) {
      from = this.verifyingFrom.get(index) ?? [];
      this.verifyingFrom.delete(index);
    } else if (ph === PARTIAL) {
      from = this.partials.get(index)!.contributors();
      this.abandon(index);
    } else {
      this.haveN--;
      if (this.wantedFlag[index]) {
        this.missing++;
        this.left += this.size(index);
        this.peersWant(index, 1);
      }
    }
    this.phase[index] = NONE;
    if (this.wantedFlag[index]) {
      this.freeWanted += this.blocksOf(index);
      this.rarity.add(index);
    }
    return from;
  }

  // ---- requests ----

  /**
   * Up to `max` blocks to request from `peer`, now marked as requested by it. `peerHas`
   * should agree with what addPeer/peerHave said. `allowNew` false: only blocks of pieces
   * already started (e.g. while too many unverified bytes are in memory).
   */
  next(peer: PeerKey, peerHas: (index: number) => boolean, max: number, now: number, allowNew = true): BlockRequest[] {
    const out: BlockRequest[] = [];
    if (!(max > 0)) return out;
    const st = this.peerState(peer);
    const cur = st.current >= 0 ? this.partials.get(st.current) : undefined;
    if (cur && cur.free > 0 && this.wantedFlag[cur.index] && peerHas(cur.index)) this.take(peer, st, cur, out, max, now);
    if (out.length < max && this.withFree.size > 0) {
      for (const index of this.withFree) {
        if (!this.wantedFlag[index] || !peerHas(index)) continue;
        this.take(peer, st, this.partials.get(index)!, out, max, now);
        if (out.length >= max) break;
      }
    }
    while (allowNew && out.length < max) {
      let index = inExtent(this.rarity, st, this.seeds, peerHas);
      if (index < 0) {
        // without a seed, a piece in availability group 0 is nowhere to be had
        const from = this.seeds > 0 ? 0 : 1;
        const randomFirst = this.started < this.initialRandom;
        index = chooseNew(this.rarity, st, peerHas, from, randomFirst, this.random);
        if (index < 0) break;
        if (!randomFirst && this.extent > 1) index = enterExtent(this.rarity, st, index, this.extent, this.seeds, peerHas);
      }
      this.take(peer, st, this.start(index), out, max, now);
    }
    if (out.length < max && this.isEndgame()) this.endgame(peer, st, peerHas, out, max, now);
    return out;
  }

  /** A block arrived from `peer`. See ReceivedResult. */
  received(peer: PeerKey, index: number, begin: number, length: number): ReceivedResult {
    const st = this.peers.get(peer);
    const p = this.partials.get(index);
    if (!st || !p || !this.layout.isBlock(index, begin, length)) return REFUSED;
    const b = begin / this.blockLength;
    if (!p.isRequester(b, peer)) return REFUSED;
    const id = index * this.perPiece + b;
    st.requests.delete(id);
    const others = p.receive(b, peer);
    let cancel = NO_CANCEL;
    if (others.length > 0) {
      const list: PeerBlock[] = [];
      for (const other of others) {
        this.peers.get(other)?.requests.delete(id);
        list.push({ peer: other, index, begin, length });
      }
      cancel = list;
    }
    const pieceDone = p.received === p.blocks;
    if (pieceDone) {
      this.phase[index] = VERIFYING;
      this.verifyingFrom.set(index, p.contributors());
      this.drop(p);
    }
    // one block of every 16 KiB piece comes through here: no fresh object unless it must
    if (cancel === NO_CANCEL) return pieceDone ? ACCEPTED_DONE : ACCEPTED;
    return { accepted: true, pieceDone, cancel };
  }

  /** The caller gave a block back (timeout, choke, reject). False if `peer` did not have it requested. */
  cancelled(peer: PeerKey, index: number, begin: number): boolean {
    const st = this.peers.get(peer);
    const p = this.partials.get(index);
    const b = begin / this.blockLength;
    if (!st || !p || !Number.isInteger(b) || b < 0 || b >= p.blocks) return false;
    if (!st.requests.delete(index * this.perPiece + b)) return false;
    this.releaseBlock(p, b, peer);
    return true;
  }

  /** Gives back every block requested from `peer` (it choked us); returns them. */
  cancelAll(peer: PeerKey): BlockRequest[] {
    const st = this.peers.get(peer);
    return st ? this.release(peer, st) : [];
  }

  // ---- queries ----

  have(index: number): boolean {
    return this.phase[index] === HAVE;
  }

  state(index: number): PieceState {
    this.check(index);
    switch (this.phase[index]) {
      case HAVE:
        return 'have';
      case VERIFYING:
        return 'verifying';
      case PARTIAL:
        return 'partial';
      default:
        return this.wantedFlag[index] ? 'wanted' : 'unwanted';
    }
  }

  haveCount(): number {
    return this.haveN;
  }

  /** Pieces selected for download, had or not. */
  wantedCount(): number {
    return this.wantedN;
  }

  /** Selected pieces we do not have yet. */
  missingCount(): number {
    return this.missing;
  }

  isComplete(): boolean {
    return this.missing === 0;
  }

  /** Bytes of selected pieces we do not have yet. */
  bytesLeft(): number {
    return this.left;
  }

  /** Every wanted block is requested or here (or verifying), and something is still missing. */
  isEndgame(): boolean {
    return this.freeWanted === 0 && this.missing > 0;
  }

  inFlight(peer: PeerKey): number {
    return this.peers.get(peer)?.requests.size ?? 0;
  }

  /** Started pieces not yet complete. */
  partialCount(): number {
    return this.partials.size;
  }

  /**
   * Does the peer have a piece we want and lack? With `peer` (known through addPeer /
   * peerHave) this is O(1); without, it looks through the missing pieces until one fits.
   */
  interesting(peerHas: (index: number) => boolean, peer?: PeerKey): boolean {
    const st = peer === undefined ? undefined : this.peers.get(peer);
    if (st) return this.isInteresting(peer!);
    for (let level = 0; level < this.rarity.levels; level++) {
      for (const i of this.rarity.group(level)) if (peerHas(i)) return true;
    }
    for (const i of this.partials.keys()) if (this.wantedFlag[i] && peerHas(i)) return true;
    for (const i of this.verifyingFrom.keys()) if (this.wantedFlag[i] && peerHas(i)) return true;
    return false;
  }

  /** O(1): does this known peer have a piece we want and lack? */
  isInteresting(peer: PeerKey): boolean {
    const st = this.peers.get(peer);
    if (!st) return false;
    return st.seed ? this.missing > 0 : st.want > 0;
  }

  // ---- internals ----

  private check(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.pieceCount) {
      throw new RangeError(`piece ${index} out of range 0..${this.pieceCount - 1}`);
    }
  }

  private size(i: number): number {
    return i === this.pieceCount - 1 ? this.layout.lastPieceLength : this.layout.pieceLength;
  }

  private blocksOf(i: number): number {
    return i === this.pieceCount - 1 ? Math.ceil(this.layout.lastPieceLength / this.blockLength) : this.perPiece;
  }

  private block(index: number, b: number): BlockRequest {
    const begin = b * this.blockLength;
    return { index, begin, length: Math.min(this.blockLength, this.size(index) - begin) };
  }

  private peerState(peer: PeerKey): PeerState {
    let st = this.peers.get(peer);
    if (!st) {
      st = new PeerState();
      this.peers.set(peer, st);
    }
    return st;
  }

  private addHave(st: PeerState, i: number): void {
    this.check(i);
    if (!st.set(i, this.pieceCount)) return;
    this.rarity.inc(i);
    if (this.wantedFlag[i] && this.phase[i] !== HAVE) st.want++;
    // a new startable piece that is rarer than the cached list (or, when the list held all
    // of them, any new one) makes the list wrong
    if (this.rarity.contains(i) && (st.cacheAll || this.rarity.avail[i]! < st.cacheWorst)) st.cacheEpoch = -1;
    if (this.rarity.contains(i) && this.rarity.avail[i]! + this.seeds < st.extentAvail) st.extentNext = -1;
    if (st.count === this.pieceCount) this.makeSeed(st);
  }

  /** Seeds are one counter, not one count per piece: joining or leaving costs O(1) after this. */
  private makeSeed(st: PeerState): void {
    if (st.seed) return;
    st.forEach((i) => this.rarity.dec(i));
    st.bits = null;
    st.count = 0;
    st.want = 0;
    st.seed = true;
    st.cacheEpoch = -1;
    this.seeds++;
  }

  /** Adjusts the wanted-piece count of every peer that has piece i. */
  private peersWant(i: number, d: number): void {
    for (const st of this.peers.values()) if (!st.seed && st.has(i)) st.want += d;
  }

  private toHave(index: number): void {
    const ph = this.phase[index]!;
    if (ph === HAVE) return;
    const wanted = this.wantedFlag[index] === 1;
    if (ph === NONE) {
      if (wanted) this.freeWanted -= this.blocksOf(index);
      this.rarity.remove(index);
    } else if (ph === PARTIAL) {
      this.abandon(index);
    } else {
      this.verifyingFrom.delete(index);
    }
    this.phase[index] = HAVE;
    this.haveN++;
    if (wanted) {
      this.missing--;
      this.left -= this.size(index);
      this.peersWant(index, -1);
    }
  }

  /** Forgets a partial piece: its requests vanish from their peers (late data is then refused). */
  private abandon(index: number): void {
    const p = this.partials.get(index)!;
    for (let b = 0; b < p.blocks; b++) {
      if (p.state[b] !== REQUESTED) continue;
      for (const peer of p.requesters(b)) this.peers.get(peer)?.requests.delete(index * this.perPiece + b);
    }
    if (this.wantedFlag[index]) this.freeWanted -= p.free;
    this.drop(p);
  }

  private drop(p: Partial): void {
    this.partials.delete(p.index);
    this.withFree.delete(p.index);
    if (p.blocks === this.perPiece && this.pool.length < POOL_SIZE) this.pool.push(p);
  }

  private start(index: number): Partial {
    this.rarity.remove(index);
    this.phase[index] = PARTIAL;
    const blocks = this.blocksOf(index);
    const p = blocks === this.perPiece && this.pool.length > 0 ? this.pool.pop()!.reuse(index) : new Partial(index, blocks);
    this.partials.set(index, p);
    this.withFree.add(index);
    this.started++;
    return p;
  }

  private take(peer: PeerKey, st: PeerState, p: Partial, out: BlockRequest[], max: number, now: number): void {
    const index = p.index;
    const wanted = this.wantedFlag[index] === 1;
    while (out.length < max) {
      const b = p.nextFree();
      if (b < 0) break;
      p.request(b, peer, now);
      st.requests.add(index * this.perPiece + b);
      if (wanted) this.freeWanted--;
      out.push(this.block(index, b));
      st.current = index;
    }
    if (p.free === 0) this.withFree.delete(index);
  }

  private releaseBlock(p: Partial, b: number, peer: PeerKey): void {
    if (!p.release(b, peer)) return;
    if (this.wantedFlag[p.index]) this.freeWanted++;
    this.withFree.add(p.index);
    if (p.requested === 0 && p.received === 0) {
      // nothing of it is here or coming: back among the pieces to start, where rarity decides again
      this.phase[p.index] = NONE;
      if (this.wantedFlag[p.index]) this.rarity.add(p.index);
      this.drop(p);
    }
  }

  private release(peer: PeerKey, st: PeerState): BlockRequest[] {
    const out: BlockRequest[] = [];
    for (const id of st.requests) {
      const index = Math.floor(id / this.perPiece);
      const b = id - index * this.perPiece;
      out.push(this.block(index, b));
      this.releaseBlock(this.partials.get(index)!, b, peer);
    }
    st.requests.clear();
    return out;
  }

  /** Blocks requested from others, fewest requesters and oldest request first. */
  private endgame(peer: PeerKey, st: PeerState, peerHas: (index: number) => boolean, out: BlockRequest[], max: number, now: number): void {
    const wanted = (i: number) => this.wantedFlag[i] === 1;
    for (const { p, b } of duplicates(this.partials.values(), peer, peerHas, wanted, this.maxRequesters)) {
      if (out.length >= max) break;
      p.request(b, peer, now);
      st.requests.add(p.index * this.perPiece + b);
      out.push(this.block(p.index, b));
    }
  }
}
