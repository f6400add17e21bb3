/** One recycled buffer and where it is in its life. */
interface Slot {
  readonly buf: Buffer;
  /**
   * out: holds pieces in the cache. quarantine: dropped from the cache, until the current
   * microtask turn ends. held: dropped, blocks of it still in sockets. free: reusable.
   * gone: left to the collector.
   */
  state: 'out' | 'quarantine' | 'held' | 'free' | 'gone';
  /** Blocks cut from it that sockets have not written yet. */
  lends: number;
  /** The socket write callback for its blocks (one function per buffer, not per block). */
  readonly release: () => void;
}

/**
 * Reuses the buffers pieces are read into for uploading. A seeder serving 1 GiB of 16 KiB
 * pieces to libtorrent (which asks for them in short runs, in random order) made 30,000
 * reads of 16-500 KiB; a fresh buffer for each cost it a fifth of its CPU, in allocation
 * and in the collections that so much memory outside the heap set off.
 *
 * Blocks go to sockets without a copy, so a buffer dropped from the piece cache is reused
 * only when no socket holds a block of it: every block sent is lent (`lend`), and the
 * socket's write callback gives it back. One more wait: a request that got the piece
 * before the drop sends its block in the same microtask turn as the drop (both follow the
 * read's promise), so lends are counted to the end of that turn (a nextTick) before a
 * dropped buffer with none may be reused.
 *
 * Sizes come in classes, `unit` (the piece length) times a power of two, so that runs of
 * pieces read together are recycled too; a buffer is at most twice the bytes asked for.
 * At most `maxBytes` are kept out of the cache; beyond that buffers go to the collector.
 */
export class ReadBuffers {
  private readonly slots = new WeakMap<ArrayBufferLike, Slot>();
  /** Free slots by size. */
  private readonly free = new Map<number, Slot[]>();
  private quarantine: Slot[] = [];
  /** Bytes kept only for reuse: quarantined or free (a held buffer is the sockets' to keep). */
  private keptBytes = 0;
  /** Buffers handed out: recycled, and new. */
  reused = 0;
  allocated = 0;

  constructor(
    readonly unit: number,
    private readonly maxBytes: number,
  ) {}

  /** The length of the buffer take(bytes) returns. */
  sizeFor(bytes: number): number {
    let size = this.unit;
    while (size < bytes) size *= 2;
    return size;
  }

  /** A buffer of sizeFor(bytes), recycled when one is free. */
  take(bytes: number): Buffer {
    const size = this.sizeFor(bytes);
    const slot = this.free.get(size)?.pop();
    if (slot) {
      this.reused++;
      this.keptBytes -= size;
      slot.state = 'out';
      return slot.buf;
    }
    this.allocated++;
    const buf = Buffer.allocUnsafeSlow(size);
    const fresh: Slot = { buf, state: 'out', lends: 0, release: () => this.release(fresh) };
    this.slots.set(buf.buffer, fresh);
    return buf;
  }

  /** `buf` (from take()) is out of the cache: no request will get a piece of it any more. */
  give(buf: Buffer): void {
    const slot = this.slots.get(buf.buffer);
    if (!slot || slot.state !== 'out') return;
    if (!this.makeRoom(buf.length)) {
      this.forget(slot);
      return;
    }
    this.keptBytes += buf.length;
    slot.state = 'quarantine';
    if (this.quarantine.push(slot) === 1) process.nextTick(this.endQuarantine);
  }

  /**
   * A block of `block` goes into a socket: returns the callback to call once the socket
   * has written it (undefined when the memory is not ours to recycle).
   */
  lend(block: Buffer): (() => void) | undefined {
    const slot = this.slots.get(block.buffer);
    if (!slot || slot.state === 'gone') return undefined;
    slot.lends++;
    return slot.release;
  }

  /** Bytes kept only for reuse. */
  get kept(): number {
    return this.keptBytes;
  }

  private release(slot: Slot): void {
    slot.lends--;
    if (slot.lends > 0 || slot.state !== 'held') return;
    if (this.makeRoom(slot.buf.length)) {
      this.keptBytes += slot.buf.length;
      this.setFree(slot);
    } else this.forget(slot);
  }

  /** The microtask turn of the drops is over: whatever was lent from them is counted. */
  private readonly endQuarantine = (): void => {
    const q = this.quarantine;
    this.quarantine = [];
    for (const slot of q) {
      if (slot.state !== 'quarantine') continue;
      if (slot.lends === 0) this.setFree(slot);
      else {
        slot.state = 'held';
        this.keptBytes -= slot.buf.length;
      }
    }
  };

  private setFree(slot: Slot): void {
    slot.state = 'free';
    const size = slot.buf.length;
    let list = this.free.get(size);
    if (!list) this.free.set(size, (list = []));
    list.push(slot);
  }

  /** Lets free buffers go (a size no longer asked for must not fill the pool) until `bytes` fit. */
  private makeRoom(bytes: number): boolean {
    if (this.keptBytes + bytes <= this.maxBytes) return true;
    for (const list of this.free.values()) {
      while (list.length > 0 && this.keptBytes + bytes > this.maxBytes) {
        const slot = list.pop()!;
        this.keptBytes -= slot.buf.length;
        this.forget(slot);
      }
    }
    return this.keptBytes + bytes <= this.maxBytes;
  }

  private forget(slot: Slot): void {
    slot.state = 'gone';
    this.slots.delete(slot.buf.buffer);
  }
}
