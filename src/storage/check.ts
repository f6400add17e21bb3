import { createHash } from 'node:crypto';
import type { PieceLayout } from '../metainfo/layout.js';
import { StorageError } from '../util/errors.js';
import type { FsBackend, FsStat } from './fs-backend.js';
import { type HashSource, hashPieces } from '../hash/piece-hasher.js';
import { type LoadedResume, mtimeUs } from './resume.js';
import { PieceStorage, forEachLimit } from './storage.js';

export interface CheckOptions {
  root: string;
  layout: PieceLayout;
  /** 20 bytes per piece, from the info dictionary. */
  pieceHashes: Buffer;
  selected?: (layoutFileIndex: number) => boolean;
  /** From loadResume; ignored with `recheck`. */
  resume?: LoadedResume;
  /** Hash everything that exists, trusting nothing. */
  recheck?: boolean;
  /** Bytes hashed so far. */
  onProgress?: (bytes: number) => void;
  signal?: AbortSignal;
  /** Same as for PieceStorage: where to find the part file. */
  infoHashHex?: string;
  backend?: FsBackend;
  threads?: number;
  /** The hash function (tests inject their own). */
  hash?: typeof hashPieces;
}

export interface CheckResult {
  have: boolean[];
  /** Pieces taken from the resume file without hashing. */
  trusted: number;
  /** Pieces hashed and found good. */
  verified: number;
  /** Pieces hashed in all (good or not). */
  hashed: number;
  /** Selected files not on disk. */
  missingFiles: number;
  /** Selected files on disk that the resume file does not vouch for. */
  untrustedFiles: number;
}

/**
 * What of a torrent is already on disk. A file whose size and mtime are what the resume
 * file saved is trusted: its pieces the resume file lists count without hashing. Pieces
 * touching any other file are hashed, unless a file they need is missing or too short.
 * Pieces that share bytes with unselected files are read back through the part file.
 */
export async function checkExisting(opts: CheckOptions): Promise<CheckResult> {
  const { layout } = opts;
  if (opts.pieceHashes.length !== 20 * layout.pieceCount) {
    throw new StorageError('BAD_HASHES', `${opts.pieceHashes.length} bytes of piece hashes for ${layout.pieceCount} pieces`);
  }
  opts.signal?.throwIfAborted();
  const storage = new PieceStorage({
    root: opts.root,
    layout,
    selected: opts.selected,
    backend: opts.backend,
    infoHashHex: opts.infoHashHex,
  });
  try {
    return await check(opts, storage);
  } finally {
    await storage.close();
  }
}

async function check(opts: CheckOptions, storage: PieceStorage): Promise<CheckResult> {
  const { layout, signal } = opts;
  const resume = opts.recheck ? undefined : opts.resume;
  const n = layout.files.length;
  const stats: Array<FsStat | null> = new Array<FsStat | null>(n).fill(null);
  const onDisk = layout.files.map((_, i) => storage.onDisk(i));
  await forEachLimit(
    onDisk.flatMap((d, i) => (d ? [i] : [])),
    16,
    async (i) => {
      const st = await storage.pool.stat(layout.files[i]!.path);
      stats[i] = st !== null && st.isFile ? st : null;
    },
  );
  let missingFiles = 0;
  let untrustedFiles = 0;
  const trustedFile = layout.files.map((f, i) => {
    if (f.pad) return true;
    if (!onDisk[i]) return false;
    const st = stats[i];
    if (!st) {
      missingFiles++;
      return false;
    }
    const saved = resume?.files[i];
    const ok = !!saved && saved.size === st.size && saved.mtimeUs === mtimeUs(st.mtimeMs);
    if (!ok) untrustedFiles++;
    return ok;
  });

  const have = new Array<boolean>(layout.pieceCount).fill(false);
  let trusted = 0;
  const toHash: number[] = [];
  const viaPart: number[] = [];
  for (let p = 0; p < layout.pieceCount; p++) {
    let readable = true;
    let allTrusted = true;
    let part = false;
    for (const s of layout.spans(p)) {
      if (layout.files[s.file]!.pad) continue;
      if (!onDisk[s.file]) {
        part = true;
        continue;
      }
      const st = stats[s.file];
      if (!st || st.size < s.fileOffset + s.length) readable = false;
      if (!trustedFile[s.file]) allTrusted = false;
    }
    if (!readable) continue;
    if (part) viaPart.push(p);
    else if (allTrusted && resume) {
      // The file is as it was saved: the resume file's word stands, either way.
      if (resume.have[p]) {
        have[p] = true;
        trusted++;
      }
    } else toHash.push(p);
  }

  let verified = 0;
  let hashedBytes = 0;
  const expected = (p: number) => opts.pieceHashes.subarray(p * 20, p * 20 + 20);
  if (toHash.length > 0) {
    const sources: HashSource[] = layout.files
      .map((f, i) => ({ path: onDisk[i] && stats[i] ? storage.filePath(i) : null, length: f.length }))
      .filter((s) => s.length > 0);
    const hash = opts.hash ?? hashPieces;
    const digests = await hash({
      sources,
      pieceLength: layout.pieceLength,
      pieces: toHash,
      threads: opts.threads,
      signal,
      onProgress: (b) => {
        hashedBytes = b;
        opts.onProgress?.(b);
      },
    });
    toHash.forEach((p, k) => {
      const d = digests[k];
      if (d && d.equals(expected(p))) {
        have[p] = true;
        verified++;
      }
    });
  }

  let hashed = toHash.length;
  for (const p of viaPart) {
    signal?.throwIfAborted();
    if (!(await storage.partFile.has(p))) continue;
    let data: Buffer;
    try {
      data = await storage.readPiece(p);
    } catch (err) {
      if (err instanceof StorageError && (err.code === 'ENOENT' || err.code === 'SHORT_READ' || err.code === 'NOT_STORED')) continue;
      throw err;
    }
    hashed++;
    hashedBytes += data.length;
    opts.onProgress?.(hashedBytes);
    if (createHash('sha1').update(data).digest().equals(expected(p))) {
      have[p] = true;
      verified++;
    }
  }
  return { have, trusted, verified, hashed, missingFiles, untrustedFiles };
}
