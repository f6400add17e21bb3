/**
 * The blocks of one started piece: which are free, requested (and from whom, since
 * when) or received (and from whom, to blame a bad piece on). Only started pieces have
 * one of these; a piece nobody has begun costs a few bytes in typed arrays, nothing more.
 */
import type { PeerKey } from './picker-types.js';

export const FREE = 0;
export const REQUESTED = 1;
export const RECEIVED = 2;

const NO_PEERS: readonly PeerKey[] = Object.freeze([]);

export class Partial {
  readonly state: Uint8Array;
  /** Per block: first requester, time of the first request, and the peer that delivered it. */
  private readonly owner: Float64Array;
  readonly at: Float64Array;
  private readonly from: Float64Array;
  /** Requesters beyond the first, only in endgame. */
  private extra: Map<number, PeerKey[]> | undefined;
  free: number;
  requested = 0;
  received = 0;
  /** No free block below this. */
  private cursor = 0;

  constructor(
    public index: number,
    readonly blocks: number,
  ) {
    this.state = new Uint8Array(blocks);
    this.owner = new Float64Array(blocks);
    this.at = new Float64Array(blocks);
    this.from = new Float64Array(blocks);
    this.free = blocks;
  }

  /** Makes a finished one fresh for another piece of the same size (allocation is most of a start's cost). */
  reuse(index: number): this {
    this.index = index;
    this.state.fill(0);
    this.extra = undefined;
    this.free = this.blocks;
    this.requested = 0;
    this.received = 0;
    this.cursor = 0;
    return this;
  }

  nextFree(): number {
    while (this.cursor < this.blocks && this.state[this.cursor] !== FREE) this.cursor++;
    return this.cursor < this.blocks ? this.cursor : -1;
  }

  requesterCount(b: number): number {
    if (this.state[b] !== REQUESTED) return 0;
    return 1 + (this.extra?.get(b)?.length ?? 0);
  }

  isRequester(b: number, peer: PeerKey): boolean {
    if (this.state[b] !== REQUESTED) return false;
    return this.owner[b] === peer || (this.extra?.get(b)?.includes(peer) ?? false);
  }

  requesters(b: number): PeerKey[] {
    if (this.state[b] !== REQUESTED) return [];
    return [this.owner[b]!, ...(this.extra?.get(b) ?? [])];
  }

  /** Adds `peer` as a requester of block b (a second one only in endgame). */
  request(b: number, peer: PeerKey, now: number): void {
    if (this.state[b] === FREE) {
      this.state[b] = REQUESTED;
      this.owner[b] = peer;
      this.at[b] = now;
      this.free--;
      this.requested++;
      return;
    }
    this.extra ??= new Map();
    const more = this.extra.get(b);
    if (more) more.push(peer);
    else this.extra.set(b, [peer]);
  }

  /** Drops `peer` as a requester of block b; true when that left the block free. */
  release(b: number, peer: PeerKey): boolean {
    if (this.state[b] !== REQUESTED) return false;
    const more = this.extra?.get(b);
    if (this.owner[b] === peer) {
      if (more && more.length > 0) {
        this.owner[b] = more.shift()!;
        if (more.length === 0) this.extra!.delete(b);
        return false;
      }
      this.state[b] = FREE;
      this.free++;
      this.requested--;
      if (b < this.cursor) this.cursor = b;
      return true;
    }
    if (more) {
      const k = more.indexOf(peer);
      if (k >= 0) more.splice(k, 1);
      if (more.length === 0) this.extra!.delete(b);
    }
    return false;
  }

  /** Block b arrived from `peer` (one of its requesters). Returns the other requesters. */
  receive(b: number, peer: PeerKey): readonly PeerKey[] {
    // other requesters exist only in endgame: otherwise no array per block
    let others: PeerKey[] | undefined;
    if (this.owner[b] !== peer) others = [this.owner[b]!];
    const more = this.extra?.get(b);
    if (more) {
      for (const p of more) if (p !== peer) (others ??= []).push(p);
      this.extra!.delete(b);
    }
    this.state[b] = RECEIVED;
    this.from[b] = peer;
    this.requested--;
    this.received++;
    return others ?? NO_PEERS;
  }

  /** Every peer that delivered a block of this piece, each once. */
  contributors(): PeerKey[] {
    const out: PeerKey[] = [];
    for (let b = 0; b < this.blocks; b++) {
      if (this.state[b] === RECEIVED && !out.includes(this.from[b]!)) out.push(this.from[b]!);
    }
    return out;
  }
}
