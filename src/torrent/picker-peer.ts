/**
 * What the picker keeps per peer: the pieces it has (a bitset, or "all" for a seed),
 * the blocks we asked it for, a short cached list of the rarest pieces it has, and the
 * extent of pieces it is working through.
 */
export class PeerState {
  seed = false;
  /** Pieces it has, LSB-first within 32-bit words; null for seeds and empty peers. */
  bits: Uint32Array | null = null;
  /** How many pieces `bits` holds. */
  count = 0;
  /** Pieces it has that we want and do not have yet (not kept for seeds). */
  want = 0;
  /** Block ids (index * blocksPerPiece + block) requested from it. */
  readonly requests = new Set<number>();
  /** The piece it last got blocks of: it goes on with that one first. */
  current = -1;
  /** Cached rarest startable pieces it has, valid while `cacheEpoch` matches Rarity.epoch. */
  cache: number[] = [];
  cachePos = 0;
  cacheEpoch = -1;
  /** The cache held every startable piece it has, so when used up there are no more. */
  cacheAll = false;
  /** Availability of the last (least rare) piece in the cache when it was built. */
  cacheWorst = 0;
  /** The extent this peer is working through: next piece to look at, end, and its rarity. */
  extentNext = -1;
  extentEnd = -1;
  extentAvail = 0;
  /** Rarity.epoch when the extent was entered: a change may have made other pieces rarer. */
  extentEpoch = -1;

  has(i: number): boolean {
    if (this.seed) return true;
    return this.bits !== null && ((this.bits[i >>> 5]! >>> (i & 31)) & 1) === 1;
  }

  /** Records piece i; false when it was already known. */
  set(i: number, pieces: number): boolean {
    if (this.seed || this.has(i)) return false;
    this.bits ??= new Uint32Array((pieces + 31) >>> 5);
    this.bits[i >>> 5]! |= 1 << (i & 31);
    this.count++;
    return true;
  }

  forEach(fn: (i: number) => void): void {
    if (this.bits) forEachBit(this.bits, fn);
  }
}

export function forEachBit(words: Uint32Array, fn: (i: number) => void): void {
  for (let w = 0; w < words.length; w++) {
    let x = words[w]! | 0;
    while (x !== 0) {
      const low = x & -x;
      fn((w << 5) + 31 - Math.clz32(low));
      x ^= low;
    }
  }
}
