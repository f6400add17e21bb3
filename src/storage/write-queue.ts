import { StorageError, errorMessage } from '../util/errors.js';
import { logger } from '../util/log.js';

const log = logger('storage:queue');

export const DEFAULT_HIGH_WATER = 64 * 1024 * 1024;
export const DEFAULT_LOW_WATER = 16 * 1024 * 1024;
export const DEFAULT_WRITE_CONCURRENCY = 4;

export interface WriteQueueOptions {
  /** Writes one whole piece, e.g. `(i, d) => storage.writePiece(i, d)`. */
  write: (index: number, data: Buffer) => Promise<void>;
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
  private readonly queue: Item[] = [];
  private head = 0;
  private readonly waiting = new Map<number, Buffer>();
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
    this.queue.push({ index, data });
    this.waiting.set(index, data);
    this.bytes += data.length;
    if (this.bytes >= this.high) this.isPaused = true;
    this.pump();
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
      this.running++;
      this.opts.write(item.index, item.data).then(
        () => this.done(item, undefined),
        (err: unknown) => this.done(item, err),
      );
    }
  }

  private done(item: Item, err: unknown): void {
    this.running--;
    this.bytes -= item.data.length;
    if (this.waiting.get(item.index) === item.data) this.waiting.delete(item.index);
    if (err !== undefined) this.fail(item.index, err);
    // on disk even if a write beside it failed: the caller records it (resume file)
    else this.safely(() => this.opts.onWritten?.(item.index));
    if (this.failure) {
      // Dropped pieces are not on disk; the caller learns that from onError.
      for (let i = this.head; i < this.queue.length; i++) this.bytes -= this.queue[i]!.data.length;
      this.queue.length = 0;
      this.head = 0;
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
