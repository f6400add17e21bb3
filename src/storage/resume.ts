import { dirname } from 'node:path';
import { decode } from '../bencode/decode.js';
import { encode } from '../bencode/encode.js';
import { isBytes, isDict, isInt, isList } from '../bencode/types.js';
import type { BValue } from '../bencode/decode.js';
import type { PieceLayout } from '../metainfo/layout.js';
import { errorMessage } from '../util/errors.js';
import { logger } from '../util/log.js';
import { Confiner } from './confine.js';
import { type FsBackend, nodeBackend, storageError } from './fs-backend.js';
import { STATE_DIR, forEachLimit } from './storage.js';

const log = logger('storage:resume');

export const RESUME_VERSION = 1;

/** A file as it stood when the resume file was saved; null when it did not exist. */
export interface ResumeFileStat {
  size: number;
  /** mtimeMs in whole microseconds (bencode has no fractions). */
  mtimeUs: number;
}

export interface ResumeState {
  infoHashHex: string;
  layout: PieceLayout;
  /**
   * Pieces verified AND written (handed to the OS), so present on disk. While pieces are
   * still being written, a function: asked once the files are stat'ed (see saveNow).
   */
  have: readonly boolean[] | (() => Promise<readonly boolean[]>);
}

export interface LoadedResume {
  have: boolean[];
  /** One entry per layout file; null for padding and files that did not exist. */
  files: Array<ResumeFileStat | null>;
}

export function mtimeUs(mtimeMs: number): number {
  return Math.round(mtimeMs * 1000);
}

function checkHex(infoHashHex: string): void {
  if (!/^(?:[0-9a-f]{40}|[0-9a-f]{64})$/.test(infoHashHex)) throw new RangeError(`bad info hash hex "${infoHashHex}"`);
}

function resumeRel(infoHashHex: string): string[] {
  checkHex(infoHashHex);
  return [STATE_DIR, `${infoHashHex}.resume`];
}

/** The resume file's path: `<root>/.swarm/<infohashhex>.resume`. */
export function resumePath(root: string, infoHashHex: string): string {
  return new Confiner(root, nodeBackend).display(resumeRel(infoHashHex));
}

/** MSB first, as on the wire; spare bits zero. */
export function packBits(bits: readonly boolean[]): Buffer {
  const out = Buffer.alloc(Math.ceil(bits.length / 8));
  bits.forEach((b, i) => {
    if (b) out[i >> 3]! |= 0x80 >> (i & 7);
  });
  return out;
}

export function encodeResume(infoHashHex: string, layout: PieceLayout, have: readonly boolean[], files: ReadonlyArray<ResumeFileStat | null>): Buffer {
  checkHex(infoHashHex);
  if (have.length !== layout.pieceCount) throw new RangeError(`have has ${have.length} entries, layout ${layout.pieceCount} pieces`);
  if (files.length !== layout.files.length) throw new RangeError(`${files.length} file stats for ${layout.files.length} files`);
  return encode({
    version: RESUME_VERSION,
    'info hash': Buffer.from(infoHashHex, 'hex'),
    'piece length': layout.pieceLength,
    'piece count': layout.pieceCount,
    'total length': layout.totalLength,
    have: packBits(have),
    files: files.map((f) => (f === null ? {} : { size: f.size, mtime: f.mtimeUs })),
  });
}

/** Validate every field against the torrent; a reason string when anything is off. */
export function decodeResume(bytes: Buffer, infoHashHex: string, layout: PieceLayout): LoadedResume | { ignored: string } {
  checkHex(infoHashHex);
  const ignore = (why: string) => ({ ignored: `resume file ignored: ${why}` });
  let v: BValue;
  try {
    v = decode(bytes, { maxBytes: maxResumeBytes(layout), maxDepth: 3, maxTokens: 32 + 6 * layout.files.length });
  } catch (err) {
    return ignore(`not valid bencode (${errorMessage(err)})`);
  }
  if (!isDict(v)) return ignore('not a dictionary');
  if (v['version'] !== RESUME_VERSION) return ignore(`unknown version ${String(isInt(v['version']) ? v['version'] : '?')}`);
  const ih = v['info hash'];
  if (!isBytes(ih) || ih.toString('hex') !== infoHashHex) return ignore('it belongs to another torrent');
  const ints: Array<[string, number]> = [
    ['piece length', layout.pieceLength],
    ['piece count', layout.pieceCount],
    ['total length', layout.totalLength],
  ];
  for (const [key, want] of ints) if (v[key] !== want) return ignore(`${key} does not match the torrent`);
  const bits = v['have'];
  const n = layout.pieceCount;
  if (!isBytes(bits) || bits.length !== Math.ceil(n / 8)) return ignore('the piece bitfield has the wrong length');
  if (n % 8 !== 0 && (bits[bits.length - 1]! & (0xff >> (n % 8))) !== 0) return ignore('spare bits set in the piece bitfield');
  const have = Array.from({ length: n }, (_, i) => (bits[i >> 3]! & (0x80 >> (i & 7))) !== 0);
  const list = v['files'];
  if (!isList(list) || list.length !== layout.files.length) return ignore('the file list does not match the torrent');
  const files: Array<ResumeFileStat | null> = [];
  for (const [i, e] of list.entries()) {
    if (!isDict(e)) return ignore(`file entry ${i} is not a dictionary`);
    const size = e['size'];
    const mtime = e['mtime'];
    if (size === undefined && mtime === undefined) {
      files.push(null);
      continue;
    }
    if (!isInt(size) || size < 0 || !isInt(mtime) || mtime < 0) return ignore(`file entry ${i} is malformed`);
    files.push({ size, mtimeUs: mtime });
  }
  return { have, files };
}

function maxResumeBytes(layout: PieceLayout): number {
  return 1024 + Math.ceil(layout.pieceCount / 8) + 64 * layout.files.length;
}

/** Saves in flight per path: one at a time, so two never share the temp file. */
const saving = new Map<string, Promise<void>>();

/**
 * Write the resume file atomically: a temp file in the same folder, fsync, rename over the
 * old one, fsync the folder. Every piece it lists must be on disk: call it after
 * storage.flush(), or give `have` as a function that flushes.
 */
export async function saveResume(root: string, state: ResumeState, backend: FsBackend = nodeBackend): Promise<void> {
  const confiner = new Confiner(root, backend);
  const rel = resumeRel(state.infoHashHex);
  const key = confiner.display(rel);
  const prev = saving.get(key) ?? Promise.resolve();
  const job = prev.catch(() => undefined).then(() => saveNow(confiner, rel, state, backend));
  saving.set(key, job);
  try {
    await job;
  } finally {
    if (saving.get(key) === job) saving.delete(key);
  }
}

async function saveNow(confiner: Confiner, rel: string[], state: ResumeState, backend: FsBackend): Promise<void> {
  const { layout } = state;
  const stats: Array<ResumeFileStat | null> = layout.files.map(() => null);
  const indices = layout.files.map((_, i) => i).filter((i) => !layout.files[i]!.pad);
  await forEachLimit(indices, 16, async (i) => {
    const path = await confiner.resolve(layout.files[i]!.path, false);
    let st;
    try {
      st = await backend.stat(path);
    } catch (err) {
      throw storageError(err, 'checking', path);
    }
    if (st !== null && st.isFile) stats[i] = { size: st.size, mtimeUs: mtimeUs(st.mtimeMs) };
  });
  // the pieces only now: one written after the stat changes the file's mtime, so a restart
  // hashes that file; one written between a list taken earlier and the stat would be on
  // disk, under the mtime we record, and missing from the list
  const have = typeof state.have === 'function' ? await state.have() : state.have;
  const bytes = encodeResume(state.infoHashHex, layout, have, stats);
  const path = await confiner.resolve(rel, true);
  const tmp = `${path}.tmp`;
  let h;
  try {
    h = await backend.open(tmp, 'replace');
  } catch (err) {
    throw storageError(err, 'creating', tmp);
  }
  try {
    let done = 0;
    while (done < bytes.length) {
      const n = await h.write(bytes, done, bytes.length - done, done);
      if (n <= 0) throw Object.assign(new Error('write made no progress'), { code: 'EIO' });
      done += n;
    }
    await h.sync();
  } catch (err) {
    await h.close().catch(() => undefined);
    await backend.unlink(tmp).catch(() => undefined);
    throw storageError(err, 'writing', tmp);
  }
  try {
    await h.close();
    await backend.rename(tmp, path);
  } catch (err) {
    throw storageError(err, 'saving', path);
  }
  await syncDir(backend, dirname(path));
}

/** Make the rename itself durable; not every platform lets a folder be fsynced. */
async function syncDir(backend: FsBackend, dir: string): Promise<void> {
  try {
    const d = await backend.open(dir, 'read');
    try {
      await d.sync();
    } finally {
      await d.close();
    }
  } catch (err) {
    log('fsync of folder %s: %s', dir, errorMessage(err));
  }
}

/** Read and validate the resume file. Anything wrong is reported as a reason, never thrown. */
export async function loadResume(
  root: string,
  infoHashHex: string,
  layout: PieceLayout,
  backend: FsBackend = nodeBackend,
): Promise<LoadedResume | { ignored: string }> {
  const confiner = new Confiner(root, backend);
  const rel = resumeRel(infoHashHex);
  try {
    const path = await confiner.resolve(rel, false);
    const st = await backend.stat(path);
    if (st === null) return { ignored: 'no resume file' };
    if (!st.isFile) return { ignored: `resume file ignored: "${path}" is not a file` };
    const limit = maxResumeBytes(layout);
    if (st.size > limit) return { ignored: `resume file ignored: ${st.size} bytes is more than a resume file for this torrent can be` };
    const h = await backend.open(path, 'read');
    const buf = Buffer.alloc(st.size);
    let got = 0;
    try {
      while (got < buf.length) {
        const n = await h.read(buf, got, buf.length - got, got);
        if (n === 0) break;
        got += n;
      }
    } finally {
      await h.close();
    }
    const result = decodeResume(buf.subarray(0, got), infoHashHex, layout);
    if ('ignored' in result) log('%s: %s', path, result.ignored);
    return result;
  } catch (err) {
    return { ignored: `resume file ignored: cannot read it (${errorMessage(storageError(err, 'reading', confiner.display(rel)))})` };
  }
}
