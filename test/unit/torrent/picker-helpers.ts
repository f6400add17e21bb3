import { PieceLayout } from '../../../src/metainfo/layout.js';
import type { BlockRequest } from '../../../src/torrent/picker.js';

/** A one-file layout. */
export function layoutOf(total: number, pieceLength: number, blockLength?: number): PieceLayout {
  return new PieceLayout([{ path: ['f'], length: total }], pieceLength, blockLength);
}

/** A small seeded PRNG (mulberry32), so "random" ties are the same on every run. */
export function seeded(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export const all = () => true;
export const hasSet = (s: Iterable<number>) => {
  const set = new Set(s);
  return (i: number) => set.has(i);
};

/** "index:begin+length" for compact assertions. */
export function fmt(rs: readonly BlockRequest[]): string[] {
  return rs.map((r) => `${r.index}:${r.begin}+${r.length}`);
}
