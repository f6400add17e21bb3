import { encode } from '../../bencode/encode.js';
import { TrackerError } from '../../util/errors.js';
import type { ServerAnnounce } from './types.js';

export interface QueryLimits {
  /** Longest query string accepted, in characters. */
  maxLength?: number;
  /** Most key=value pairs accepted. */
  maxParams?: number;
}

export const QUERY_LIMITS: Required<QueryLimits> = { maxLength: 8192, maxParams: 200 };

function hexVal(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/** Percent-decodes one query component into raw bytes. "+" stays a literal byte (RFC 3986). */
function percentDecode(s: string): Buffer {
  const out = Buffer.allocUnsafe(s.length);
  let n = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c === 0x25) {
      const hi = i + 2 < s.length ? hexVal(s.charCodeAt(i + 1)) : -1;
      const lo = hi >= 0 ? hexVal(s.charCodeAt(i + 2)) : -1;
      if (lo < 0) throw new TrackerError('BAD_REQUEST', 'bad percent-escape in the query');
      out[n++] = (hi << 4) | lo;
      i += 2;
    } else if (c > 0xff) {
      throw new TrackerError('BAD_REQUEST', 'non-ASCII character in the query');
    } else out[n++] = c;
  }
  return out.subarray(0, n);
}

/**
 * Splits a query string into keys (latin1 text) and raw byte values. info_hash and peer_id
 * are binary, so values are never treated as text here.
 */
export function parseQuery(qs: string, limits: QueryLimits = {}): Map<string, Buffer[]> {
  const lim = { ...QUERY_LIMITS, ...limits };
  if (qs.length > lim.maxLength) throw new TrackerError('BAD_REQUEST', `query longer than ${lim.maxLength} characters`);
  const out = new Map<string, Buffer[]>();
  if (qs.length === 0) return out;
  const pairs = qs.split('&');
  if (pairs.length > lim.maxParams) throw new TrackerError('BAD_REQUEST', `more than ${lim.maxParams} query parameters`);
  for (const pair of pairs) {
    if (pair.length === 0) continue;
    const eq = pair.indexOf('=');
    const key = percentDecode(eq >= 0 ? pair.slice(0, eq) : pair).toString('latin1');
    const value = percentDecode(eq >= 0 ? pair.slice(eq + 1) : '');
    const list = out.get(key);
    if (list) list.push(value);
    else out.set(key, [value]);
  }
  return out;
}

function one(q: Map<string, Buffer[]>, key: string): Buffer | undefined {
  const v = q.get(key);
  return v === undefined ? undefined : v[0];
}

function hash20(q: Map<string, Buffer[]>, key: string): Buffer {
  const v = q.get(key);
  if (!v || v.length === 0) throw new TrackerError('BAD_REQUEST', `missing ${key}`);
  if (v.length > 1) throw new TrackerError('BAD_REQUEST', `more than one ${key}`);
  if (v[0]!.length !== 20) throw new TrackerError('BAD_REQUEST', `${key} must be 20 bytes, not ${v[0]!.length}`);
  return v[0]!;
}

function uint(q: Map<string, Buffer[]>, key: string, dflt?: number): number {
  const v = one(q, key);
  if (v === undefined) {
    if (dflt === undefined) throw new TrackerError('BAD_REQUEST', `missing ${key}`);
    return dflt;
  }
  const s = v.toString('latin1');
  if (!/^[0-9]{1,20}$/.test(s)) throw new TrackerError('BAD_REQUEST', `bad ${key}`);
  return Math.min(Number(s), Number.MAX_SAFE_INTEGER);
}

/** An HTTP announce query as one request; a bad one throws a TrackerError whose message is the failure reason. */
export function parseHttpAnnounce(q: Map<string, Buffer[]>): ServerAnnounce {
  const infoHash = hash20(q, 'info_hash');
  const peerId = hash20(q, 'peer_id');
  const port = uint(q, 'port');
  if (port < 1 || port > 65535) throw new TrackerError('BAD_REQUEST', 'bad port');
  const ev = one(q, 'event')?.toString('latin1') ?? '';
  const event = ev === 'started' || ev === 'completed' || ev === 'stopped' ? ev : 'none';
  const numwantRaw = one(q, 'numwant');
  const numwant = numwantRaw === undefined || !/^[0-9]{1,9}$/.test(numwantRaw.toString('latin1')) ? undefined : Number(numwantRaw.toString('latin1'));
  return {
    infoHash,
    peerId,
    port,
    uploaded: uint(q, 'uploaded', 0),
    downloaded: uint(q, 'downloaded', 0),
    left: uint(q, 'left'),
    event,
    numwant,
    compact: one(q, 'compact')?.toString('latin1') !== '0',
    noPeerId: one(q, 'no_peer_id')?.toString('latin1') === '1',
  };
}

/** The info hashes of an HTTP scrape (none means "all", which we refuse later). */
export function parseHttpScrape(q: Map<string, Buffer[]>, maxHashes = 100): Buffer[] {
  const v = q.get('info_hash') ?? [];
  if (v.length > maxHashes) throw new TrackerError('BAD_REQUEST', `more than ${maxHashes} info hashes in one scrape`);
  for (const h of v) if (h.length !== 20) throw new TrackerError('BAD_REQUEST', `info_hash must be 20 bytes, not ${h.length}`);
  return v;
}

export interface HttpAnnounceReply {
  interval: number;
  minInterval?: number;
  complete: number;
  incomplete: number;
  downloaded?: number;
  /** Compact IPv4 peers (6 bytes each) and IPv6 peers (18 bytes each). */
  peers4: Buffer;
  peers6: Buffer;
}

export interface DictPeer {
  ip: string;
  port: number;
  peerId?: Buffer;
}

export function encodeHttpAnnounce(r: HttpAnnounceReply, dictPeers?: DictPeer[]): Buffer {
  const d: Record<string, Buffer | number | Array<Record<string, Buffer | number | string>>> = {
    complete: r.complete,
    incomplete: r.incomplete,
    interval: r.interval,
  };
  if (r.minInterval !== undefined) d['min interval'] = r.minInterval;
  if (r.downloaded !== undefined) d.downloaded = r.downloaded;
  if (dictPeers) {
    d.peers = dictPeers.map((p) => {
      const e: Record<string, Buffer | number | string> = { ip: p.ip, port: p.port };
      if (p.peerId) e['peer id'] = p.peerId;
      return e;
    });
  } else {
    d.peers = r.peers4;
    if (r.peers6.length > 0) d.peers6 = r.peers6;
  }
  return encode(d);
}

export function encodeHttpScrape(files: Array<{ infoHash: Buffer; complete: number; incomplete: number; downloaded: number }>): Buffer {
  const m = new Map<Buffer, { complete: number; downloaded: number; incomplete: number }>();
  for (const f of files) m.set(f.infoHash, { complete: f.complete, downloaded: f.downloaded, incomplete: f.incomplete });
  return encode({ files: m });
}

export function encodeHttpFailure(reason: string): Buffer {
  return encode({ 'failure reason': reason });
}
