import { decode } from '../../bencode/decode.js';
import type { BDict, BValue } from '../../bencode/decode.js';
import { isBytes, isDict, isInt, isList } from '../../bencode/types.js';
import { TrackerError, isSwarmError } from '../../util/errors.js';
import { decodeCompactPeers, type PeerAddress } from './compact.js';
import { isIP } from 'node:net';
import { printable } from './text.js';
import type { AnnounceParams, AnnounceResponse, ScrapeStats } from './types.js';

/** Percent-encodes raw bytes: everything but RFC 3986 unreserved characters becomes %XX. */
export function percentEncodeBytes(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    const unreserved =
      (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5a) || (b >= 0x61 && b <= 0x7a) || b === 0x2d || b === 0x2e || b === 0x5f || b === 0x7e;
    out += unreserved ? String.fromCharCode(b) : `%${b < 16 ? '0' : ''}${b.toString(16).toUpperCase()}`;
  }
  return out;
}

function appendQuery(base: string, query: string): string {
  const hash = base.indexOf('#');
  const url = hash >= 0 ? base.slice(0, hash) : base;
  if (!url.includes('?')) return `${url}?${query}`;
  return url.endsWith('?') || url.endsWith('&') ? url + query : `${url}&${query}`;
}

/** The GET URL of an HTTP announce (BEP 3, compact=1 per BEP 23). Keeps any query the URL already has (passkeys). */
export function buildAnnounceUrl(announceUrl: string, p: AnnounceParams): string {
  const q = [
    `info_hash=${percentEncodeBytes(p.infoHash)}`,
    `peer_id=${percentEncodeBytes(p.peerId)}`,
    `port=${p.port}`,
    `uploaded=${Math.max(0, Math.floor(p.uploaded))}`,
    `downloaded=${Math.max(0, Math.floor(p.downloaded))}`,
    `left=${Math.max(0, Math.floor(p.left))}`,
    'compact=1',
  ];
  if (p.event) q.push(`event=${p.event}`);
  if (p.numwant !== undefined) q.push(`numwant=${p.numwant}`);
  if (p.key !== undefined) q.push(`key=${(p.key >>> 0).toString(16).padStart(8, '0')}`);
  if (p.trackerId) q.push(`trackerid=${percentEncodeBytes(p.trackerId)}`);
  return appendQuery(announceUrl, q.join('&'));
}

/** BEP 48: the scrape URL is the announce URL with its last "announce" path segment renamed; undefined if it has none. */
export function scrapeUrlFor(announceUrl: string): string | undefined {
  const q = announceUrl.search(/[?#]/);
  const path = q >= 0 ? announceUrl.slice(0, q) : announceUrl;
  const rest = q >= 0 ? announceUrl.slice(q) : '';
  const slash = path.lastIndexOf('/');
  if (slash < 0 || !path.slice(slash + 1).startsWith('announce')) return undefined;
  return `${path.slice(0, slash + 1)}scrape${path.slice(slash + 1 + 'announce'.length)}${rest}`;
}

export function buildScrapeUrl(scrapeUrl: string, infoHashes: Buffer[]): string {
  return appendQuery(scrapeUrl, infoHashes.map((h) => `info_hash=${percentEncodeBytes(h)}`).join('&'));
}

export interface ParseLimits {
  /** Most peers kept from one answer. */
  maxPeers?: number;
}

function decodeDict(body: Buffer, what: string): BDict {
  let v: BValue;
  try {
    v = decode(body, { maxDepth: 16 });
  } catch (err) {
    if (!isSwarmError(err)) throw err;
    throw new TrackerError('MALFORMED', `${what} is not valid bencode: ${err.message}`, { cause: err });
  }
  if (!isDict(v)) throw new TrackerError('MALFORMED', `${what} is not a bencoded dictionary`);
  const failure = v['failure reason'];
  if (failure !== undefined) {
    throw new TrackerError('FAILURE', `tracker refused: ${isBytes(failure) ? printable(failure) : '(unreadable failure reason)'}`);
  }
  return v;
}

function optInt(d: BDict, key: string): number | undefined {
  const v = d[key];
  return isInt(v) && v >= 0 ? v : undefined;
}

/** Decodes an HTTP announce answer. A `failure reason` becomes a TrackerError with code FAILURE. */
export function parseAnnounceResponse(body: Buffer, limits: ParseLimits = {}): AnnounceResponse {
  const max = limits.maxPeers ?? 5000;
  const d = decodeDict(body, 'tracker answer');
  const peers: PeerAddress[] = [];
  const p = d.peers;
  if (isBytes(p)) peers.push(...decodeCompactPeers(p, 4, max));
  else if (isList(p)) {
    for (const entry of p) {
      if (peers.length >= max) break;
      const peer = dictPeer(entry);
      if (peer) peers.push(peer);
    }
  } else if (p !== undefined) throw new TrackerError('MALFORMED', 'tracker answer has a "peers" that is neither a string nor a list');
  const p6 = d.peers6;
  if (isBytes(p6)) peers.push(...decodeCompactPeers(p6, 6, max - peers.length));
  const out: AnnounceResponse = { peers };
  const interval = optInt(d, 'interval');
  if (interval !== undefined) out.interval = interval;
  const minInterval = optInt(d, 'min interval');
  if (minInterval !== undefined) out.minInterval = minInterval;
  for (const k of ['complete', 'incomplete', 'downloaded'] as const) {
    const n = optInt(d, k);
    if (n !== undefined) out[k] = n;
  }
  const tid = d['tracker id'];
  if (isBytes(tid) && tid.length > 0 && tid.length <= 256) out.trackerId = Buffer.from(tid);
  const warning = d['warning message'];
  if (isBytes(warning)) out.warning = printable(warning);
  return out;
}

function dictPeer(entry: BValue): PeerAddress | undefined {
  if (!isDict(entry)) return undefined;
  const ip = entry.ip;
  const port = entry.port;
  if (!isBytes(ip) || !isInt(port) || port < 1 || port > 65535 || ip.length > 255) return undefined;
  const host = ip.toString('latin1');
  // BEP 3 allows a DNS name here; accept only plain host characters so nothing odd reaches a dialer
  if (isIP(host) === 0 && !/^[A-Za-z0-9.-]+$/.test(host)) return undefined;
  return { host, port };
}

/** Decodes an HTTP scrape answer (BEP 48) for one info hash. */
export function parseScrapeResponse(body: Buffer, infoHash: Buffer): ScrapeStats {
  const d = decodeDict(body, 'scrape answer');
  const files = d.files;
  if (!isDict(files)) throw new TrackerError('MALFORMED', 'scrape answer has no "files" dictionary');
  const entry = files[infoHash.toString('latin1')];
  if (!isDict(entry)) throw new TrackerError('NOT_FOUND', 'scrape answer does not mention this torrent');
  return {
    complete: optInt(entry, 'complete') ?? 0,
    incomplete: optInt(entry, 'incomplete') ?? 0,
    downloaded: optInt(entry, 'downloaded') ?? 0,
  };
}
