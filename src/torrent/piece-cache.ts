/**
 * A small LRU of whole pieces read for uploading: peers ask for a piece 16 KiB at a time,
 * and several peers often want the same piece, so one positioned read of the piece serves
 * many requests. Bounded in bytes.
 */
export class PieceCache {
  private readonly entries = new Map<number, Promise<Buffer>>();
  private readonly sizes = new Map<number, number>();
  private held = 0;

  constructor(
    private readonly maxBytes: number,
    private readonly load: (index: number) => Promise<Buffer>,
    private readonly sizeOf: (index: number) => number,
  ) {}

  get bytes(): number {
    return this.held;
  }

  get(index: number): Promise<Buffer> {
    const hit = this.entries.get(index);
    if (hit) {
      // move to the most recently used end
      this.entries.delete(index);
      this.entries.set(index, hit);
      return hit;
    }
    const size = this.sizeOf(index);
    const p = this.load(index);
    if (size > this.maxBytes) return p;
    this.entries.set(index, p);
    this.sizes.set(index, size);
    this.held += size;
    // a failed read must not stay cached
    p.catch(() => this.evict(index));
    while (this.held > this.maxBytes) {
      const oldest = this.entries.keys().next().value as number;
      this.evict(oldest);
    }
    return p;
  }

  evict(index: number): void {
    if (!this.entries.delete(index)) return;
    this.held -= this.sizes.get(index) ?? 0;
    this.sizes.delete(index);
  }

  clear(): void {
    this.entries.clear();
    this.sizes.clear();
    this.held = 0;
  }
}
