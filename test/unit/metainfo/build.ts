import { createHash } from 'node:crypto';
import { encode, type EValue } from '../../../src/bencode/encode.js';

/** Builds .torrent bytes for tests: real piece hashes over deterministic data. */

export function data(n: number, seed = 1): Buffer {
  const b = Buffer.alloc(n);
  let x = seed * 2654435761;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

export function piecesOf(bytes: Buffer, pieceLength: number): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; i < bytes.length; i += pieceLength) {
    out.push(createHash('sha1').update(bytes.subarray(i, i + pieceLength)).digest());
  }
  return Buffer.concat(out);
}

export interface FileSpec {
  path: Array<string | Buffer>;
  length: number;
  attr?: string;
}

/** A multi-file info dictionary whose pieces hash zero-filled data of the right length. */
export function multiInfo(files: FileSpec[], pieceLength = 16, name: string | Buffer = 'multi'): Record<string, EValue> {
  const total = files.reduce((s, f) => s + f.length, 0);
  return {
    name,
    'piece length': pieceLength,
    pieces: piecesOf(Buffer.alloc(total), pieceLength),
    files: files.map((f) => {
      const d: Record<string, EValue> = { length: f.length, path: f.path };
      if (f.attr !== undefined) d.attr = f.attr;
      return d;
    }),
  };
}

export function singleInfo(length = 40, pieceLength = 16, name: string | Buffer = 'single.bin'): Record<string, EValue> {
  return { name, 'piece length': pieceLength, pieces: piecesOf(data(length), pieceLength), length };
}

export function torrent(info: Record<string, EValue>, extra: Record<string, EValue> = {}): Buffer {
  return encode({ ...extra, info });
}
