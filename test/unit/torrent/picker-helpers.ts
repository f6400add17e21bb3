import { PieceLayout } from '../../../src/metainfo/layout.js';
import type { BlockRequest } from '../../../src/torrent/picker.js';

/** A one-file layout. */
export function layoutOf(total: number, pieceLength: number, blockLength?: number): PieceLayout {
  return new PieceLayout([{ path: ['f'], length: total }], pieceLength, blockLength);
}

export { seeded } from '../../helpers/random.js';

export const all = () => true;
export const hasSet = (s: Iterable<number>) => {
  const set = new Set(s);
  return (i: number) => set.has(i);
};

/** "index:begin+length" for compact assertions. */
export function fmt(rs: readonly BlockRequest[]): string[] {
  return rs.map((r) => `${r.index}:${r.begin}+${r.length}`);
}
