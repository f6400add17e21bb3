/**
 * What the picker keeps per peer: the pieces it has (a bitset, or "all" for a seed),
 * the blocks we asked it for, and a short cached list of the rarest pieces it has.
 */
import type { Rarity } from './picker-rarity.js';

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

/**
 * The `limit` rarest startable pieces among `bits`, rarest first, ties in random order.
 * Two passes over the intersection of the peer's bitset with the startable set (word-wide,
 * so empty stretches cost one AND per 32 pieces): a histogram of availability to find the
 * cut-off level, then the pieces below it plus a random sample of those at it.
 */
export function rarestAmong(bits: Uint32Array, rarity: Rarity, limit: number, random: () => number): { list: number[]; all: boolean } {
  const member = rarity.member;
  const avail = rarity.avail;
  const hist = new Uint32Array(rarity.levels);
  let total = 0;
  const each = (fn: (i: number) => void) => {
    // start at a random word so equal pieces early in the torrent are not always first
    const n = bits.length;
    const start = n === 0 ? 0 : Math.floor(random() * n);
    for (let k = 0; k < n; k++) {
      const w = (start + k) % n;
      let x = (bits[w]! & member[w]!) | 0;
      while (x !== 0) {
        const low = x & -x;
        fn((w << 5) + 31 - Math.clz32(low));
        x ^= low;
      }
    }
  };
  each((i) => {
    hist[avail[i]!]!++;
    total++;
  });
  if (total === 0) return { list: [], all: true };
  const want = Math.min(limit, total);
  let cut = 0;
  let below = 0;
  while (below + hist[cut]! < want) below += hist[cut++]!;
  const room = want - below;
  const low: number[] = [];
  const ties: number[] = [];
  let seen = 0;
  each((i) => {
    const a = avail[i]!;
    if (a < cut) low.push(i);
    else if (a === cut) {
      // reservoir sample: every piece at the cut-off level is equally likely to be kept
      seen++;
      if (ties.length < room) ties.push(i);
      else {
        const j = Math.floor(random() * seen);
        if (j < room) ties[j] = i;
      }
    }
  });
  const list = low.concat(ties);
  for (let k = list.length - 1; k > 0; k--) {
    const j = Math.floor(random() * (k + 1));
    const t = list[k]!;
    list[k] = list[j]!;
    list[j] = t;
  }
  list.sort((a, b) => avail[a]! - avail[b]!);
  return { list, all: total <= limit };
}
