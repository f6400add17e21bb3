/**
 * The peers of one swarm that share an address family and a role (seeders or leechers),
 * with their compact addresses side by side in one buffer. An answer is then one or two
 * slices of it rather than fifty small copies, and a removal moves the last entry into
 * the hole, so the block never has gaps.
 */
export interface BlockSlot {
  block: PeerBlock;
  index: number;
}

const MIN_ENTRIES = 8;

export class PeerBlock<S extends BlockSlot = BlockSlot> {
  buf: Buffer;
  readonly slots: S[] = [];
  readonly entrySize: number;

  constructor(readonly family: 4 | 6) {
    this.entrySize = family === 4 ? 6 : 18;
    this.buf = Buffer.allocUnsafe(this.entrySize * MIN_ENTRIES);
  }

  get count(): number {
    return this.slots.length;
  }

  add(slot: S, compact: Uint8Array): void {
    const n = this.slots.length;
    if ((n + 1) * this.entrySize > this.buf.length) this.resize(n * 2);
    this.buf.set(compact, n * this.entrySize);
    slot.block = this as unknown as PeerBlock;
    slot.index = n;
    this.slots.push(slot);
  }

  remove(slot: S): void {
    const last = this.slots.length - 1;
    const at = slot.index;
    if (at !== last) {
      this.buf.copyWithin(at * this.entrySize, last * this.entrySize, (last + 1) * this.entrySize);
      const moved = this.slots[last]!;
      this.slots[at] = moved;
      moved.index = at;
    }
    this.slots.pop();
    // give memory back after a swarm shrinks
    if (this.buf.length > MIN_ENTRIES * this.entrySize && this.slots.length * 4 * this.entrySize < this.buf.length) this.resize(this.slots.length * 2);
  }

  /** A copy of one entry's compact address. */
  compactOf(slot: S): Buffer {
    return Buffer.from(this.buf.subarray(slot.index * this.entrySize, (slot.index + 1) * this.entrySize));
  }

  /** Entries [from, to) as one slice of the buffer (valid until the block next changes). */
  slice(from: number, to: number): Buffer {
    return this.buf.subarray(from * this.entrySize, to * this.entrySize);
  }

  private resize(entries: number): void {
    const next = Buffer.allocUnsafe(Math.max(MIN_ENTRIES, entries) * this.entrySize);
    this.buf.copy(next, 0, 0, this.slots.length * this.entrySize);
    this.buf = next;
  }
}
