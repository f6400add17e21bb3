import { decode, type BValue } from '../../src/bencode/decode.js';
import { encode } from '../../src/bencode/encode.js';
import { seeded } from './random.js';

/**
 * Input mutators for the fuzz tests: byte-level (bit flips, interesting bytes, truncation,
 * insertion, deletion, duplication, splicing, random bytes) and, for bencode, structural
 * (decode a seed, replace one value, re-encode), which reaches the validation behind the
 * decoder far more often than byte noise does.
 */

/** Seeded, so a failure can be replayed. */
export const prng = seeded;

const INTERESTING_BYTES = Buffer.from('0123456789:-deil\x00\xff/.%&=?+[]');
const INTERESTING_NUMBERS = ['0', '-1', '1', '-0', '00', '20', '16384', '4294967296', '9007199254740991', '9007199254740993', '99999999999999999999'];
const INTERESTING_STRINGS = ['', '..', '.', '/', '/etc/passwd', 'a/b', 'a\\b', 'a\0b', 'p', 'x', 'CON', '\x1b[31m', 'http://127.0.0.1:1/a', 'urn:btih:'];

export const MAX_INPUT = 64 * 1024;

export class Mutator {
  private readonly rnd: () => number;
  constructor(
    seed: number,
    private readonly seeds: Buffer[],
    private readonly structural: boolean,
    /** A dictionary of tokens to insert (as AFL does), for text formats. */
    private readonly tokens: Buffer[] = [],
  ) {
    this.rnd = prng(seed);
  }

  private int(n: number): number {
    return Math.floor(this.rnd() * n);
  }

  private pick<T>(a: readonly T[]): T {
    return a[this.int(a.length)]!;
  }

  next(): Buffer {
    let b: Buffer = Buffer.from(this.pick(this.seeds));
    const rounds = 1 + this.int(4);
    // half the structural inputs stay valid bencode, to get past the decoder
    const onlyStructure = this.structural && this.rnd() < 0.5;
    for (let i = 0; i < rounds; i++) b = onlyStructure ? this.structure(b) : this.once(b);
    return b.length > MAX_INPUT ? b.subarray(0, MAX_INPUT) : b;
  }

  private once(b: Buffer): Buffer {
    if (this.tokens.length > 0 && this.rnd() < 0.4) {
      const p = this.int(b.length + 1);
      return Buffer.concat([b.subarray(0, p), this.pick(this.tokens), b.subarray(p)]);
    }
    const choice = this.int(this.structural ? 11 : 9);
    const at = (): number => this.int(b.length + 1);
    switch (choice) {
      case 0: {
        // flip a few bits
        const c = Buffer.from(b);
        for (let k = 1 + this.int(8); k > 0 && c.length > 0; k--) c[this.int(c.length)]! ^= 1 << this.int(8);
        return c;
      }
      case 1: {
        const c = Buffer.from(b);
        if (c.length > 0) c[this.int(c.length)] = this.pick([...INTERESTING_BYTES]);
        return c;
      }
      case 2:
        return b.subarray(0, at());
      case 3: {
        const p = at();
        const ins = Buffer.alloc(1 + this.int(16));
        for (let i = 0; i < ins.length; i++) ins[i] = this.int(256);
        return Buffer.concat([b.subarray(0, p), ins, b.subarray(p)]);
      }
      case 4: {
        const p = at();
        return Buffer.concat([b.subarray(0, p), b.subarray(p + 1 + this.int(32))]);
      }
      case 5: {
        const p = at();
        const q = Math.min(b.length, p + this.int(64));
        return Buffer.concat([b.subarray(0, q), b.subarray(p, q), b.subarray(q)]);
      }
      case 6: {
        const other = this.pick(this.seeds);
        return Buffer.concat([b.subarray(0, at()), other.subarray(this.int(other.length + 1))]);
      }
      case 7: {
        // replace a run of digits with an interesting number
        const s = b.toString('latin1');
        const runs = [...s.matchAll(/-?\d+/g)];
        if (runs.length === 0) return b;
        const m = this.pick(runs);
        return Buffer.from(s.slice(0, m.index) + this.pick(INTERESTING_NUMBERS) + s.slice(m.index! + m[0].length), 'latin1');
      }
      case 8: {
        const r = Buffer.alloc(this.int(256));
        for (let i = 0; i < r.length; i++) r[i] = this.int(256);
        return r;
      }
      default:
        return this.structure(b);
    }
  }

  /** Decode, swap one value somewhere for an interesting one, re-encode. */
  private structure(b: Buffer): Buffer {
    let root: BValue;
    try {
      root = decode(b);
    } catch {
      return b;
    }
    const slots: Array<{ set: (v: BValue | undefined) => void }> = [];
    const visit = (v: BValue, depth: number): void => {
      if (depth > 20) return;
      if (Array.isArray(v)) {
        v.forEach((x, i) => {
          slots.push({ set: (n) => (n === undefined ? v.splice(i, 1) : (v[i] = n)) });
          visit(x, depth + 1);
        });
      } else if (typeof v === 'object' && !Buffer.isBuffer(v)) {
        for (const k of Object.keys(v)) {
          slots.push({ set: (n) => (n === undefined ? delete v[k] : (v[k] = n)) });
          visit(v[k]!, depth + 1);
        }
      }
    };
    visit(root, 0);
    if (slots.length === 0) return b;
    this.pick(slots).set(this.value());
    try {
      return encode(root);
    } catch {
      return b;
    }
  }

  private value(): BValue | undefined {
    switch (this.int(6)) {
      case 0:
        return undefined;
      case 1:
        return Number(this.pick(INTERESTING_NUMBERS.filter((n) => Number.isSafeInteger(Number(n)))));
      case 2:
        return Buffer.from(this.pick(INTERESTING_STRINGS), 'latin1');
      case 3:
        return [Buffer.from(this.pick(INTERESTING_STRINGS), 'latin1')];
      case 4:
        return Object.assign(Object.create(null) as Record<string, BValue>, { length: this.int(100), path: [Buffer.from(this.pick(INTERESTING_STRINGS))] });
      default:
        return Buffer.alloc(this.int(3) * 20, this.int(256));
    }
  }
}
