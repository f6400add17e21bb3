/**
 * Reuses buffers of one size. Piece buffers are large (up to 16 MiB) and a download goes
 * through thousands of them: fresh allocations cost page faults and garbage collection,
 * and the process's memory grows with the torrent until the collector catches up.
 */
export class BufferPool {
  private readonly free: Buffer[] = [];

  constructor(
    readonly size: number,
    private readonly maxFree: number,
  ) {}

  acquire(): Buffer {
    return this.free.pop() ?? Buffer.allocUnsafeSlow(this.size);
  }

  /** Gives a buffer back; buffers of another size, or beyond the cap, are left to the GC. */
  release(buf: Buffer): void {
    if (buf.length === this.size && buf.byteOffset === 0 && this.free.length < this.maxFree) this.free.push(buf);
  }

  get freeCount(): number {
    return this.free.length;
  }
}
