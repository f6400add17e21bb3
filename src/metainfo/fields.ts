import { isBytes, isDict, isInt, isList } from '../bencode/types.js';
import type { BDict, BValue } from '../bencode/decode.js';
import { MetainfoError } from '../util/errors.js';

/** Small readers for bencoded fields that name the field when it is wrong. */

export function requireDict(v: BValue | undefined, field: string): BDict {
  if (v === undefined) throw new MetainfoError('MISSING_FIELD', `the torrent has no "${field}" field`, field);
  if (!isDict(v)) throw new MetainfoError('BAD_FIELD', `"${field}" is not a dictionary`, field);
  return v;
}

export function requireInt(v: BValue | undefined, field: string): number {
  if (v === undefined) throw new MetainfoError('MISSING_FIELD', `the torrent has no "${field}" field`, field);
  if (!isInt(v)) throw new MetainfoError('BAD_FIELD', `"${field}" is not an integer`, field);
  return v;
}

export function requireBytes(v: BValue | undefined, field: string): Buffer {
  if (v === undefined) throw new MetainfoError('MISSING_FIELD', `the torrent has no "${field}" field`, field);
  if (!isBytes(v)) throw new MetainfoError('BAD_FIELD', `"${field}" is not a string`, field);
  return v;
}

/**
 * An optional text field, preferring the `.utf-8` variant some creators add next to it.
 * A value of the wrong type is dropped with a warning: these fields are informational.
 */
export function optionalText(d: BDict, key: string, warnings: string[], prefix = ''): string | undefined {
  for (const k of [`${key}.utf-8`, key]) {
    const v = d[k];
    if (v === undefined) continue;
    if (isBytes(v)) return v.toString('utf8');
    warnings.push(`ignored "${prefix}${k}": not a string`);
  }
  return undefined;
}

export function optionalInt(d: BDict, key: string, warnings: string[]): number | undefined {
  const v = d[key];
  if (v === undefined) return undefined;
  if (isInt(v)) return v;
  warnings.push(`ignored "${key}": not an integer`);
  return undefined;
}

/** The `.utf-8` variant of a bytes field when it is a string, else the plain one. */
export function preferUtf8(d: BDict, key: string): BValue | undefined {
  const u = d[`${key}.utf-8`];
  if (u !== undefined && (isBytes(u) || isList(u))) return u;
  return d[key];
}

/** Printable form of a URL or name for a message: no control characters, bounded. */
export function shown(s: string, max = 80): string {
  // eslint-disable-next-line no-control-regex
  const clean = s.replace(/[\x00-\x1f\x7f]/g, '?');
  return clean.length > max ? `${clean.slice(0, max)}...` : clean;
}
