import { decode } from '../bencode/decode.js';
import type { BDict, BValue } from '../bencode/decode.js';
import { encode, type EValue } from '../bencode/encode.js';
import { isBytes, isDict, isInt } from '../bencode/types.js';
import { SwarmError, WireError } from '../util/errors.js';

/**
 * The BEP 10 extended handshake: the payload of extended message id 0, a bencoded
 * dictionary. `m` maps extension names (ut_metadata, ut_pex...) to the id the sender
 * wants to RECEIVE that extension's messages on; id 0 means "disabled".
 */
export const EXTENDED_HANDSHAKE_ID = 0;

/** Bounds for what a peer may send us. */
export const EXTENSION_LIMITS = {
  /** Bytes of the whole payload. */
  maxPayload: 64 * 1024,
  /** Entries in `m`. */
  maxExtensions: 128,
  /** Bytes of one extension name. */
  maxNameLength: 64,
  /** Bytes of the client name `v`. */
  maxClientName: 256,
  /** BEP 9 metadata (the info dictionary) size; our .torrent limit is 10 MB too. */
  maxMetadataSize: 10 * 1024 * 1024,
} as const;

export interface ExtendedHandshake {
  /** Extension name -> message id (1..255, or 0 = disabled). Empty when absent. */
  m: Map<string, number>;
  /** Client name and version, UTF-8. */
  v?: string;
  /** The sender's listen port (TCP). */
  p?: number;
  /** How many outstanding requests the sender will queue. */
  reqq?: number;
  /** Size of the info dictionary in bytes (BEP 9). */
  metadataSize?: number;
  /** Our address as the sender sees it: 4 (IPv4) or 16 (IPv6) bytes. */
  yourip?: Buffer;
}

export interface ExtendedHandshakeInput {
  m?: ReadonlyMap<string, number> | Readonly<Record<string, number>>;
  v?: string;
  p?: number;
  reqq?: number;
  metadataSize?: number;
  yourip?: Buffer;
}

export function encodeExtendedHandshake(h: ExtendedHandshakeInput): Buffer {
  const m: Record<string, EValue> = {};
  const entries = h.m instanceof Map ? [...h.m] : Object.entries(h.m ?? {});
  for (const [name, id] of entries) {
    if (!Number.isInteger(id) || id < 0 || id > 255) {
      throw new WireError('BAD_FIELD', `extension ${name} has id ${id}, expected 0..255`);
    }
    m[name] = id;
  }
  const dict: Record<string, EValue> = { m };
  if (h.v !== undefined) dict.v = h.v;
  if (h.p !== undefined) dict.p = h.p;
  if (h.reqq !== undefined) dict.reqq = h.reqq;
  if (h.metadataSize !== undefined) dict.metadata_size = h.metadataSize;
  if (h.yourip !== undefined) dict.yourip = h.yourip;
  return encode(dict);
}

/**
 * Decode and check an extended handshake from a peer. Unknown keys are ignored; a known
 * key with the wrong type or out of bounds is an error (WireError
 * 'BAD_EXTENDED_HANDSHAKE'), as is a payload that is not a bencoded dictionary.
 * A `p` of 0 is read as "no port given".
 */
export function decodeExtendedHandshake(payload: Buffer): ExtendedHandshake {
  const lim = EXTENSION_LIMITS;
  if (payload.length > lim.maxPayload) {
    fail(`payload of ${payload.length} bytes exceeds the limit of ${lim.maxPayload}`);
  }
  let value: BValue;
  try {
    value = decode(payload, { maxBytes: lim.maxPayload, maxDepth: 16, maxTokens: 4096 });
  } catch (err) {
    if (err instanceof SwarmError) throw new WireError('BAD_EXTENDED_HANDSHAKE', `extended handshake: ${err.message}`, { cause: err });
    throw err;
  }
  if (!isDict(value)) fail('not a dictionary');
  const out: ExtendedHandshake = { m: decodeM(value.m) };
  const v = value.v;
  if (v !== undefined) {
    if (!isBytes(v) || v.length > lim.maxClientName) fail(`"v" must be a string of at most ${lim.maxClientName} bytes`);
    out.v = v.toString('utf8');
  }
  const p = optionalInt(value, 'p', 0, 0xffff);
  if (p !== undefined && p !== 0) out.p = p;
  const reqq = optionalInt(value, 'reqq', 1, 0xffffffff);
  if (reqq !== undefined) out.reqq = reqq;
  const size = optionalInt(value, 'metadata_size', 1, lim.maxMetadataSize);
  if (size !== undefined) out.metadataSize = size;
  const ip = value.yourip;
  if (ip !== undefined) {
    if (!isBytes(ip) || (ip.length !== 4 && ip.length !== 16)) fail('"yourip" must be 4 or 16 bytes');
    out.yourip = Buffer.from(ip);
  }
  return out;
}

function decodeM(m: BValue | undefined): Map<string, number> {
  const out = new Map<string, number>();
  if (m === undefined) return out;
  if (!isDict(m)) fail('"m" must be a dictionary');
  const names = Object.keys(m);
  if (names.length > EXTENSION_LIMITS.maxExtensions) {
    fail(`"m" has ${names.length} extensions, more than ${EXTENSION_LIMITS.maxExtensions}`);
  }
  for (const name of names) {
    if (name.length === 0 || name.length > EXTENSION_LIMITS.maxNameLength) {
      fail(`extension name of ${name.length} bytes in "m"`);
    }
    const id = m[name];
    if (!isInt(id) || id < 0 || id > 255) fail(`extension ${printable(name)} has an id that is not 0..255`);
    out.set(name, id);
  }
  return out;
}

function optionalInt(d: BDict, key: string, min: number, max: number): number | undefined {
  const v = d[key];
  if (v === undefined) return undefined;
  if (!isInt(v) || v < min || v > max) fail(`"${key}" must be an integer in ${min}..${max}`);
  return v;
}

function fail(message: string): never {
  throw new WireError('BAD_EXTENDED_HANDSHAKE', `extended handshake: ${message}`);
}

function printable(s: string): string {
  return s.replace(/[^\x20-\x7e]/g, '?');
}
