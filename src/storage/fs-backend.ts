import { constants, readSync } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { PAGE_BYTES, startsOnPage } from '../util/aligned.js';
import { StorageError, errorMessage } from '../util/errors.js';
import { logger } from '../util/log.js';
import { ReadGovernor } from './read-governor.js';

const log = logger('storage:fs');

/**
 * The file operations storage needs, behind one small interface so tests can inject a
 * backend that fails (full disk, permissions) or is slow. Implementations throw plain
 * Node-style errors (with `code`); callers turn them into StorageError with `storageError`.
 */
export interface FsStat {
  size: number;
  mtimeMs: number;
  isFile: boolean;
  isDirectory: boolean;
  isSymbolicLink: boolean;
}

/**
 * read: existing file, read only. readwrite: read and write, created if missing, never
 * truncated. replace: write only, created, truncated (temporary files).
 */
export type OpenMode = 'read' | 'readwrite' | 'replace';

export interface FsHandle {
  /** Bytes read into buf[offset..]; fewer than `length` only at end of file. */
  read(buf: Buffer, offset: number, length: number, position: number): Promise<number>;
  /**
   * As read(), on the calling thread, when that is cheap (the bytes are likely in the page
   * cache); undefined when the read should go through read() instead. Optional. Throws
   * like read().
   */
  readNow?(buf: Buffer, offset: number, length: number, position: number): number | undefined;
  /** Bytes written; may be fewer than `length` (callers loop). */
  write(buf: Buffer, offset: number, length: number, position: number): Promise<number>;
  /**
   * Several buffers written back to back from `position` in one call (pwritev); bytes
   * written, possibly fewer than all (callers loop). Optional: without it, one write each.
   */
  writev?(bufs: readonly Buffer[], position: number): Promise<number>;
  truncate(length: number): Promise<void>;
  stat(): Promise<FsStat>;
  sync(): Promise<void>;
  close(): Promise<void>;
}

export interface FsBackend {
  open(path: string, mode: OpenMode): Promise<FsHandle>;
  /** Follows symlinks; null when the path does not exist. */
  stat(path: string): Promise<FsStat | null>;
  /** Does not follow a symlink in the last component; null when it does not exist. */
  lstat(path: string): Promise<FsStat | null>;
  realpath(path: string): Promise<string>;
  /** mkdir -p */
  mkdir(path: string): Promise<void>;
  rename(from: string, to: string): Promise<void>;
  unlink(path: string): Promise<void>;
}

const FLAGS: Record<OpenMode, number> = {
  read: constants.O_RDONLY,
  readwrite: constants.O_RDWR | constants.O_CREAT,
  replace: constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC,
};

function toStat(s: import('node:fs').Stats): FsStat {
  return {
    size: s.size,
    mtimeMs: s.mtimeMs,
    isFile: s.isFile(),
    isDirectory: s.isDirectory(),
    isSymbolicLink: s.isSymbolicLink(),
  };
}

function isMissing(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'ENOENT' || code === 'ENOTDIR';
}

async function orNull(p: Promise<import('node:fs').Stats>): Promise<FsStat | null> {
  try {
    return toStat(await p);
  } catch (err) {
    if (isMissing(err)) return null;
    throw err;
  }
}

/** O_DIRECT where the platform has it (Linux); 0 elsewhere turns direct writes off. */
const O_DIRECT: number = (constants as { O_DIRECT?: number }).O_DIRECT ?? 0;

/** Direct writes must start, end and sit in memory on this boundary. */
function directOk(bufs: readonly Buffer[], position: number): boolean {
  if (position % PAGE_BYTES !== 0) return false;
  for (const b of bufs) if (b.length % PAGE_BYTES !== 0 || !startsOnPage(b)) return false;
  return true;
}

/** Shared by every file: one slow (uncached) read anywhere means the disk is cold. */
const readGovernor = new ReadGovernor();

class NodeHandle implements FsHandle {
  /**
   * A second descriptor with O_DIRECT, opened at the first aligned write: a verified piece
   * goes from its buffer to the disk without a copy into the page cache. On this VM class
   * that copy cost 2-3 s of system CPU per GiB (fresh page-cache pages are slow to touch
   * under a ballooned host), the direct write 0.15 s. Undefined: not tried yet; null: the
   * file system refused it, so everything stays buffered. Reads, truncation and unaligned
   * writes (a short last piece, a file starting mid-page) use the ordinary descriptor;
   * ranges never overlap, and fsync is per file, so one sync covers both.
   */
  private direct: fsp.FileHandle | null | undefined;
  private directOpening: Promise<fsp.FileHandle | null> | undefined;

  constructor(
    private readonly fh: fsp.FileHandle,
    private readonly path: string,
    writable: boolean,
  ) {
    if (!writable || O_DIRECT === 0) this.direct = null;
  }
  async read(buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    return this.readNow(buf, offset, length, position) ?? (await this.fh.read(buf, offset, length, position)).bytesRead;
  }
  readNow(buf: Buffer, offset: number, length: number, position: number): number | undefined {
    const t0 = performance.now();
    if (!readGovernor.syncAllowed(t0)) return undefined;
    const n = readSync(this.fh.fd, buf, offset, length, position);
    const t1 = performance.now();
    if (readGovernor.record(t1 - t0, length, t1)) log('a read of %d bytes took %d ms: the thread pool reads for a while', length, Math.round(t1 - t0));
    return n;
  }
  write(buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    // one buffer is a pwritev of one: the direct-or-buffered choice lives in writev
    return this.writev([buf.subarray(offset, offset + length)], position);
  }
  async writev(bufs: readonly Buffer[], position: number): Promise<number> {
    const d = directOk(bufs, position) ? await this.directHandle() : null;
    if (d) {
      const n = await this.orBuffered(d.writev(bufs as Buffer[], position));
      if (n !== undefined) return n.bytesWritten;
    }
    return (await this.fh.writev(bufs as Buffer[], position)).bytesWritten;
  }
  truncate(length: number): Promise<void> {
    return this.fh.truncate(length);
  }
  async stat(): Promise<FsStat> {
    return toStat(await this.fh.stat());
  }
  sync(): Promise<void> {
    return this.fh.sync();
  }
  async close(): Promise<void> {
    const d = await this.directOpening;
    this.direct = null;
    try {
      await d?.close();
    } finally {
      await this.fh.close();
    }
  }

  private async directHandle(): Promise<fsp.FileHandle | null> {
    if (this.direct !== undefined) return this.direct;
    this.directOpening ??= fsp.open(this.path, constants.O_WRONLY | O_DIRECT).then(
      (h) => h,
      () => null, // e.g. EINVAL: this file system has no O_DIRECT
    );
    const h = await this.directOpening;
    if (this.direct === undefined) this.direct = h;
    return this.direct;
  }

  /**
   * The result of a direct write, or undefined when it was refused for its alignment
   * (EINVAL: the device wants a larger block): direct writes stop, this one is redone
   * buffered. Every other error (a full disk, EIO) is the caller's.
   */
  private async orBuffered<T>(p: Promise<T>): Promise<T | undefined> {
    try {
      return await p;
    } catch (err) {
      if ((err as { code?: unknown } | null)?.code !== 'EINVAL') throw err;
      this.direct = null; // closed with the handle: another write may still be using it
      return undefined;
    }
  }
}

/** The real backend, on node:fs/promises. */
export const nodeBackend: FsBackend = {
  async open(path, mode) {
    return new NodeHandle(await fsp.open(path, FLAGS[mode], 0o666), path, mode !== 'read');
  },
  stat: (path) => orNull(fsp.stat(path)),
  lstat: (path) => orNull(fsp.lstat(path)),
  realpath: (path) => fsp.realpath(path),
  async mkdir(path) {
    await fsp.mkdir(path, { recursive: true });
  },
  rename: (from, to) => fsp.rename(from, to),
  unlink: (path) => fsp.unlink(path),
};

type Describe = (action: string, path: string) => string;
const plain = (cause: string): Describe => (action, path) => `${cause} ${action} "${path}"`;

const CAUSES: Record<string, Describe> = {
  ENOSPC: plain('disk full'),
  EDQUOT: plain('disk quota exceeded'),
  EACCES: plain('permission denied'),
  EPERM: plain('operation not permitted'),
  EROFS: plain('read-only file system'),
  EIO: plain('I/O error'),
  EMFILE: plain('too many open files'),
  ENFILE: plain('too many open files'),
  EFBIG: plain('file too large'),
  ENOENT: (action, path) => `missing file "${path}" (${action})`,
  ENOTDIR: (action, path) => `a part of the path is not a folder: "${path}" (${action})`,
  EISDIR: (action, path) => `"${path}" is a folder, not a file (${action})`,
};

/**
 * A StorageError that names the file and the cause, e.g. `disk full writing "/d/a.bin"`.
 * The code is the system code (ENOSPC, EACCES, EIO, ...) so callers can tell them apart.
 * Our own StorageErrors pass through unchanged. `action` is a verb: "writing", "reading".
 */
export function storageError(err: unknown, action: string, path: string): StorageError {
  if (err instanceof StorageError) return err;
  const raw = (err as { code?: unknown } | null)?.code;
  const code = typeof raw === 'string' && raw !== '' ? raw : 'EIO';
  const describe = CAUSES[code];
  const message = describe ? describe(action, path) : `${action} "${path}" failed: ${errorMessage(err)}`;
  return new StorageError(code, message, { cause: err });
}
