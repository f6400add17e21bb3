import { open, stat } from 'node:fs/promises';
import { BencodeError, MetainfoError, UsageError } from '../util/errors.js';
import type { Metainfo } from './metainfo.js';
import { parseTorrent } from './parse.js';

/** .torrent files larger than this are refused before they are read (DESIGN section 4). */
export const MAX_TORRENT_BYTES = 10 * 1024 * 1024;

/**
 * Reads and parses a .torrent file. Every failure is one sentence that names the file:
 * UsageError for a path that is not a readable file, MetainfoError for the contents.
 */
export async function loadTorrentFile(path: string): Promise<Metainfo> {
  return parseTorrentAt(path, await readTorrentBytes(path));
}

export async function readTorrentBytes(path: string): Promise<Buffer> {
  // stat before open: opening a FIFO for reading would wait for a writer forever
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    throw fsUsageError(path, err);
  }
  if (st.isDirectory()) throw new UsageError('IS_DIRECTORY', `${path} is a folder, not a .torrent file`);
  if (!st.isFile()) throw new UsageError('NOT_A_FILE', `${path} is not a regular file`);
  if (st.size === 0) throw new UsageError('EMPTY_FILE', `${path} is empty, not a .torrent file`);
  if (st.size > MAX_TORRENT_BYTES) {
    throw new UsageError('TOO_LARGE', `${path} is ${st.size} bytes, larger than the ${MAX_TORRENT_BYTES}-byte limit for .torrent files`);
  }
  let fh;
  try {
    fh = await open(path, 'r');
  } catch (err) {
    throw fsUsageError(path, err);
  }
  try {
    // read at most the size seen (plus one byte, to notice a file that grew past the limit)
    const buf = Buffer.alloc(Math.min(st.size + 1, MAX_TORRENT_BYTES + 1));
    let got = 0;
    while (got < buf.length) {
      const { bytesRead } = await fh.read(buf, got, buf.length - got, got);
      if (bytesRead === 0) break;
      got += bytesRead;
    }
    if (got > MAX_TORRENT_BYTES) throw new UsageError('TOO_LARGE', `${path} is larger than the ${MAX_TORRENT_BYTES}-byte limit for .torrent files`);
    if (got === 0) throw new UsageError('EMPTY_FILE', `${path} is empty, not a .torrent file`);
    return buf.subarray(0, got);
  } catch (err) {
    if (err instanceof UsageError) throw err;
    throw fsUsageError(path, err);
  } finally {
    await fh.close();
  }
}

/** parseTorrent with the file name in the message. */
export function parseTorrentAt(path: string, bytes: Buffer): Metainfo {
  try {
    return parseTorrent(bytes);
  } catch (err) {
    if (err instanceof BencodeError) {
      const what = err.code === 'TRUNCATED' ? 'is truncated or not a .torrent file' : 'is not a .torrent file';
      throw new MetainfoError(err.code, `${path} ${what} (${err.message})`);
    }
    if (err instanceof MetainfoError && err.code === 'V2_UNSUPPORTED') {
      throw new MetainfoError(err.code, `${path} is a v2-only torrent: ${err.message}`, err.field);
    }
    if (err instanceof MetainfoError) throw new MetainfoError(err.code, `${path} is not a valid torrent: ${err.message}`, err.field);
    throw err;
  }
}

function fsUsageError(path: string, err: unknown): UsageError {
  const code = (err as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new UsageError('NOT_FOUND', `${path} does not exist`, { cause: err });
  if (code === 'EISDIR') return new UsageError('IS_DIRECTORY', `${path} is a folder, not a .torrent file`, { cause: err });
  if (code === 'EACCES' || code === 'EPERM') return new UsageError('NO_ACCESS', `${path} cannot be read: permission denied`, { cause: err });
  return new UsageError('READ_FAILED', `${path} cannot be read: ${(err as Error).message}`, { cause: err });
}
