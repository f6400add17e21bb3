import { PAGE_BYTES, allocPageAligned } from './aligned.js';

/** Memory carved into aligned buffers at a time (fewer, larger WebAssembly memories). */
const SLAB_BYTES = 8 * 1024 * 1024;

/**
 * Reuses buffers of one size. Piece buffers are large (up to 16 MiB) and a download goes
 * through thousands of them: fresh allocations cost page faults and garbage collection,
 * and the process's memory grows with the torrent until the collector catches up.
 *
 * With `aligned`, every buffer starts on a page (see aligned.ts), so a verified piece can
 * be written to disk without passing through the page cache. Those buffers are carved
 * from shared slabs, and one kept alive keeps its whole slab, so the pool keeps every
 * aligned buffer it made (at most as many as were ever in use at once) until trim().
 */
export class BufferPool {
  private readonly free: Buffer[] = [];
  private readonly own = new WeakSet<Buffer>();
  private slab: Buffer | undefined;
  private slabUsed = 0;

  constructor(
    readonly size: number,
    private readonly maxFree: number,
    private readonly aligned = false,
  ) {}

  acquire(): Buffer {
    return this.free.pop() ?? this.allocate();
  }

  /** Gives a buffer back; buffers of another size, or beyond the cap, are left to the GC. */
  release(buf: Buffer): void {
    if (this.aligned) {
      if (this.own.has(buf)) this.free.push(buf);
      return;
    }
    if (buf.length === this.size && buf.byteOffset === 0 && this.free.length < this.maxFree) this.free.push(buf);
  }

  /** Forgets the free buffers (the download is over); ones still in use are left to the GC. */
  trim(): void {
    this.free.length = 0;
    this.slab = undefined;
  }

  get freeCount(): number {
    return this.free.length;
  }

  private allocate(): Buffer {
    if (!this.aligned) return Buffer.allocUnsafeSlow(this.size);
    const stride = Math.ceil(this.size / PAGE_BYTES) * PAGE_BYTES;
    if (!this.slab || this.slabUsed + stride > this.slab.length) {
      this.slab = allocPageAligned(Math.max(stride, Math.floor(SLAB_BYTES / stride) * stride));
      this.slabUsed = 0;
    }
    const buf = this.slab.subarray(this.slabUsed, this.slabUsed + this.size);
    this.slabUsed += stride;
    this.own.add(buf);
    return buf;
  }
}
