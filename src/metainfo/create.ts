import { encode, type EValue } from '../bencode/encode.js';
import { StorageError, UsageError } from '../util/errors.js';
import { VERSION } from '../version.js';
import { hashPieces } from '../hash/piece-hasher.js';
import { MAX_TORRENT_BYTES } from './load.js';
import type { Metainfo } from './metainfo.js';
import { parseTorrent } from './parse.js';
import { unsafeReason } from './safe-path.js';
import { walk } from './walk.js';

export interface CreateOptions {
  /** A file or a folder. */
  path: string;
  /** Tracker URLs, each its own tier. None: the torrent has no tracker (never a default). */
  announce?: string[];
  /** Bytes; default: a power of two giving about 1000-2000 pieces. */
  pieceLength?: number;
  private?: boolean;
  comment?: string;
  /** Default: the last component of `path`. */
  name?: string;
  webSeeds?: string[];
  /** Write `creation date` (default true); false gives byte-identical output for the same data. */
  date?: boolean;
  /** Default `swarm/<version>`. */
  createdBy?: string;
  threads?: number;
  signal?: AbortSignal;
  onProgress?: (bytesDone: number, totalBytes: number) => void;
}

export interface CreateResult {
  torrent: Buffer;
  metainfo: Metainfo;
  /** Symbolic links inside the folder, relative to it: not followed, not included. */
  skippedSymlinks: string[];
  /** Sockets, FIFOs and devices inside the folder: not included. */
  skippedSpecial: string[];
}

export const MIN_AUTO_PIECE_LENGTH = 16 * 1024;
export const MAX_AUTO_PIECE_LENGTH = 16 * 1024 * 1024;
const TARGET_MAX_PIECES = 2000;

/**
 * The smallest power of two from 16 KiB to 16 MiB giving at most 2000 pieces. Unless a
 * bound is hit, that lands between 1001 and 2000 pieces: few enough for a small .torrent,
 * enough for many peers to trade pieces.
 */
export function choosePieceLength(totalLength: number): number {
  let pl = MIN_AUTO_PIECE_LENGTH;
  while (pl < MAX_AUTO_PIECE_LENGTH && totalLength / pl > TARGET_MAX_PIECES) pl *= 2;
  return pl;
}

/** Hashes a file or folder into a v1 .torrent. */
export async function createTorrent(opts: CreateOptions): Promise<CreateResult> {
  const announce = (opts.announce ?? []).map((u) => checkUrl(u, 'tracker', /^(https?|udp|wss?):$/));
  const webSeeds = (opts.webSeeds ?? []).map((u) => checkUrl(u, 'web seed', /^(https?|ftp):$/));
  if (opts.pieceLength !== undefined && (!Number.isSafeInteger(opts.pieceLength) || opts.pieceLength <= 0)) {
    throw new UsageError('BAD_PIECE_LENGTH', `the piece length must be a positive whole number of bytes, not ${opts.pieceLength}`);
  }
  const tree = await walk(opts.path);
  const name = opts.name ?? tree.defaultName;
  const bad = unsafeReason(Buffer.from(name));
  if (bad) throw new UsageError('BAD_NAME', `the torrent name ${JSON.stringify(name)} has ${bad}`);

  for (const f of tree.files) {
    for (const c of f.rel) {
      const why = unsafeReason(Buffer.from(c));
      if (why) throw new UsageError('BAD_NAME', `${f.rel.join('/')} cannot go in a torrent: it has ${why}`);
    }
  }
  const total = tree.files.reduce((s, f) => s + f.length, 0);
  if (total === 0) {
    const what = tree.single ? 'is an empty file' : tree.files.length === 0 ? 'holds no files' : 'holds only empty files';
    throw new UsageError('NOTHING_TO_HASH', `${opts.path} ${what}: a torrent needs at least one byte of data`);
  }
  const pieceLength = opts.pieceLength ?? choosePieceLength(total);

  const hashOpts: Parameters<typeof hashPieces>[0] = {
    sources: tree.files.map((f) => ({ path: f.abs, length: f.length })),
    pieceLength,
  };
  if (opts.threads !== undefined) hashOpts.threads = opts.threads;
  if (opts.signal) hashOpts.signal = opts.signal;
  if (opts.onProgress) {
    const cb = opts.onProgress;
    hashOpts.onProgress = (done) => cb(done, total);
  }
  const hashes = await hashPieces(hashOpts);
  const lost = hashes.indexOf(null);
  if (lost >= 0) {
    throw new StorageError('CHANGED', `the data in ${opts.path} changed while it was being hashed (piece ${lost} could not be read); try again`);
  }

  const info: Record<string, EValue> = { name, 'piece length': pieceLength, pieces: Buffer.concat(hashes as Buffer[]) };
  if (tree.single) info.length = total;
  else info.files = tree.files.map((f) => ({ length: f.length, path: f.rel }));
  if (opts.private) info.private = 1;

  const root: Record<string, EValue> = { info };
  if (announce.length > 0) root.announce = announce[0]!;
  if (announce.length > 1) root['announce-list'] = announce.map((u) => [u]);
  if (webSeeds.length > 0) root['url-list'] = webSeeds;
  if (opts.comment) root.comment = opts.comment;
  root['created by'] = opts.createdBy ?? `swarm/${VERSION}`;
  if (opts.date !== false) root['creation date'] = Math.floor(Date.now() / 1000);

  const torrent = encode(root);
  if (torrent.length > MAX_TORRENT_BYTES) {
    throw new UsageError('TOO_LARGE', `the .torrent would be ${torrent.length} bytes, over the ${MAX_TORRENT_BYTES}-byte limit: use a larger --piece-length`);
  }
  // Parsing our own output checks it with the same rules as anyone else's torrent.
  const metainfo = parseTorrent(torrent);
  return { torrent, metainfo, skippedSymlinks: tree.skippedSymlinks, skippedSpecial: tree.skippedSpecial };
}

function checkUrl(url: string, what: string, schemes: RegExp): string {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw new UsageError('BAD_URL', `${JSON.stringify(url)} is not a valid ${what} URL`);
  }
  if (!schemes.test(u.protocol)) throw new UsageError('BAD_URL', `${JSON.stringify(url)} is not a ${what} URL (unsupported scheme ${u.protocol})`);
  return url;
}
