import { createHash } from 'node:crypto';
import { PieceLayout, type LayoutFileInput } from '../../../src/metainfo/layout.js';

/** Deterministic bytes that differ at every offset (so misplaced bytes show). */
export function streamBytes(length: number, seed = 1): Buffer {
  const out = Buffer.alloc(length);
  let x = seed >>> 0 || 1;
  for (let i = 0; i < length; i++) {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    out[i] = x & 0xff;
  }
  return out;
}

/** A torrent's byte stream with padding files zeroed, as BEP 47 wants. */
export function torrentBytes(layout: PieceLayout, seed = 1): Buffer {
  const b = streamBytes(layout.totalLength, seed);
  for (const f of layout.files) if (f.pad) b.fill(0, f.offset, f.offset + f.length);
  return b;
}

export function pieceOf(layout: PieceLayout, data: Buffer, i: number): Buffer {
  const at = layout.pieceOffset(i);
  return data.subarray(at, at + layout.pieceSize(i));
}

export function fileOf(layout: PieceLayout, data: Buffer, i: number): Buffer {
  const f = layout.files[i]!;
  return data.subarray(f.offset, f.offset + f.length);
}

export function pieceHashes(layout: PieceLayout, data: Buffer): Buffer {
  const out: Buffer[] = [];
  for (let i = 0; i < layout.pieceCount; i++) out.push(createHash('sha1').update(pieceOf(layout, data, i)).digest());
  return Buffer.concat(out);
}

/**
 * Multi-file torrent "t": pieces of 8 bytes across file boundaries, a 0-byte file and a
 * padding file. Offsets: a 0..10, empty 10, pad 10..16, b 16..35, c 35..40.
 */
export function sampleLayout(): PieceLayout {
  const files: LayoutFileInput[] = [
    { path: ['t', 'a.bin'], length: 10 },
    { path: ['t', 'sub', 'empty'], length: 0 },
    { path: ['t', '.pad', '6'], length: 6, pad: true },
    { path: ['t', 'sub', 'b.bin'], length: 19 },
    { path: ['t', 'c.bin'], length: 5 },
  ];
  return new PieceLayout(files, 8, 4);
}
