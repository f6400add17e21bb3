import { constants } from 'node:fs';
import * as fsp from 'node:fs/promises';
import { StorageError, errorMessage } from '../util/errors.js';

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

class NodeHandle implements FsHandle {
  constructor(private readonly fh: fsp.FileHandle) {}
  async read(buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    return (await this.fh.read(buf, offset, length, position)).bytesRead;
  }
  async write(buf: Buffer, offset: number, length: number, position: number): Promise<number> {
    return (await this.fh.write(buf, offset, length, position)).bytesWritten;
  }
  async writev(bufs: readonly Buffer[], position: number): Promise<number> {
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
  close(): Promise<void> {
    return this.fh.close();
  }
}

/** The real backend, on node:fs/promises. */
export const nodeBackend: FsBackend = {
  async open(path, mode) {
    return new NodeHandle(await fsp.open(path, FLAGS[mode], 0o666));
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
