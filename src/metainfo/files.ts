import type { BDict } from '../bencode/decode.js';
import { isBytes, isDict, isList } from '../bencode/types.js';
import { MetainfoError } from '../util/errors.js';
import { preferUtf8, requireInt, shown } from './fields.js';
import type { LayoutFileInput } from './layout.js';
import { safeComponent, type SafeNameOptions } from './safe-path.js';

/** Largest file length we take: 2^53, where plain numbers stop being exact. */
export const MAX_FILE_LENGTH = 2 ** 53;

export interface ParsedFiles {
  name: string;
  multiFile: boolean;
  /** Layout entries: paths start with the (safe) torrent name. */
  files: LayoutFileInput[];
  warnings: string[];
}

/**
 * Reads `name` and either `length` (single file) or `files` (multi-file) from a v1 info
 * dictionary, validating every path and mapping each name to one that is safe on disk.
 */
export function parseFiles(info: BDict, opts: SafeNameOptions): ParsedFiles {
  const warnings: string[] = [];
  const rawName = preferUtf8(info, 'name');
  if (rawName === undefined) throw new MetainfoError('MISSING_FIELD', 'the torrent has no "info.name" field', 'info.name');
  if (!isBytes(rawName)) throw new MetainfoError('BAD_FIELD', '"info.name" is not a string', 'info.name');
  const name = safeComponent(rawName, 'info.name', opts);
  noteRenamed(rawName, name, warnings);

  const hasLength = info.length !== undefined;
  const hasFiles = info.files !== undefined;
  if (hasLength && hasFiles) {
    throw new MetainfoError('BAD_FIELD', 'the info dictionary has both "length" and "files"', 'info.files');
  }
  if (!hasLength && !hasFiles) {
    throw new MetainfoError('MISSING_FIELD', 'the info dictionary has neither "length" nor "files"', 'info.length');
  }
  if (hasLength) {
    const length = fileLength(info.length, 'info.length');
    return { name, multiFile: false, files: [{ path: [name], length }], warnings };
  }

  const list = info.files;
  if (!isList(list)) throw new MetainfoError('BAD_FIELD', '"info.files" is not a list', 'info.files');
  if (list.length === 0) throw new MetainfoError('BAD_FIELD', '"info.files" is empty', 'info.files');
  const files: LayoutFileInput[] = [];
  const seen = new Set<string>();
  const dirs = new Set<string>();
  list.forEach((entry, i) => {
    const field = `info.files[${i}]`;
    if (!isDict(entry)) throw new MetainfoError('BAD_FIELD', `"${field}" is not a dictionary`, field);
    const length = fileLength(entry.length, `${field}.length`);
    const rawPath = preferUtf8(entry, 'path');
    if (rawPath === undefined) throw new MetainfoError('MISSING_FIELD', `"${field}" has no path`, `${field}.path`);
    if (!isList(rawPath) || rawPath.length === 0) {
      throw new MetainfoError('BAD_FIELD', `"${field}.path" is not a non-empty list`, `${field}.path`);
    }
    const path = [name];
    for (const c of rawPath) {
      if (!isBytes(c)) throw new MetainfoError('BAD_FIELD', `"${field}.path" holds a non-string`, `${field}.path`);
      const safe = safeComponent(c, `${field}.path`, opts);
      noteRenamed(c, safe, warnings);
      path.push(safe);
    }
    const pad = isPadding(entry, rawPath as Buffer[]);
    files.push({ path, length, pad });
    // Padding files never reach the disk and libtorrent repeats names like .pad/16384.
    if (pad) return;
    const key = path.join('\0');
    if (seen.has(key)) {
      throw new MetainfoError('DUPLICATE_PATH', `"${field}" repeats the path ${shown(path.join('/'))}`, `${field}.path`);
    }
    if (dirs.has(key)) {
      throw new MetainfoError('DUPLICATE_PATH', `"${field}": ${shown(path.join('/'))} is both a file and a folder`, `${field}.path`);
    }
    seen.add(key);
    for (let n = 1; n < path.length; n++) {
      const dir = path.slice(0, n).join('\0');
      if (seen.has(dir)) {
        throw new MetainfoError('DUPLICATE_PATH', `"${field}": ${shown(path.slice(0, n).join('/'))} is both a file and a folder`, `${field}.path`);
      }
      dirs.add(dir);
    }
  });
  return { name, multiFile: true, files, warnings };
}

function fileLength(v: BDict[string], field: string): number {
  const n = requireInt(v, field);
  if (n < 0) throw new MetainfoError('BAD_LENGTH', `"${field}" is negative`, field);
  if (n > MAX_FILE_LENGTH) throw new MetainfoError('BAD_LENGTH', `"${field}" is larger than 2^53`, field);
  return n;
}

/**
 * BEP 47 marks padding with `attr` containing `p`; BitComet, before BEP 47, named them
 * `_____padding_file_...`, and libtorrent still treats those as padding.
 */
function isPadding(entry: BDict, rawPath: Buffer[]): boolean {
  const attr = entry.attr;
  if (isBytes(attr) && attr.includes(0x70)) return true;
  const last = rawPath[rawPath.length - 1];
  return last !== undefined && last.toString('latin1').startsWith('_____padding_file_');
}

function noteRenamed(raw: Buffer, safe: string, warnings: string[]): void {
  const decoded = raw.toString('utf8');
  if (decoded !== safe || !Buffer.from(decoded).equals(raw)) {
    warnings.push(`the name ${shown(JSON.stringify(raw.toString('latin1')))} is stored on disk as ${shown(JSON.stringify(safe))}`);
  }
}
