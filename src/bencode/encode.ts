import bencode from 'bencode';
import type { BValue } from './decode.js';

/** Values we encode: decoded values, plus plain strings (UTF-8) for convenience. */
export type EValue = BValue | string | EValue[] | { [key: string]: EValue | undefined } | Map<Buffer, EValue>;

/**
 * Encode with the `bencode` package. It writes dictionary keys as UTF-8 text, but our
 * decoder's keys are latin1 strings standing for raw bytes (a scrape answer is keyed by
 * 20-byte info hashes), so keys that are not plain ASCII go through as Buffers.
 */
export function encode(value: EValue): Buffer {
  const out = bencode.encode(prepare(value));
  return Buffer.from(out.buffer, out.byteOffset, out.byteLength);
}

function prepare(v: EValue): unknown {
  if (typeof v === 'number' || typeof v === 'string' || Buffer.isBuffer(v)) return v;
  if (v instanceof Uint8Array) return v;
  if (Array.isArray(v)) return v.map(prepare);
  if (v instanceof Map) {
    const m = new Map<Buffer, unknown>();
    for (const [k, val] of v) m.set(k, prepare(val));
    return m;
  }
  const keys = Object.keys(v);
  if (keys.every((k) => /^[\x00-\x7f]*$/.test(k))) {
    const o: Record<string, unknown> = {};
    for (const k of keys) {
      const val = v[k];
      if (val !== undefined) o[k] = prepare(val);
    }
    return o;
  }
  const m = new Map<Buffer, unknown>();
  for (const k of keys.sort()) {
    const val = v[k];
    if (val !== undefined) m.set(Buffer.from(k, 'latin1'), prepare(val));
  }
  return m;
}
