import { BencodeError } from '../util/errors.js';

/**
 * A strict, bounded bencode decoder for untrusted bytes (files, peers, trackers).
 *
 * - strings are Buffers (subarrays of the input: no copy);
 * - dictionary keys are latin1 strings, so any key (even a raw 20-byte info hash) maps
 *   back to its exact bytes with Buffer.from(key, 'latin1');
 * - dictionaries have no prototype, so `__proto__` is an ordinary key;
 * - integers are canonical (no leading zeros, no -0) and within Number.MAX_SAFE_INTEGER;
 * - duplicate keys are an error; keys out of order are allowed but counted, because
 *   real torrents have them and the info hash must be taken from the bytes as they are.
 */
export type BValue = number | Buffer | BList | BDict;
export type BList = BValue[];
export interface BDict {
  [key: string]: BValue | undefined;
}

export interface DecodeLimits {
  /** Largest input accepted, in bytes. */
  maxBytes?: number;
  /** Deepest nesting of lists and dictionaries. */
  maxDepth?: number;
  /** Most values (strings, integers, lists, dictionaries) in one input. */
  maxTokens?: number;
}

export interface Span {
  start: number;
  end: number;
}

export interface Decoded {
  value: BValue;
  /** Where decoding stopped; equals the input length unless `allowTrailing`. */
  end: number;
  /** Dictionaries whose keys were not in sorted order. */
  unsortedDicts: number;
  /** The byte span of a list, dictionary or string value of this decode. */
  spanOf(value: BValue): Span | undefined;
}

export const DEFAULT_LIMITS: Required<DecodeLimits> = {
  maxBytes: 10 * 1024 * 1024,
  maxDepth: 100,
  maxTokens: 1_000_000,
};

const CH_D = 0x64; // d
const CH_L = 0x6c; // l
const CH_I = 0x69; // i
const CH_E = 0x65; // e
const CH_COLON = 0x3a;
const CH_MINUS = 0x2d;
const CH_0 = 0x30;
const CH_9 = 0x39;

/** Decode exactly one value that fills the whole input. */
export function decode(bytes: Uint8Array, limits?: DecodeLimits): BValue {
  return decodeDetailed(bytes, { ...limits, spans: false }).value;
}

/**
 * Decode one value with its byte spans. With `allowTrailing`, decoding stops after the
 * first value (used for extension messages that carry raw bytes after a dictionary).
 * `spanDepth` keeps spans only down to that depth (the top value is depth 0): a span is a
 * WeakMap entry, most of the cost on an input of a million tiny values, so a caller that
 * needs one span (the info dictionary: depth 1) should say so.
 */
export function decodeDetailed(
  bytes: Uint8Array,
  limits?: DecodeLimits & { allowTrailing?: boolean; spans?: boolean; spanDepth?: number },
): Decoded {
  const lim = { ...DEFAULT_LIMITS, ...limits };
  const buf = Buffer.isBuffer(bytes) ? bytes : Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (buf.length > lim.maxBytes) {
    throw new BencodeError('TOO_LARGE', `input of ${buf.length} bytes exceeds the limit of ${lim.maxBytes}`, 0);
  }
  if (buf.length === 0) throw new BencodeError('EMPTY', 'empty input', 0);
  const parser = new Parser(buf, lim, limits?.spans === false ? -1 : (limits?.spanDepth ?? Infinity));
  const value = parser.value(0);
  if (parser.pos !== buf.length && !limits?.allowTrailing) {
    throw new BencodeError('TRAILING', `${buf.length - parser.pos} bytes of trailing data`, parser.pos);
  }
  const spans = parser.spans;
  return {
    value,
    end: parser.pos,
    unsortedDicts: parser.unsorted,
    spanOf: (v) => (typeof v === 'object' && spans ? spans.get(v) : undefined),
  };
}

class Parser {
  pos = 0;
  tokens = 0;
  unsorted = 0;
  readonly spans: WeakMap<object, Span> | undefined;

  constructor(
    private readonly buf: Buffer,
    private readonly lim: Required<DecodeLimits>,
    private readonly spanDepth: number,
  ) {
    this.spans = spanDepth >= 0 ? new WeakMap() : undefined;
  }

  fail(code: string, message: string, at = this.pos): never {
    throw new BencodeError(code, message, at);
  }

  value(depth: number): BValue {
    if (++this.tokens > this.lim.maxTokens) this.fail('TOO_MANY_TOKENS', `more than ${this.lim.maxTokens} values`);
    if (this.pos >= this.buf.length) this.fail('TRUNCATED', 'unexpected end of input');
    const start = this.pos;
    const c = this.buf[this.pos]!;
    let v: BValue;
    if (c === CH_I) return this.integer();
    if (c >= CH_0 && c <= CH_9) v = this.string();
    else if (c === CH_L) v = this.list(depth + 1);
    else if (c === CH_D) v = this.dict(depth + 1);
    else this.fail('BAD_TOKEN', `unexpected byte 0x${c.toString(16).padStart(2, '0')}`);
    if (depth <= this.spanDepth) this.spans?.set(v, { start, end: this.pos });
    return v;
  }

  /** Reads digits up to `terminator`; returns the canonical integer they spell. */
  digits(terminator: number, allowNegative: boolean, start = this.pos): number {
    const buf = this.buf;
    let neg = false;
    if (buf[this.pos] === CH_MINUS) {
      if (!allowNegative) this.fail('NEGATIVE_LENGTH', 'negative string length');
      neg = true;
      this.pos++;
    }
    const first = this.pos;
    let n = 0;
    while (this.pos < buf.length) {
      const c = buf[this.pos]!;
      if (c === terminator) break;
      if (c < CH_0 || c > CH_9) this.fail('BAD_INTEGER', `unexpected byte 0x${c.toString(16).padStart(2, '0')} in a number`);
      n = n * 10 + (c - CH_0);
      if (n > Number.MAX_SAFE_INTEGER) this.fail('INTEGER_RANGE', 'integer too large', start);
      this.pos++;
    }
    if (this.pos >= buf.length) this.fail('TRUNCATED', 'unexpected end of input inside a number');
    const len = this.pos - first;
    if (len === 0) this.fail('BAD_INTEGER', 'empty number', start);
    if (len > 1 && buf[first] === CH_0) this.fail('NON_CANONICAL', 'number with a leading zero', start);
    if (neg && n === 0) this.fail('NON_CANONICAL', 'negative zero', start);
    this.pos++; // terminator
    return neg ? -n : n;
  }

  integer(): number {
    const start = this.pos++; // 'i'
    return this.digits(CH_E, true, start);
  }

  string(): Buffer {
    const at = this.pos;
    const len = this.digits(CH_COLON, false);
    if (len > this.buf.length - this.pos) {
      this.fail('TRUNCATED', `string of ${len} bytes runs past the end of input`, at);
    }
    const s = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return s;
  }

  list(depth: number): BList {
    if (depth > this.lim.maxDepth) this.fail('TOO_DEEP', `nesting deeper than ${this.lim.maxDepth}`);
    this.pos++; // 'l'
    const out: BList = [];
    for (;;) {
      if (this.pos >= this.buf.length) this.fail('TRUNCATED', 'unexpected end of input inside a list');
      if (this.buf[this.pos] === CH_E) break;
      out.push(this.value(depth));
    }
    this.pos++;
    return out;
  }

  dict(depth: number): BDict {
    if (depth > this.lim.maxDepth) this.fail('TOO_DEEP', `nesting deeper than ${this.lim.maxDepth}`);
    this.pos++; // 'd'
    const out: BDict = Object.create(null) as BDict;
    let prev: Buffer | undefined;
    let sorted = true;
    for (;;) {
      if (this.pos >= this.buf.length) this.fail('TRUNCATED', 'unexpected end of input inside a dictionary');
      if (this.buf[this.pos] === CH_E) break;
      const keyAt = this.pos;
      const c = this.buf[this.pos]!;
      if (c < CH_0 || c > CH_9) this.fail('BAD_KEY', 'dictionary key is not a string');
      if (++this.tokens > this.lim.maxTokens) this.fail('TOO_MANY_TOKENS', `more than ${this.lim.maxTokens} values`);
      const keyBytes = this.string();
      const key = keyBytes.toString('latin1');
      if (key in out) this.fail('DUPLICATE_KEY', `duplicate dictionary key "${printable(key)}"`, keyAt);
      if (prev !== undefined && Buffer.compare(prev, keyBytes) > 0) sorted = false;
      prev = keyBytes;
      if (this.pos >= this.buf.length || this.buf[this.pos] === CH_E) {
        this.fail('MISSING_VALUE', `dictionary key "${printable(key)}" has no value`);
      }
      out[key] = this.value(depth);
    }
    if (!sorted) this.unsorted++;
    this.pos++;
    return out;
  }
}

function printable(key: string): string {
  const s = key.length > 40 ? `${key.slice(0, 40)}...` : key;
  return s.replace(/[^\x20-\x7e]/g, '?');
}
