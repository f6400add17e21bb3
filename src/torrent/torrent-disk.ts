import type { Metainfo } from '../metainfo/metainfo.js';
import { checkExisting } from '../storage/check.js';
import type { FsBackend } from '../storage/fs-backend.js';
import { loadResume, saveResume } from '../storage/resume.js';
import { isDiskFull, ResumeReserve } from '../storage/resume-reserve.js';
import { PieceStorage } from '../storage/storage.js';
import { WriteQueue } from '../storage/write-queue.js';
import { errorMessage, type StorageError } from '../util/errors.js';
import { logger } from '../util/log.js';
import type { Bitfield } from '../wire/bitfield.js';

const log = logger('disk');

/** How often progress is saved to the resume file while downloading. */
const RESUME_SAVE_MS = 30_000;

export interface TorrentDiskOptions {
  metainfo: Metainfo;
  root: string;
  /** Listed file indices (1-based); default all. */
  select?: number[];
  backend?: FsBackend;
  onWritten: (index: number) => void;
  /** A written piece's buffer, free for reuse. */
  release?: (data: Buffer) => void;
  onError: (err: StorageError) => void;
  /** True: stop reading from sockets, the disk is behind. False: go on. */
  onBackpressure: (paused: boolean) => void;
  /** Water marks of the write queue, in bytes. */
  highWater?: number;
  lowWater?: number;
  /** For tests: how often the resume file is saved. */
  resumeSaveMs?: number;
}

/**
 * A torrent's disk: what is already there (resume file, then hashing what it cannot
 * vouch for), the bounded write queue for verified pieces, reads for uploading, and
 * keeping the resume file current so a restart re-checks nothing it can trust.
 */
export class TorrentDisk {
  readonly storage: PieceStorage;
  private readonly queue: WriteQueue;
  private readonly selected: (layoutIndex: number) => boolean;
  private dirty = false;
  private lastSave = 0;
  private saving: Promise<void> | undefined;
  /** Buffers handed to the write queue, until they are written. */
  private readonly pending = new Map<number, Buffer>();
  /** Room kept so the resume file can be saved after the disk fills up. */
  private readonly reserve: ResumeReserve;
  private reserving: Promise<void> | undefined;
  backpressure = false;

  constructor(private readonly opts: TorrentDiskOptions) {
    const m = opts.metainfo;
    const chosen = opts.select ? new Set(m.files.filter((f) => opts.select!.includes(f.index)).map((f) => f.layoutIndex)) : undefined;
    this.selected = chosen ? (i) => chosen.has(i) : () => true;
    this.storage = new PieceStorage({
      root: opts.root,
      layout: m.layout,
      selected: this.selected,
      backend: opts.backend,
      infoHashHex: m.infoHashHex,
    });
    this.reserve = new ResumeReserve(opts.root, m.infoHashHex, m.layout, opts.backend);
    this.queue = new WriteQueue({
      highWater: opts.highWater,
      lowWater: opts.lowWater,
      // the reserve first, so a disk that fills up has room left for the resume file
      write: async (i, d) => {
        await this.reserving;
        return this.storage.writePiece(i, d);
      },
      // adjacent pieces (runs of small ones) in one system call
      writeRun: async (i, ds) => {
        await this.reserving;
        return this.storage.writeRun(i, ds);
      },
      onWritten: (i) => {
        this.dirty = true;
        const data = this.pending.get(i);
        this.pending.delete(i);
        opts.onWritten(i);
        if (data) opts.release?.(data);
      },
      onLowWater: () => {
        this.backpressure = false;
        opts.onBackpressure(false);
      },
      onError: (err) => opts.onError(err),
    });
  }

  /** Which pieces are already on disk and good. */
  async check(o: { recheck: boolean; onProgress?: (bytes: number) => void; signal?: AbortSignal }): Promise<boolean[]> {
    const m = this.opts.metainfo;
    let resume;
    if (!o.recheck) {
      const r = await loadResume(this.opts.root, m.infoHashHex, m.layout, this.opts.backend);
      if ('ignored' in r) log('resume file not used: %s', r.ignored);
      else resume = r;
    }
    const res = await checkExisting({
      root: this.opts.root,
      layout: m.layout,
      pieceHashes: m.pieceHashes,
      selected: this.selected,
      resume,
      recheck: o.recheck,
      onProgress: o.onProgress,
      signal: o.signal,
      infoHashHex: m.infoHashHex,
      backend: this.opts.backend,
    });
    log('check: %d trusted, %d hashed, %d good, %d files missing', res.trusted, res.hashed, res.verified, res.missingFiles);
    return res.have;
  }

  /** A verified piece: queued for writing; reading from peers pauses when the queue is full. */
  write(index: number, data: Buffer): void {
    this.reserving ??= this.reserve.ensure();
    let ok: boolean;
    try {
      ok = this.queue.push(index, data);
      this.pending.set(index, data);
    } catch (err) {
      this.opts.onError(err as StorageError);
      return;
    }
    if (!ok && !this.backpressure) {
      this.backpressure = true;
      this.opts.onBackpressure(true);
    }
  }

  read(index: number, begin: number, length: number, into?: Buffer): Promise<Buffer> {
    return this.storage.read(index, begin, length, into);
  }

  /** See PieceStorage.readNow: the block read on this thread now, or false. */
  readNow(index: number, begin: number, length: number, into: Buffer, at: number): boolean {
    return this.storage.readNow(index, begin, length, into, at);
  }

  /** Pieces first .. first+count-1 end to end, read together. */
  readRun(first: number, count: number, into?: Buffer): Promise<Buffer> {
    return this.storage.readRun(first, count, into);
  }

  /** Saves progress now and then while downloading. */
  maybeSaveResume(have: Bitfield): void {
    const interval = this.opts.resumeSaveMs ?? RESUME_SAVE_MS;
    if (!this.dirty || this.saving || Date.now() - this.lastSave < interval) return;
    this.saving = this.save(have, false)
      .catch((err: unknown) => log('saving the resume file failed: %s', errorMessage(err)))
      .finally(() => (this.saving = undefined));
  }

  /**
   * Writes the resume file. On a full disk only the last save (`useReserve`: on close or
   * finish) may use the reserved space: a periodic save that took it left the final save
   * no room, and the file listed 1 of the 10 pieces on disk.
   */
  private async save(have: Bitfield, useReserve = true): Promise<void> {
    this.dirty = false;
    this.lastSave = Date.now();
    const m = this.opts.metainfo;
    // taken after the files' mtimes (saveResume asks), and only pieces already handed to
    // the OS are listed: flush after
    const pieces = async () => {
      const snapshot = Array.from({ length: have.length }, (_, i) => have.has(i));
      await this.storage.flush();
      return snapshot;
    };
    const state = { infoHashHex: m.infoHashHex, layout: m.layout, have: pieces };
    try {
      await saveResume(this.opts.root, state, this.opts.backend);
    } catch (err) {
      await this.reserving;
      if (!useReserve || !isDiskFull(err) || !(await this.reserve.release())) throw err;
      log('disk full: the resume file goes into the reserved space');
      await saveResume(this.opts.root, state, this.opts.backend);
    }
  }

  /**
   * Everything is downloaded: finish the writes, give files their full size, record it.
   * `inPlace`: the data was complete when checked (someone's files, seeded where they
   * are): sizes are left alone, since ensureFiles would cut a longer file.
   */
  async finish(have: Bitfield, inPlace = false): Promise<void> {
    await this.queue.drain();
    if (!inPlace) await this.storage.ensureFiles();
    await this.saving;
    await this.save(have);
    // nothing more to write: the reserve is not needed any more
    await this.reserving;
    await this.reserve.release();
  }

  /** Shutting down: finish what can be finished, save progress, close the files. */
  async close(have: Bitfield): Promise<void> {
    try {
      await this.queue.drain();
    } catch (err) {
      log('pending writes failed on close: %s', errorMessage(err));
    }
    try {
      await this.saving;
      // after a disk error too: every piece written so far stays verified for the next run
      await this.save(have);
    } catch (err) {
      log('saving the resume file on close failed: %s', errorMessage(err));
    } finally {
      await this.storage.close();
    }
  }
}
