/**
 * PieceLayout knows every length in a torrent: pieces, the short last piece, blocks, and
 * which file spans a piece covers. Offsets are plain numbers (safe up to 2^53), so files
 * over 4 GiB are fine.
 */
import { lastAtMost } from '../util/search.js';

export const DEFAULT_BLOCK_LENGTH = 16 * 1024;

export interface LayoutFile {
  /** Path relative to the download folder, components already safe for the disk. */
  readonly path: readonly string[];
  readonly length: number;
  /** Offset of the file's first byte in the torrent's byte stream. */
  readonly offset: number;
  /** BEP 47 padding file: zeros that count in the layout but never touch the disk. */
  readonly pad: boolean;
}

export interface FileSpan {
  /** Index into `layout.files`. */
  readonly file: number;
  readonly fileOffset: number;
  readonly length: number;
  /** Where this span starts relative to the start of the requested range. */
  readonly rangeOffset: number;
}

export interface LayoutFileInput {
  path: readonly string[];
  length: number;
  pad?: boolean;
}

export class PieceLayout {
  readonly files: readonly LayoutFile[];
  readonly totalLength: number;
  readonly pieceLength: number;
  readonly pieceCount: number;
  readonly lastPieceLength: number;
  readonly blockLength: number;
  /** Offsets of files with a non-zero length, for binary search. */
  private readonly starts: number[];
  private readonly startFile: number[];

  constructor(files: readonly LayoutFileInput[], pieceLength: number, blockLength = DEFAULT_BLOCK_LENGTH) {
    if (!Number.isSafeInteger(pieceLength) || pieceLength <= 0) throw new RangeError(`bad piece length ${pieceLength}`);
    if (!Number.isSafeInteger(blockLength) || blockLength <= 0) throw new RangeError(`bad block length ${blockLength}`);
    let offset = 0;
    const out: LayoutFile[] = [];
    this.starts = [];
    this.startFile = [];
    for (const f of files) {
      if (!Number.isSafeInteger(f.length) || f.length < 0) throw new RangeError(`bad file length ${f.length}`);
      if (f.length > 0) {
        this.starts.push(offset);
        this.startFile.push(out.length);
      }
      out.push({ path: f.path, length: f.length, offset, pad: f.pad ?? false });
      offset += f.length;
      if (!Number.isSafeInteger(offset)) throw new RangeError('torrent larger than 2^53 bytes');
    }
    this.files = out;
    this.totalLength = offset;
    this.pieceLength = pieceLength;
    this.blockLength = Math.min(blockLength, pieceLength);
    this.pieceCount = Math.ceil(offset / pieceLength);
    this.lastPieceLength = this.pieceCount === 0 ? 0 : offset - (this.pieceCount - 1) * pieceLength;
  }

  private checkPiece(index: number): void {
    if (!Number.isInteger(index) || index < 0 || index >= this.pieceCount) {
      throw new RangeError(`piece ${index} out of range 0..${this.pieceCount - 1}`);
    }
  }

  pieceSize(index: number): number {
    this.checkPiece(index);
    return index === this.pieceCount - 1 ? this.lastPieceLength : this.pieceLength;
  }

  pieceOffset(index: number): number {
    this.checkPiece(index);
    return index * this.pieceLength;
  }

  blockCount(index: number): number {
    return Math.ceil(this.pieceSize(index) / this.blockLength);
  }

  /** Length of block `block` of piece `index` (the last block may be short). */
  blockSize(index: number, block: number): number {
    const size = this.pieceSize(index);
    const begin = block * this.blockLength;
    if (!Number.isInteger(block) || block < 0 || begin >= size) throw new RangeError(`block ${block} out of range`);
    return Math.min(this.blockLength, size - begin);
  }

  /** True if (begin, length) is exactly one of our blocks of piece `index`. */
  isBlock(index: number, begin: number, length: number): boolean {
    if (!Number.isInteger(index) || index < 0 || index >= this.pieceCount) return false;
    if (!Number.isInteger(begin) || begin < 0 || begin % this.blockLength !== 0) return false;
    const size = this.pieceSize(index);
    return begin < size && length === Math.min(this.blockLength, size - begin);
  }

  /** True if (begin, length) is a non-empty range inside piece `index`. */
  inPiece(index: number, begin: number, length: number): boolean {
    if (!Number.isInteger(index) || index < 0 || index >= this.pieceCount) return false;
    if (!Number.isInteger(begin) || !Number.isInteger(length) || begin < 0 || length <= 0) return false;
    return begin + length <= this.pieceSize(index);
  }

  /** The file spans that bytes [begin, begin+length) of piece `index` cover, in order. */
  spans(index: number, begin = 0, length?: number): FileSpan[] {
    const size = this.pieceSize(index);
    const len = length ?? size - begin;
    if (begin < 0 || len < 0 || begin + len > size) throw new RangeError(`range ${begin}+${len} outside piece ${index}`);
    return this.spansAt(index * this.pieceLength + begin, len);
  }

  /** The file spans covering absolute torrent offsets [offset, offset+length). */
  spansAt(offset: number, length: number): FileSpan[] {
    const out: FileSpan[] = [];
    if (length === 0) return out;
    let i = this.findFile(offset);
    let pos = offset;
    const end = offset + length;
    while (pos < end && i < this.files.length) {
      const f = this.files[i]!;
      const fileEnd = f.offset + f.length;
      if (f.length > 0 && pos < fileEnd) {
        const n = Math.min(end, fileEnd) - pos;
        out.push({ file: i, fileOffset: pos - f.offset, length: n, rangeOffset: pos - offset });
        pos += n;
      }
      i++;
    }
    return out;
  }

  /**
   * The file that holds all of [offset, offset+length) (length > 0), or -1 when the range
   * crosses a file boundary or leaves the torrent. What spansAt says for a one-span range,
   * without the array (a seeder asks once per block).
   */
  fileHolding(offset: number, length: number): number {
    const i = this.findFile(offset);
    const f = this.files[i];
    if (!f || !(length > 0) || offset < f.offset || offset + length > f.offset + f.length) return -1;
    return i;
  }

  /** Pieces that hold at least one byte of file `index`; undefined for an empty file. */
  filePieces(index: number): { first: number; last: number } | undefined {
    const f = this.files[index];
    if (!f) throw new RangeError(`file ${index} out of range`);
    if (f.length === 0) return undefined;
    return {
      first: Math.floor(f.offset / this.pieceLength),
      last: Math.floor((f.offset + f.length - 1) / this.pieceLength),
    };
  }

  /** Index of the non-empty file holding byte `offset`. */
  private findFile(offset: number): number {
    return this.startFile[lastAtMost(this.starts, offset)] ?? this.files.length;
  }
}
