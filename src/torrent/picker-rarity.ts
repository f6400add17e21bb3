/**
 * How many peers have each piece, and the pieces still to start (wanted, not begun)
 * grouped by that count, so the rarest group is at hand without a pass over every piece.
 * Moving a piece between groups is a swap-remove and a push: O(1).
 */
export class Rarity {
  /** Peers that have each piece, not counting seeds (the picker adds those). */
  readonly avail: Uint32Array;
  /** Bitset of the pieces still to start, for word-wide intersection with a peer's bitfield. */
  readonly member: Uint32Array;
  /** Each member's slot in its group; -1 for non-members. */
  private readonly pos: Int32Array;
  private readonly groups: number[][] = [[]];
  size = 0;
  /**
   * Bumped whenever a list of "rarest pieces this peer has" computed earlier may now be
   * wrong by more than a few places: a piece became startable again, or a peer left.
   */
  epoch = 0;

  constructor(pieces: number) {
    this.avail = new Uint32Array(pieces);
    this.member = new Uint32Array((pieces + 31) >>> 5);
    this.pos = new Int32Array(pieces).fill(-1);
  }

  contains(i: number): boolean {
    return this.pos[i]! >= 0;
  }

  /** Groups 0..levels-1 exist; a member's availability is below `levels`. */
  get levels(): number {
    return this.groups.length;
  }

  group(level: number): readonly number[] {
    return this.groups[level] ?? [];
  }

  add(i: number): void {
    if (this.contains(i)) return;
    this.attach(i);
    this.member[i >>> 5]! |= 1 << (i & 31);
    this.size++;
    this.epoch++;
  }

  remove(i: number): void {
    if (!this.contains(i)) return;
    this.detach(i);
    this.member[i >>> 5]! &= ~(1 << (i & 31));
    this.size--;
  }

  inc(i: number): void {
    const member = this.contains(i);
    if (member) this.detach(i);
    this.avail[i]!++;
    if (member) this.attach(i);
  }

  dec(i: number): void {
    if (this.avail[i] === 0) throw new RangeError(`availability of piece ${i} below zero`);
    const member = this.contains(i);
    if (member) this.detach(i);
    this.avail[i]!--;
    if (member) this.attach(i);
  }

  /**
   * The rarest member that `accept` takes, looking from group `from` up, starting each
   * group at a random place so ties go to chance. Returns -1 when there is none, -2 when
   * `budget` probes ran out first (the caller then has a cheaper way to look).
   */
  scan(accept: (i: number) => boolean, from: number, budget: number, random: () => number): number {
    for (let level = from; level < this.groups.length; level++) {
      const g = this.groups[level]!;
      const n = g.length;
      if (n === 0) continue;
      const start = Math.floor(random() * n);
      for (let k = 0; k < n; k++) {
        const i = g[(start + k) % n]!;
        if (accept(i)) return i;
        if (--budget <= 0) return -2;
      }
    }
    return -1;
  }

  /** A uniformly random member in groups `from` and up that `accept` takes, in at most `tries` draws; -1 if none. */
  sample(accept: (i: number) => boolean, from: number, tries: number, random: () => number): number {
    let total = 0;
    for (let level = from; level < this.groups.length; level++) total += this.groups[level]!.length;
    if (total === 0) return -1;
    for (let t = 0; t < tries; t++) {
      let r = Math.floor(random() * total);
      for (let level = from; level < this.groups.length; level++) {
        const g = this.groups[level]!;
        if (r < g.length) {
          if (accept(g[r]!)) return g[r]!;
          break;
        }
        r -= g.length;
      }
    }
    return -1;
  }

  private attach(i: number): void {
    const level = this.avail[i]!;
    while (this.groups.length <= level) this.groups.push([]);
    const g = this.groups[level]!;
    this.pos[i] = g.length;
    g.push(i);
  }

  private detach(i: number): void {
    const g = this.groups[this.avail[i]!]!;
    const p = this.pos[i]!;
    const last = g.pop()!;
    if (last !== i) {
      g[p] = last;
      this.pos[last] = p;
    }
    this.pos[i] = -1;
  }
}
