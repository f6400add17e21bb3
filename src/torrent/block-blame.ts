import type { PieceLayout } from '../metainfo/layout.js';
import { sha1 } from '../util/sha1.js';
import { addressKey, type PeerAddress } from './peer-book.js';

interface Attempt {
  /** Per block: who sent it (undefined: unknown, e.g. the peer had left) and its SHA-1. */
  senders: Array<PeerAddress | undefined>;
  hashes: Buffer[];
}

/**
 * Finds the liar among the contributors of a failed piece. Striking every contributor
 * lets one peer that sends garbage get honest peers banned simply by mixing its blocks
 * into the pieces they are filling; striking none lets a liar that always mixes go on
 * forever (and stall the download: no piece it touches ever passes). So:
 *
 * - a piece that failed with several senders is retried from one peer alone (`mayTake`
 *   and `took`), so its next failure has a single, certain culprit;
 * - the block hashes of the failed attempt are kept, and when the piece passes, the peers
 *   whose blocks differ from the good ones are the ones to blame (`passed`).
 *
 * Pure apart from hashing. Bounded: at most `maxPieces` pieces and `maxAttempts` failed
 * attempts of each are remembered (oldest forgotten first); one number per retried piece.
 */
export class BlockBlame {
  private readonly failed = new Map<number, Attempt[]>();
  /** Pieces to be retried from a single peer: the key of the one filling it, or -1. */
  private readonly solo = new Map<number, number>();

  constructor(
    private readonly layout: PieceLayout,
    private readonly maxPieces = 32,
    private readonly maxAttempts = 4,
  ) {}

  /** Pieces with failed attempts remembered. */
  get size(): number {
    return this.failed.size;
  }

  /**
   * May peer `key` take blocks of piece `index`? Not while another peer, still `active`,
   * is retrying it alone.
   */
  mayTake(index: number, key: number, active: (key: number) => boolean): boolean {
    const owner = this.solo.get(index);
    if (owner === undefined || owner === -1 || owner === key) return true;
    if (active(owner)) return false;
    this.solo.set(index, -1);
    return true;
  }

  /** Peer `key` was given blocks of piece `index`. */
  took(index: number, key: number): void {
    if (this.solo.get(index) === -1) this.solo.set(index, key);
  }

  /** A piece failed with a single sender (already blamed): still retried alone. */
  failedAlone(index: number): void {
    if (this.solo.has(index)) this.solo.set(index, -1);
  }

  /** A piece failed with several senders: remember each block's sender and hash; retry it alone. */
  recordFailure(index: number, data: Buffer, senders: Array<PeerAddress | undefined>): void {
    this.solo.set(index, -1);
    let attempts = this.failed.get(index);
    if (!attempts) {
      if (this.failed.size >= this.maxPieces) this.failed.delete(this.failed.keys().next().value!);
      attempts = [];
      this.failed.set(index, attempts);
    }
    if (attempts.length >= this.maxAttempts) attempts.shift();
    attempts.push({ senders: [...senders], hashes: this.blockHashes(index, data) });
  }

  /** The piece passed: the peers that earlier sent a block of it that differs from `data`. */
  passed(index: number, data: Buffer): PeerAddress[] {
    this.solo.delete(index);
    const attempts = this.failed.get(index);
    if (!attempts) return [];
    this.failed.delete(index);
    const good = this.blockHashes(index, data);
    const guilty = new Map<string, PeerAddress>();
    for (const a of attempts) {
      a.senders.forEach((addr, b) => {
        if (addr && !a.hashes[b]!.equals(good[b]!)) guilty.set(addressKey(addr), addr);
      });
    }
    return [...guilty.values()];
  }

  private blockHashes(index: number, data: Buffer): Buffer[] {
    const n = this.layout.blockCount(index);
    const len = this.layout.blockLength;
    const out: Buffer[] = [];
    for (let b = 0; b < n; b++) out.push(sha1(data.subarray(b * len, (b + 1) * len)));
    return out;
  }

  clear(): void {
    this.failed.clear();
    this.solo.clear();
  }
}
