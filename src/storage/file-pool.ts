import { StorageError } from '../util/errors.js';
import { logger } from '../util/log.js';
import { Confiner } from './confine.js';
import { type FsBackend, type FsHandle, type FsStat, nodeBackend, storageError } from './fs-backend.js';

const log = logger('storage:pool');

export const DEFAULT_MAX_OPEN_FILES = 64;

interface Entry {
  readonly key: string;
  readonly rel: readonly string[];
  readonly writable: boolean;
  readonly ready: Promise<FsHandle>;
  /** The handle once open (ready has resolved). */
  handle: FsHandle | undefined;
  opened: boolean;
  evicting: boolean;
  dirty: boolean;
  inFlight: number;
  onIdle: (() => void) | undefined;
}

/**
 * A bounded pool of open file handles, least recently used evicted first. Files open
 * lazily; a write opens read-write and creates the file and its folders, a read opens
 * read only and never creates anything. The cap counts every handle from the moment its
 * open starts until its close finishes, so it holds even while evictions are in flight.
 */
export class FilePool {
  readonly confiner: Confiner;
  private readonly backend: FsBackend;
  private readonly max: number;
  /** Insertion order is recency order: the first entry is the least recently used. */
  private readonly entries = new Map<string, Entry>();
  /** The entry last moved to (or added at) the end of `entries`. */
  private newest: Entry | undefined;
  private lastRel: readonly string[] | undefined;
  private lastKey = '';
  /** Handles opening, open or closing. Never above `max`. */
  private slots = 0;
  private waiters: Array<() => void> = [];
  /** Files written through a handle that was closed without fsync since. */
  private readonly dirtyClosed = new Map<string, readonly string[]>();
  private closed = false;
  /** Calls in progress, and close() waiting for them to end. */
  private active = 0;
  private idle: Array<() => void> = [];
  private closing: Promise<void> | undefined;

  constructor(opts: { root: string; backend?: FsBackend; maxOpen?: number }) {
    this.backend = opts.backend ?? nodeBackend;
    this.max = opts.maxOpen ?? DEFAULT_MAX_OPEN_FILES;
    if (!Number.isInteger(this.max) || this.max < 1) throw new RangeError(`bad maxOpen ${this.max}`);
    this.confiner = new Confiner(opts.root, this.backend);
  }

  /** Handles currently opening, open or closing. */
  get openCount(): number {
    return this.slots;
  }

  display(rel: readonly string[]): string {
    return this.confiner.display(rel);
  }

  /** Fill buf[offset, offset+length) from `position`; returns bytes read (short at end of file). */
  read(rel: readonly string[], buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    return this.use(rel, false, 'reading', async (h) => {
      let done = 0;
      while (done < length) {
        const n = await h.read(buf, offset + done, length - done, position + done);
        if (n === 0) break;
        done += n;
      }
      return done;
    });
  }

  /**
   * As read(), without waiting: undefined unless the file is open already and its handle
   * reads on this thread now (see FsHandle.readNow). A failed read is undefined too: the
   * caller goes on with read(), which reports it.
   */
  readNow(rel: readonly string[], buf: Buffer, offset: number, length: number, position: number): number | undefined {
    if (this.closed) return undefined;
    const key = this.keyOf(rel);
    const e = this.entries.get(key);
    const h = e?.handle;
    if (!e || !h?.readNow || e.evicting) return undefined;
    this.touch(key, e);
    let done = 0;
    try {
      while (done < length) {
        const n = h.readNow(buf, offset + done, length - done, position + done);
        if (n === undefined) return undefined;
        if (n === 0) break;
        done += n;
      }
    } catch {
      return undefined;
    }
    return done;
  }

  write(rel: readonly string[], buf: Buffer, offset: number, length: number, position: number): Promise<void> {
    return this.use(rel, true, 'writing', async (h, e) => {
      e.dirty = true;
      await writeAll(h, buf, offset, length, position);
    });
  }

  /**
   * `bufs` back to back from `position`: one pwritev where the backend has it (many small
   * pieces, one system call and one trip to the thread pool), else one write per buffer.
   */
  writev(rel: readonly string[], bufs: readonly Buffer[], position: number): Promise<void> {
    return this.use(rel, true, 'writing', async (h, e) => {
      e.dirty = true;
      let pos = position;
      let rest = bufs.filter((b) => b.length > 0);
      while (rest.length > 0) {
        if (!h.writev || rest.length === 1) {
          const b = rest[0]!;
          await writeAll(h, b, 0, b.length, pos);
          pos += b.length;
          rest = rest.slice(1);
          continue;
        }
        let n = await h.writev(rest, pos);
        if (n <= 0) throw noProgress();
        pos += n;
        // drop what was written; a partly written buffer goes on from where it stopped
        let k = 0;
        while (k < rest.length && n >= rest[k]!.length) n -= rest[k++]!.length;
        rest = rest.slice(k);
        if (n > 0) rest[0] = rest[0]!.subarray(n);
      }
    });
  }

  /** Create the file if missing and set its length (sparse when growing). */
  truncate(rel: readonly string[], length: number): Promise<void> {
    return this.use(rel, true, 'setting the size of', async (h, e) => {
      const st = await h.stat();
      if (st.size !== length) {
        e.dirty = true;
        await h.truncate(length);
      }
    });
  }

  /** Stat through the confinement check; null when missing. Opens nothing. */
  async stat(rel: readonly string[]): Promise<FsStat | null> {
    const path = await this.confiner.resolve(rel, false);
    try {
      return await this.backend.stat(path);
    } catch (err) {
      throw storageError(err, 'checking', path);
    }
  }

  /** fsync every file written since its last sync, open or not. */
  async flush(): Promise<void> {
    this.assertOpen();
    const jobs: Promise<void>[] = [];
    for (const e of this.entries.values()) {
      if (e.dirty && e.writable) {
        e.dirty = false;
        jobs.push(
          this.withEntry(e, 'syncing', (h) => h.sync()).catch((err: unknown) => {
            e.dirty = true;
            throw err;
          }),
        );
      }
    }
    for (const [key, rel] of [...this.dirtyClosed]) {
      this.dirtyClosed.delete(key);
      jobs.push(this.use(rel, true, 'syncing', (h) => h.sync()));
    }
    const results = await Promise.allSettled(jobs);
    const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /**
   * Refuse new I/O, let every call already made finish (including ones still waiting for
   * a handle), then close every handle.
   */
  close(): Promise<void> {
    if (!this.closing) {
      this.closed = true;
      this.closing = (async () => {
        while (this.active > 0) await new Promise<void>((r) => this.idle.push(r));
        await Promise.all([...this.entries.values()].map((e) => this.evict(e)));
      })();
    }
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closed) throw new StorageError('CLOSED', 'storage is closed');
  }

  private async use<T>(
    rel: readonly string[],
    writable: boolean,
    action: string,
    fn: (h: FsHandle, e: Entry) => Promise<T>,
  ): Promise<T> {
    this.assertOpen();
    const key = this.keyOf(rel);
    let e = this.entries.get(key);
    if (e && writable && !e.writable) {
      void this.evict(e); // reopen read-write; the read-only handle closes when idle
      e = undefined;
    }
    if (e) this.touch(key, e);
    else e = this.openEntry(key, rel, writable);
    return this.withEntry(e, action, (h) => fn(h, e));
  }

  /**
   * The pool's key for a file. A seeder of small pieces asks for the same file (the same
   * path array of the layout) once per block: the last answer is kept.
   */
  private keyOf(rel: readonly string[]): string {
    if (rel !== this.lastRel) {
      this.lastRel = rel;
      this.lastKey = rel.join('/');
    }
    return this.lastKey;
  }

  /**
   * Most recently used now: the last to be evicted. The map keeps insertion order, so the
   * newest entry is the last one; moving it again would only churn the map's table (once
   * per block read from a single-file torrent).
   */
  private touch(key: string, e: Entry): void {
    if (this.newest === e) return;
    this.entries.delete(key);
    this.entries.set(key, e);
    this.newest = e;
  }

  private async withEntry<T>(e: Entry, action: string, fn: (h: FsHandle) => Promise<T>): Promise<T> {
    e.inFlight++;
    this.active++;
    try {
      const h = await e.ready;
      try {
        return await fn(h);
      } catch (err) {
        throw storageError(err, action, this.display(e.rel));
      }
    } finally {
      if (--e.inFlight === 0 && e.onIdle) e.onIdle();
      if (--this.active === 0) {
        const w = this.idle;
        this.idle = [];
        for (const r of w) r();
      }
    }
  }

  private openEntry(key: string, rel: readonly string[], writable: boolean): Entry {
    const e: Entry = {
      key,
      rel,
      writable,
      ready: undefined as unknown as Promise<FsHandle>,
      handle: undefined,
      opened: false,
      evicting: false,
      dirty: false,
      inFlight: 0,
      onIdle: undefined,
    };
    (e as { ready: Promise<FsHandle> }).ready = (async () => {
      await this.acquireSlot();
      try {
        const path = await this.confiner.resolve(rel, writable);
        let h: FsHandle;
        try {
          h = await this.backend.open(path, writable ? 'readwrite' : 'read');
        } catch (err) {
          throw storageError(err, writable ? 'opening for writing' : 'opening', path);
        }
        // Data written through an earlier handle is not synced yet: this one owes it.
        if (writable && this.dirtyClosed.delete(key)) e.dirty = true;
        e.opened = true;
        e.handle = h;
        this.notify(); // a new evictable entry: waiters may use it
        return h;
      } catch (err) {
        if (this.entries.get(key) === e) this.entries.delete(key);
        this.releaseSlot();
        throw err;
      }
    })();
    e.ready.catch(() => undefined); // failures reach the caller through withEntry
    this.entries.set(key, e);
    this.newest = e;
    return e;
  }

  private async acquireSlot(): Promise<void> {
    while (this.slots >= this.max) {
      for (const victim of this.entries.values()) {
        if (victim.opened && !victim.evicting) {
          void this.evict(victim);
          break;
        }
      }
      await new Promise<void>((r) => this.waiters.push(r));
    }
    this.slots++;
  }

  private releaseSlot(): void {
    this.slots--;
    this.notify();
  }

  private notify(): void {
    const w = this.waiters;
    this.waiters = [];
    for (const r of w) r();
  }

  /** Remove from the pool now; close once the I/O in flight on it is done. */
  private async evict(e: Entry): Promise<void> {
    if (e.evicting) return;
    e.evicting = true;
    if (this.entries.get(e.key) === e) this.entries.delete(e.key);
    if (e.inFlight > 0) await new Promise<void>((r) => (e.onIdle = r));
    let h: FsHandle;
    try {
      h = await e.ready;
    } catch {
      return; // never opened: its slot is already released
    }
    if (e.dirty) this.dirtyClosed.set(e.key, e.rel);
    try {
      await h.close();
    } catch (err) {
      log('closing %s: %s', this.display(e.rel), err);
    } finally {
      this.releaseSlot();
    }
  }
}

function noProgress(): Error {
  return Object.assign(new Error('write made no progress'), { code: 'EIO' });
}

/** buf[offset, offset+length) to `position`, looping over short writes. */
async function writeAll(h: FsHandle, buf: Buffer, offset: number, length: number, position: number): Promise<void> {
  for (let done = 0; done < length; ) {
    const n = await h.write(buf, offset + done, length - done, position + done);
    if (n <= 0) throw noProgress();
    done += n;
  }
}
