import { StorageError, errorMessage } from '../util/errors.js';
import { logger } from '../util/log.js';

const log = logger('storage:queue');

export const DEFAULT_HIGH_WATER = 64 * 1024 * 1024;
export const DEFAULT_LOW_WATER = 16 * 1024 * 1024;
/**
 * Two writes at a time. Verified pieces go to disk with O_DIRECT (fs-backend.ts), and with
 * one write in flight the disk sat idle between writes while reading from the sockets
 * paused for a full queue: libtorrent -> swarm over 1 GiB of 16 KiB pieces, 6 alternating
 * rounds, reading was paused 269-769 ms with one and 186-470 ms with two, and the download
 * took 3.43 s against 4.01 s (medians); with 1 MiB pieces 3.30 s against 3.47 s, at the
 * same CPU and RSS. Not more: buffered writes (where O_DIRECT is refused) hold the file's
 * lock for the whole write, and four in flight cost 3.5 s of system CPU per GiB against
 * 2.0 s with one. Pieces that wait meanwhile merge into the next call.
 */
export const DEFAULT_WRITE_CONCURRENCY = 2;
/** Most bytes merged into one write (a single piece may be larger). */
export const DEFAULT_MAX_RUN_BYTES = 4 * 1024 * 1024;
/** Most pieces merged into one write (iovecs per call stay well under IOV_MAX). */
export const MAX_RUN_PIECES = 256;

export interface WriteQueueOptions {
  /** Writes one whole piece, e.g. `(i, d) => storage.writePiece(i, d)`. */
  write: (index: number, data: Buffer) => Promise<void>;
  /**
   * Writes the pieces first, first+1, ... (adjacent on disk) in one go, e.g.
   * `(i, ds) => storage.writeRun(i, ds)`. When given, pieces that wait together and follow
   * each other are merged into one call, and writes start on the next turn of the event
   * loop, so that the pieces one burst of socket data completes go to the disk together.
   */
  writeRun?: (first: number, data: readonly Buffer[]) => Promise<void>;
  /** Bytes merged into one writeRun call at most; default 1 MiB. */
  maxRunBytes?: number;
  /** push() returns false once this many bytes wait (queued or being written). */
  highWater?: number;
  /** After a false from push(), onLowWater fires once the bytes waiting fall to this. */
  lowWater?: number;
  /** A push beyond this many waiting bytes throws: the caller ignored backpressure. Default 2 x highWater. */
  maxBytes?: number;
  /** Writes in flight at once. */
  concurrency?: number;
  /** A piece is on disk (handed to the OS): now it may be announced and served. */
  onWritten?: (index: number) => void;
  /** Resume reading from sockets. */
  onLowWater?: () => void;
  /** The first write error, once. The queue is stopped from then on. */
  onError?: (err: StorageError) => void;
}

interface Item {
  index: number;
  data: Buffer;
  /** Merged into a write started for another item: skipped when reached in line. */
  taken: boolean;
}

/**
 * A bounded queue in front of the disk. Socket reads pause when it fills (push returns
 * false) and resume on onLowWater, so memory stays flat however fast peers send. The
 * first write error stops it: queued pieces are dropped (writes already under way finish
 * and are reported), every later push throws that same error (which names the file), and
 * drain() rejects with it.
 */
export class WriteQueue {
  private readonly opts: WriteQueueOptions;
  private readonly high: number;
  private readonly low: number;
  private readonly max: number;
  private readonly concurrency: number;
  private readonly maxRun: number;
  private readonly queue: Item[] = [];
  private head = 0;
  private readonly waiting = new Map<number, Buffer>();
  /** Queued items not yet started, by piece, for finding neighbours to merge. */
  private readonly queued = new Map<number, Item>();
  private scheduled = false;
  private bytes = 0;
  private running = 0;
  private isPaused = false;
  private failure: StorageError | undefined;
  private drainers: Array<() => void> = [];

  constructor(opts: WriteQueueOptions) {
    this.opts = opts;
    this.high = opts.highWater ?? DEFAULT_HIGH_WATER;
    this.low = Math.min(opts.lowWater ?? DEFAULT_LOW_WATER, this.high);
    this.max = opts.maxBytes ?? 2 * this.high;
    this.concurrency = opts.concurrency ?? DEFAULT_WRITE_CONCURRENCY;
    this.maxRun = opts.maxRunBytes ?? DEFAULT_MAX_RUN_BYTES;
    if (!(this.high > 0) || !(this.low >= 0) || !(this.max >= this.high)) {
      throw new RangeError(`bad water marks high=${this.high} low=${this.low} max=${this.max}`);
    }
    if (!Number.isInteger(this.concurrency) || this.concurrency < 1) throw new RangeError(`bad concurrency ${this.concurrency}`);
  }

  /** Bytes queued or being written. */
  get pendingBytes(): number {
    return this.bytes;
  }

  get inFlight(): number {
    return this.running;
  }

  /** True between a false from push() and onLowWater. */
  get paused(): boolean {
    return this.isPaused;
  }

  get error(): StorageError | undefined {
    return this.failure;
  }

  /** The data of a piece still waiting to be written, so it can be served meanwhile. */
  peek(index: number): Buffer | undefined {
    return this.waiting.get(index);
  }

  /**
   * Queue a verified piece. Returns false when the caller should stop reading from
   * sockets until onLowWater. Throws the queue's error once a write has failed.
   */
  push(index: number, data: Buffer): boolean {
    if (this.failure) throw this.failure;
    if (this.bytes + data.length > this.max) {
      throw new StorageError('QUEUE_FULL', `write queue over its limit of ${this.max} bytes (reading was not paused)`);
    }
    const item: Item = { index, data, taken: false };
    this.queue.push(item);
    // the same piece twice (never expected) is written twice, in order, never merged
    if (!this.queued.has(index)) this.queued.set(index, item);
    this.waiting.set(index, data);
    this.bytes += data.length;
    if (this.bytes >= this.high) this.isPaused = true;
    if (!this.opts.writeRun) this.pump();
    else if (!this.scheduled) {
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.pump();
      });
    }
    return !this.isPaused;
  }

  /** Resolves when every queued write is done; rejects with the queue's error. */
  drain(): Promise<void> {
    if (this.settled()) return this.failure ? Promise.reject(this.failure) : Promise.resolve();
    return new Promise((resolve, reject) => {
      this.drainers.push(() => (this.failure ? reject(this.failure) : resolve()));
    });
  }

  private settled(): boolean {
    return this.running === 0 && this.head === this.queue.length;
  }

  private pump(): void {
    while (!this.failure && this.running < this.concurrency && this.head < this.queue.length) {
      const item = this.queue[this.head++]!;
      if (this.head > 1024 && this.head * 2 > this.queue.length) {
        this.queue.splice(0, this.head);
        this.head = 0;
      }
      if (item.taken) continue;
      const run = this.opts.writeRun ? this.runAround(item) : [item];
      for (const it of run) {
        it.taken = true;
        if (this.queued.get(it.index) === it) this.queued.delete(it.index);
      }
      this.running++;
      const first = run[0]!;
      if (run.length === 1) {
        this.opts.write(first.index, first.data).then(
          () => this.done(run, [undefined]),
          (err: unknown) => this.done(run, [err ?? new Error('write failed')]),
        );
      } else {
        void this.writeMerged(run).then((results) => this.done(run, results));
      }
    }
  }

  /**
   * One call for the run; if it fails, which of its pieces reached the disk is unknown, so
   * each is written again on its own: one that succeeds is on disk whole (rewriting bytes
   * already there needs no new room on a full disk), one that fails is not. Per piece:
   * undefined when written, else its error.
   */
  private async writeMerged(run: Item[]): Promise<unknown[]> {
    try {
      await this.opts.writeRun!(run[0]!.index, run.map((it) => it.data));
      return run.map(() => undefined);
    } catch (err) {
      log('writing pieces %d-%d together failed (%s): one by one', run[0]!.index, run[run.length - 1]!.index, errorMessage(err));
    }
    const out: unknown[] = [];
    for (const item of run) {
      try {
        await this.opts.write(item.index, item.data);
        out.push(undefined);
      } catch (err) {
        out.push(err ?? new Error('write failed'));
      }
    }
    return out;
  }

  /** `item` and the queued pieces right before and after it, in piece order, within the size caps. */
  private runAround(item: Item): Item[] {
    const run = [item];
    let size = item.data.length;
    const fits = (next: Item | undefined): next is Item =>
      next !== undefined && !next.taken && run.length < MAX_RUN_PIECES && size + next.data.length <= this.maxRun;
    for (let i = item.index + 1, next = this.queued.get(i); fits(next); next = this.queued.get(++i)) {
      run.push(next);
      size += next.data.length;
    }
    const before: Item[] = [];
    for (let i = item.index - 1, prev = this.queued.get(i); fits(prev); prev = this.queued.get(--i)) {
      before.push(prev);
      size += prev.data.length;
    }
    return before.length === 0 ? run : before.reverse().concat(run);
  }

  /** `results[k]`: undefined when run[k] is on disk, else its error. */
  private done(run: Item[], results: unknown[]): void {
    this.running--;
    for (const item of run) {
      this.bytes -= item.data.length;
      if (this.waiting.get(item.index) === item.data) this.waiting.delete(item.index);
    }
    run.forEach((item, k) => {
      const err = results[k];
      if (err !== undefined) this.fail(item.index, err);
      // on disk even if a write beside it failed: the caller records it (resume file)
      else this.safely(() => this.opts.onWritten?.(item.index));
    });
    if (this.failure) {
      // Dropped pieces are not on disk; the caller learns that from onError.
      for (let i = this.head; i < this.queue.length; i++) {
        const item = this.queue[i]!;
        if (!item.taken) this.bytes -= item.data.length;
      }
      this.queue.length = 0;
      this.head = 0;
      this.queued.clear();
      this.waiting.clear();
    } else {
      if (this.isPaused && this.bytes <= this.low) {
        this.isPaused = false;
        this.safely(() => this.opts.onLowWater?.());
      }
      this.pump();
    }
    if (this.settled()) {
      const d = this.drainers;
      this.drainers = [];
      for (const f of d) f();
    }
  }

  private fail(index: number, err: unknown): void {
    if (this.failure) {
      log('another write failed after the first error: piece %d: %s', index, errorMessage(err));
      return;
    }
    this.failure =
      err instanceof StorageError
        ? err
        : new StorageError('WRITE_FAILED', `writing piece ${index} failed: ${errorMessage(err)}`, { cause: err });
    const failure = this.failure;
    this.safely(() => this.opts.onError?.(failure));
  }

  /** A throwing callback is a bug upstream: keep our state whole, then let it surface. */
  private safely(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}
