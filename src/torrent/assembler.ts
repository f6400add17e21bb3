import { createHash, type Hash } from 'node:crypto';
import type { PieceLayout } from '../metainfo/layout.js';
import { BufferPool } from '../util/buffer-pool.js';
import { sha1Latin1 } from '../util/sha1.js';

/**
 * Collects the blocks of pieces being downloaded into one buffer per piece, and hashes
 * each piece as its blocks arrive in order, so that when the last block lands the SHA-1
 * is nearly done and no second pass over the piece is needed.
 *
 * Bytes held here are unverified; `bytes` lets the caller cap them (stop starting new
 * pieces while the cap is reached).
 */
interface Partial {
  data: Buffer;
  received: Uint8Array;
  receivedCount: number;
  /** Per block, the key of the peer that sent it (for blame when the piece fails). */
  from: number[];
  /** Made at the first block hashed before the piece is complete (a one-block piece needs none). */
  hash: Hash | undefined;
  /** Blocks [0, hashedBlocks) are in the hash. */
  hashedBlocks: number;
}

export interface AssembledPiece {
  index: number;
  data: Buffer;
  /** The piece's SHA-1 as a latin1 string (see sha1Latin1). */
  sha1: string;
  /** Per block, who sent it (the `from` given to add). */
  from: number[];
}

export class PieceAssembler {
  private readonly pieces = new Map<number, Partial>();
  private readonly pool: BufferPool;
  private held = 0;

  /** `poolBytes`: how much memory free piece buffers may keep for reuse. */
  constructor(
    private readonly layout: PieceLayout,
    poolBytes = 32 * 1024 * 1024,
  ) {
    // aligned: a verified piece goes to disk without a copy into the page cache (fs-backend.ts)
    this.pool = new BufferPool(layout.pieceLength, Math.max(2, Math.floor(poolBytes / Math.max(1, layout.pieceLength))), true);
  }

  /** A finished piece's buffer is no longer needed (written to disk, or failed). */
  release(buf: Buffer): void {
    this.pool.release(buf);
  }

  /** Unverified bytes currently held in memory (allocated piece buffers). */
  get bytes(): number {
    return this.held;
  }

  get count(): number {
    return this.pieces.size;
  }

  has(index: number): boolean {
    return this.pieces.has(index);
  }

  /**
   * Stores one block (copied: the caller's buffer may be a view of a socket chunk).
   * Returns the finished piece with its hash once every block is in, else undefined.
   * The caller guarantees (begin, data.length) is a block of the piece not yet received.
   */
  add(index: number, begin: number, block: Buffer, from = -1): AssembledPiece | undefined {
    let p = this.pieces.get(index);
    if (!p && block.length === this.layout.pieceSize(index)) {
      // the whole piece in one block (16 KiB pieces: 65,536 per GiB): no bookkeeping to
      // make and throw away
      const data = this.buffer(block.length);
      block.copy(data, 0);
      return { index, data, sha1: sha1Latin1(data), from: [from] };
    }
    if (!p) {
      const size = this.layout.pieceSize(index);
      p = {
        data: this.buffer(size),
        received: new Uint8Array(this.layout.blockCount(index)),
        receivedCount: 0,
        from: new Array<number>(this.layout.blockCount(index)).fill(-1),
        hash: undefined,
        hashedBlocks: 0,
      };
      this.pieces.set(index, p);
      this.held += size;
    }
    const b = Math.floor(begin / this.layout.blockLength);
    if (p.received[b]) return undefined;
    block.copy(p.data, begin);
    p.received[b] = 1;
    p.from[b] = from;
    p.receivedCount++;
    const complete = p.receivedCount === p.received.length;
    // complete before any hashing (one block, or blocks out of order from the start): one pass
    if (complete && p.hashedBlocks === 0) return this.finish(index, p, sha1Latin1(p.data));
    const blockLen = this.layout.blockLength;
    while (p.hashedBlocks < p.received.length && p.received[p.hashedBlocks]) {
      const start = p.hashedBlocks * blockLen;
      (p.hash ??= createHash('sha1')).update(p.data.subarray(start, Math.min(start + blockLen, p.data.length)));
      p.hashedBlocks++;
    }
    if (!complete) return undefined;
    return this.finish(index, p, p.hash!.digest('binary'));
  }

  /** A buffer for a piece of `size` bytes: a pooled one unless it is the short last piece. */
  private buffer(size: number): Buffer {
    return size === this.pool.size ? this.pool.acquire() : Buffer.allocUnsafe(size);
  }

  private finish(index: number, p: Partial, digest: string): AssembledPiece {
    this.pieces.delete(index);
    this.held -= p.data.length;
    return { index, data: p.data, sha1: digest, from: p.from };
  }

  /** Forgets a partial piece (it failed, or the download stopped). */
  drop(index: number): void {
    const p = this.pieces.get(index);
    if (!p) return;
    this.pieces.delete(index);
    this.held -= p.data.length;
    this.pool.release(p.data);
  }

  /** Forgets every partial piece and the free buffers (on stop, and once complete). */
  clear(): void {
    this.pieces.clear();
    this.held = 0;
    this.pool.trim();
  }
}
