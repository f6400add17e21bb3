import { WireError } from '../util/errors.js';

const POPCOUNT = (() => {
  const t = new Uint8Array(256);
  for (let i = 1; i < 256; i++) t[i] = (i & 1) + t[i >> 1]!;
  return t;
})();

/**
 * One bit per piece, most significant bit of byte 0 first (BEP 3). The length is fixed at
 * construction; the spare bits of the last byte are always zero. `count()` is O(1).
 */
export class Bitfield implements Iterable<number> {
  readonly length: number;
  private readonly bytes: Uint8Array;
  private setCount = 0;

  constructor(pieceCount: number) {
    if (!Number.isInteger(pieceCount) || pieceCount < 0) {
      throw new WireError('BAD_FIELD', `piece count ${pieceCount} is not a non-negative integer`);
    }
    this.length = pieceCount;
    this.bytes = new Uint8Array(byteLength(pieceCount));
  }

  /** A copy of `buf`, checked: exactly ceil(pieceCount / 8) bytes and no spare bit set. */
  static fromBuffer(buf: Uint8Array, pieceCount: number): Bitfield {
    const bf = new Bitfield(pieceCount);
    if (buf.length !== bf.bytes.length) {
      throw new WireError(
        'BAD_BITFIELD',
        `bitfield of ${buf.length} bytes for ${pieceCount} pieces, expected ${bf.bytes.length}`,
      );
    }
    const spare = bf.bytes.length * 8 - pieceCount;
    if (spare > 0 && (buf[buf.length - 1]! & ((1 << spare) - 1)) !== 0) {
      throw new WireError('BAD_BITFIELD', `bitfield has spare bits set past piece ${pieceCount - 1}`);
    }
    bf.bytes.set(buf);
    let n = 0;
    for (let i = 0; i < buf.length; i++) n += POPCOUNT[buf[i]!]!;
    bf.setCount = n;
    return bf;
  }

  has(i: number): boolean {
    this.check(i);
    return (this.bytes[i >>> 3]! & (0x80 >>> (i & 7))) !== 0;
  }

  set(i: number): void {
    this.check(i);
    const mask = 0x80 >>> (i & 7);
    const b = this.bytes[i >>> 3]!;
    if ((b & mask) === 0) {
      this.bytes[i >>> 3] = b | mask;
      this.setCount++;
    }
  }

  clear(i: number): void {
    this.check(i);
    const mask = 0x80 >>> (i & 7);
    const b = this.bytes[i >>> 3]!;
    if ((b & mask) !== 0) {
      this.bytes[i >>> 3] = b & ~mask;
      this.setCount--;
    }
  }

  setAll(): void {
    const n = this.length;
    this.bytes.fill(0xff, 0, n >>> 3);
    if (n & 7) this.bytes[n >>> 3] = (0xff00 >>> (n & 7)) & 0xff;
    this.setCount = n;
  }

  count(): number {
    return this.setCount;
  }

  isComplete(): boolean {
    return this.setCount === this.length;
  }

  isEmpty(): boolean {
    return this.setCount === 0;
  }

  /** The wire form (a copy): what goes into a `bitfield` message. */
  toBuffer(): Buffer {
    return Buffer.from(this.bytes);
  }

  clone(): Bitfield {
    return Bitfield.fromBuffer(this.bytes, this.length);
  }

  /** Set indices in ascending order; skips empty bytes, so sparse fields are cheap. */
  *[Symbol.iterator](): Iterator<number> {
    const bytes = this.bytes;
    for (let j = 0; j < bytes.length; j++) {
      const b = bytes[j]!;
      if (b === 0) continue;
      for (let k = 0; k < 8; k++) if (b & (0x80 >>> k)) yield j * 8 + k;
    }
  }

  private check(i: number): void {
    if (!(Number.isInteger(i) && i >= 0 && i < this.length)) {
      throw new WireError('BAD_INDEX', `piece index ${i} is out of range (0..${this.length - 1})`);
    }
  }
}

function byteLength(pieceCount: number): number {
  return Math.ceil(pieceCount / 8);
}
