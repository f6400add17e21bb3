import { createHash } from 'node:crypto';
import type { PieceLayout } from '../metainfo/layout.js';
import { StorageError } from '../util/errors.js';
import { FilePool } from './file-pool.js';
import type { FsBackend } from './fs-backend.js';
import { PartFile } from './part-file.js';

/** Folder inside the download folder for swarm's own files (part files, resume files). */
export const STATE_DIR = '.swarm';

export interface PieceStorageOptions {
  /** The download folder; layout paths are relative to it. */
  root: string;
  layout: PieceLayout;
  /** Which layout files the user wants; default all. Fixed for the life of the storage. */
  selected?: (layoutFileIndex: number) => boolean;
  backend?: FsBackend;
  /** Cap on open file handles (default 64). */
  maxOpenFiles?: number;
  /** Names the part file `.swarm/<infoHashHex>.parts`; default a hash of the layout. */
  infoHashHex?: string;
}

/** Where the bytes of one layout file go. */
type Dest = 'file' | 'pad' | 'part';

/**
 * The disk side of a torrent: whole verified pieces in, any range out. A piece may span
 * several files; padding files (BEP 47) never touch the disk and read as zeros; bytes of
 * files the user did not select go to a part file instead, so those files are never
 * created. Writing is positioned (pwrite) through a bounded pool of handles.
 */
export class PieceStorage {
  readonly root: string;
  readonly layout: PieceLayout;
  readonly pool: FilePool;
  readonly partFile: PartFile;
  private readonly dest: Dest[];

  constructor(opts: PieceStorageOptions) {
    this.layout = opts.layout;
    this.pool = new FilePool({ root: opts.root, backend: opts.backend, maxOpen: opts.maxOpenFiles });
    this.root = this.pool.confiner.root;
    const selected = opts.selected ?? (() => true);
    this.dest = this.layout.files.map((f, i) => (f.pad ? 'pad' : selected(i) ? 'file' : 'part'));
    for (const f of this.layout.files) {
      if (!f.pad && f.path[0] === STATE_DIR) {
        const where = this.pool.display(f.path);
        throw new StorageError('UNSAFE_PATH', `file "${where}" would clash with swarm's own folder ${STATE_DIR}`, { input: true });
      }
    }
    const name = opts.infoHashHex ?? layoutId(this.layout);
    this.partFile = new PartFile(this.pool, [STATE_DIR, `${name}.parts`], this.layout);
  }

  /** True if layout file `i` is written to disk (selected and not padding). */
  onDisk(i: number): boolean {
    return this.dest[i] === 'file';
  }

  /** Absolute path of a layout file, for messages and for hashing by path. */
  filePath(i: number): string {
    const f = this.layout.files[i];
    if (!f) throw new RangeError(`file ${i} out of range`);
    return this.pool.display(f.path);
  }

  /** Write one whole, verified piece. Resolves when every byte is handed to the OS. */
  async writePiece(index: number, data: Buffer): Promise<void> {
    const size = this.layout.pieceSize(index);
    if (data.length !== size) throw new RangeError(`piece ${index} is ${size} bytes, got ${data.length}`);
    const jobs: Promise<void>[] = [];
    let toPart = false;
    for (const s of this.layout.spans(index)) {
      const d = this.dest[s.file];
      if (d === 'file') jobs.push(this.pool.write(this.layout.files[s.file]!.path, data, s.rangeOffset, s.length, s.fileOffset));
      else if (d === 'part') toPart = true;
    }
    if (toPart) jobs.push(this.partFile.write(index, data));
    await settleAll(jobs);
  }

  /**
   * Write verified pieces first, first+1, ... in one go: bytes that are adjacent in a file
   * go down in one pwritev, so a run of small pieces costs one system call per file it
   * touches instead of one per piece. Resolves when every byte is handed to the OS.
   */
  async writeRun(first: number, pieces: readonly Buffer[]): Promise<void> {
    if (pieces.length === 1) return this.writePiece(first, pieces[0]!);
    pieces.forEach((data, k) => {
      const size = this.layout.pieceSize(first + k);
      if (data.length !== size) throw new RangeError(`piece ${first + k} is ${size} bytes, got ${data.length}`);
    });
    const jobs: Promise<void>[] = [];
    let group: { file: number; position: number; end: number; bufs: Buffer[] } | undefined;
    const flush = () => {
      if (!group) return;
      jobs.push(this.pool.writev(this.layout.files[group.file]!.path, group.bufs, group.position));
      group = undefined;
    };
    for (let k = 0; k < pieces.length; k++) {
      const index = first + k;
      const data = pieces[k]!;
      let toPart = false;
      for (const s of this.layout.spans(index)) {
        const d = this.dest[s.file];
        if (d === 'part') toPart = true;
        if (d !== 'file') continue;
        const bytes = data.subarray(s.rangeOffset, s.rangeOffset + s.length);
        if (group && group.file === s.file && group.end === s.fileOffset) {
          group.bufs.push(bytes);
          group.end += s.length;
        } else {
          flush();
          group = { file: s.file, position: s.fileOffset, end: s.fileOffset + s.length, bufs: [bytes] };
        }
      }
      if (toPart) jobs.push(this.partFile.write(index, data));
    }
    flush();
    await settleAll(jobs);
  }

  /**
   * Bytes [begin, begin+length) of piece `index`, for uploading or checking; read into the
   * first `length` bytes of `into` when given (a recycled buffer), else into a new one.
   */
  async read(index: number, begin: number, length: number, into?: Buffer): Promise<Buffer> {
    if (!this.layout.inPiece(index, begin, length)) {
      throw new RangeError(`range ${begin}+${length} is not inside piece ${index}`);
    }
    return this.readRange(this.layout.pieceOffset(index) + begin, length, `piece ${index}`, into);
  }

  /**
   * As read() into into[at, at+length), without waiting: false when some of it cannot be
   * read on this thread now (a file not open yet, a cold disk, the part file, a short or
   * failed read). Then use read(), which waits and reports errors.
   */
  readNow(index: number, begin: number, length: number, into: Buffer, at: number): boolean {
    if (!this.layout.inPiece(index, begin, length) || at + length > into.length) return false;
    const start = this.layout.pieceOffset(index) + begin;
    const one = this.layout.fileHolding(start, length);
    if (one >= 0 && this.dest[one] === 'file') {
      const file = this.layout.files[one]!;
      return this.pool.readNow(file.path, into, at, length, start - file.offset) === length;
    }
    for (const s of this.layout.spansAt(start, length)) {
      const d = this.dest[s.file];
      const to = at + s.rangeOffset;
      if (d === 'pad') into.fill(0, to, to + s.length);
      else if (d !== 'file' || this.pool.readNow(this.layout.files[s.file]!.path, into, to, s.length, s.fileOffset) !== s.length) return false;
    }
    return true;
  }

  /** The whole piece `index`. */
  readPiece(index: number): Promise<Buffer> {
    return this.read(index, 0, this.layout.pieceSize(index));
  }

  /**
   * Pieces first .. first+count-1 end to end, in one read per file they touch (a seeder
   * serving a run of small pieces reads it once, not once per piece).
   */
  async readRun(first: number, count: number, into?: Buffer): Promise<Buffer> {
    if (!Number.isInteger(count) || count < 1) throw new RangeError(`bad piece count ${count}`);
    if (count === 1) return this.read(first, 0, this.layout.pieceSize(first), into);
    const last = first + count - 1;
    const start = this.layout.pieceOffset(first);
    const length = this.layout.pieceOffset(last) + this.layout.pieceSize(last) - start;
    return this.readRange(start, length, `pieces ${first}-${last}`, into);
  }

  /**
   * Bytes [start, start+length) of the torrent, one read per file span. Not zeroed (a
   * seeder reads a GiB this way): padding is filled by hand, the rest by reads checked for
   * length, so every byte is set or the read fails. `what` names the pieces in errors;
   * `into`, when given, is read into (its first `length` bytes).
   */
  private async readRange(start: number, length: number, what: string, into?: Buffer): Promise<Buffer> {
    if (into && into.length < length) throw new RangeError(`a buffer of ${into.length} bytes cannot hold ${length}`);
    const out = into ? into.subarray(0, length) : Buffer.allocUnsafe(length);
    const jobs: Promise<void>[] = [];
    const pieceLength = this.layout.pieceLength;
    for (const s of this.layout.spansAt(start, length)) {
      const d = this.dest[s.file];
      if (d === 'pad') {
        out.fill(0, s.rangeOffset, s.rangeOffset + s.length);
        continue;
      }
      if (d === 'part') {
        // the part file keeps whole pieces apart: one read per piece of the span
        for (let at = s.rangeOffset; at < s.rangeOffset + s.length; ) {
          const index = Math.floor((start + at) / pieceLength);
          const begin = start + at - index * pieceLength;
          const n = Math.min(s.rangeOffset + s.length - at, this.layout.pieceSize(index) - begin);
          jobs.push(this.partFile.read(index, out, at, begin, n));
          at += n;
        }
        continue;
      }
      const path = this.layout.files[s.file]!.path;
      jobs.push(
        this.pool.read(path, out, s.rangeOffset, s.length, s.fileOffset).then((n) => {
          if (n !== s.length) {
            throw new StorageError('SHORT_READ', `file "${this.pool.display(path)}" is shorter than expected (reading ${what})`);
          }
        }),
      );
    }
    await settleAll(jobs);
    return out;
  }

  /**
   * Create every selected file that is missing (0-byte files included) and give each its
   * exact length: sparse when growing, cut when longer than the torrent says. Call it
   * when a download starts (not when seeding someone's data in place).
   */
  async ensureFiles(): Promise<void> {
    const todo = this.layout.files.map((f, i) => ({ f, i })).filter(({ i }) => this.dest[i] === 'file');
    await forEachLimit(todo, 8, ({ f }) => this.pool.truncate(f.path, f.length));
  }

  /** fsync everything written so far (before saving a resume file). */
  flush(): Promise<void> {
    return this.pool.flush();
  }

  /** Close every handle once I/O in flight is done. */
  close(): Promise<void> {
    return this.pool.close();
  }
}

/** Wait for every job, then fail with the first error: no I/O is left running after a failure. */
async function settleAll(jobs: Promise<unknown>[]): Promise<void> {
  if (jobs.length === 1) {
    await jobs[0];
    return;
  }
  const results = await Promise.allSettled(jobs);
  for (const r of results) if (r.status === 'rejected') throw r.reason;
}

/** Run `fn` over items, at most `limit` at a time. */
export async function forEachLimit<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  let failed: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (next < items.length && !failed) {
      const item = items[next++]!;
      try {
        await fn(item);
      } catch (err) {
        failed ??= { err };
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  if (failed) throw failed.err;
}

/** A stable name for a layout when no info hash is given. */
export function layoutId(layout: PieceLayout): string {
  const h = createHash('sha1');
  h.update(`${layout.pieceLength}\n`);
  for (const f of layout.files) h.update(`${f.length}\t${f.pad ? 1 : 0}\t${f.path.join('/')}\n`);
  return h.digest('hex');
}
