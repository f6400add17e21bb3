import { lstat, readdir, stat } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { UsageError } from '../util/errors.js';

export interface WalkedFile {
  /** Where to read it. */
  abs: string;
  /** Components below the root folder; [] for a single file. */
  rel: string[];
  length: number;
}

export interface Walk {
  /** The path named a file rather than a folder. */
  single: boolean;
  /** Files in torrent order: full relative path compared byte-wise (as mktorrent does). */
  files: WalkedFile[];
  /** Relative paths of symbolic links inside the folder, which are not followed. */
  skippedSymlinks: string[];
  /** Relative paths of sockets, FIFOs and devices, which hold no file data. */
  skippedSpecial: string[];
  defaultName: string;
}

/** Most folders `walk` descends into: a bound against a runaway tree. */
export const MAX_WALK_ENTRIES = 1_000_000;

/**
 * Lists what `swarm create` will hash. The path itself may be a symlink (the user named it),
 * but links inside a folder are skipped, never followed: following them can leave the
 * folder or loop. Hidden files are kept.
 */
export async function walk(path: string): Promise<Walk> {
  let st;
  try {
    st = await stat(path);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new UsageError('NOT_FOUND', `${path} does not exist`, { cause: err });
    throw new UsageError('READ_FAILED', `${path} cannot be read: ${(err as Error).message}`, { cause: err });
  }
  const defaultName = basename(resolve(path));
  if (st.isFile()) {
    return { single: true, files: [{ abs: path, rel: [], length: st.size }], skippedSymlinks: [], skippedSpecial: [], defaultName };
  }
  if (!st.isDirectory()) throw new UsageError('NOT_A_FILE', `${path} is neither a file nor a folder`);

  const files: WalkedFile[] = [];
  const skippedSymlinks: string[] = [];
  const skippedSpecial: string[] = [];
  const stack: string[][] = [[]];
  let entries = 0;
  while (stack.length > 0) {
    const rel = stack.pop()!;
    const dir = join(path, ...rel);
    let list;
    try {
      list = await readdir(dir, { withFileTypes: true });
    } catch (err) {
      throw new UsageError('READ_FAILED', `${dir} cannot be read: ${(err as Error).message}`, { cause: err });
    }
    for (const d of list) {
      if (++entries > MAX_WALK_ENTRIES) throw new UsageError('TOO_MANY_FILES', `${path} holds more than ${MAX_WALK_ENTRIES} entries`);
      const r = [...rel, d.name];
      if (d.isSymbolicLink()) skippedSymlinks.push(r.join('/'));
      else if (d.isDirectory()) stack.push(r);
      else if (d.isFile()) {
        const abs = join(path, ...r);
        let s;
        try {
          s = await lstat(abs);
        } catch (err) {
          throw new UsageError('READ_FAILED', `${abs} cannot be read: ${(err as Error).message}`, { cause: err });
        }
        files.push({ abs, rel: r, length: s.size });
      } else skippedSpecial.push(r.join('/'));
    }
  }
  const keyed = files.map((f) => ({ f, key: Buffer.from(f.rel.join('/')) }));
  keyed.sort((a, b) => Buffer.compare(a.key, b.key));
  skippedSymlinks.sort();
  skippedSpecial.sort();
  return { single: false, files: keyed.map((k) => k.f), skippedSymlinks, skippedSpecial, defaultName };
}
