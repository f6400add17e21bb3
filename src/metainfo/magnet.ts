import { MetainfoError, UsageError } from '../util/errors.js';
import { base32Decode } from './base32.js';
import { shown } from './fields.js';
import { V2_UNSUPPORTED } from './parse.js';

export interface Magnet {
  infoHash: Buffer;
  infoHashHex: string;
  name?: string;
  trackers: string[];
  webSeeds: string[];
  peers: Array<{ host: string; port: number }>;
}

/** Longer magnet links are refused: a link is typed or pasted, never megabytes. */
export const MAX_MAGNET_LENGTH = 64 * 1024;

const HEX40 = /^[0-9a-f]{40}$/i;
const BASE32_32 = /^[a-z2-7]{32}$/i;

/** True when `s` is a bare info hash: 40 hex digits or 32 base32 characters. */
export function isBareInfoHash(s: string): boolean {
  return HEX40.test(s) || BASE32_32.test(s);
}

/**
 * Parses a magnet link (BEP 9: xt=urn:btih in hex or base32, dn, tr, ws, x.pe), or a bare
 * info hash. Parameters we do not use are ignored; tracker and web seed entries that are
 * not URLs, and peers that are not host:port, are dropped.
 */
export function parseMagnet(uri: string): Magnet {
  const s = uri.trim();
  if (s.length > MAX_MAGNET_LENGTH) {
    throw new MetainfoError('BAD_MAGNET', `the magnet link is ${s.length} characters long, more than the limit of ${MAX_MAGNET_LENGTH}`);
  }
  if (isBareInfoHash(s)) return fromHash(infoHashFrom(s)!);
  if (!/^magnet:\?/i.test(s)) throw new MetainfoError('BAD_MAGNET', `${shown(s)} is not a magnet link or an info hash`);

  let hash: Buffer | undefined;
  let sawV2 = false;
  let name: string | undefined;
  const trackers: string[] = [];
  const webSeeds: string[] = [];
  const peers: Magnet['peers'] = [];
  for (const part of s.slice(s.indexOf('?') + 1).split('&')) {
    if (part === '') continue;
    const eq = part.indexOf('=');
    const key = unescape(eq < 0 ? part : part.slice(0, eq), false).toLowerCase();
    const raw = eq < 0 ? '' : part.slice(eq + 1);
    if (key === 'xt') {
      const v = unescape(raw, false);
      const m = /^urn:(btih|btmh):(.*)$/i.exec(v);
      if (!m) continue;
      if (m[1]!.toLowerCase() === 'btmh') {
        sawV2 = true;
        continue;
      }
      const h = infoHashFrom(m[2]!);
      if (!h) throw new MetainfoError('BAD_MAGNET', `the magnet's info hash ${shown(m[2]!)} is neither 40 hex digits nor 32 base32 characters`);
      if (hash && !hash.equals(h)) throw new MetainfoError('BAD_MAGNET', 'the magnet link names two different info hashes');
      hash = h;
    } else if (key === 'dn') {
      // Many links write spaces in the name as '+', form-style.
      name = unescape(raw, true);
    } else if (key === 'tr' || /^tr\.\d+$/.test(key)) {
      addUrl(trackers, unescape(raw, false));
    } else if (key === 'ws') {
      addUrl(webSeeds, unescape(raw, false));
    } else if (key === 'x.pe') {
      const peer = parsePeer(unescape(raw, false));
      if (peer && !peers.some((p) => p.host === peer.host && p.port === peer.port)) peers.push(peer);
    }
  }
  if (!hash) {
    if (sawV2) throw new MetainfoError('V2_UNSUPPORTED', `the magnet link has only a v2 info hash: ${V2_UNSUPPORTED}`);
    throw new MetainfoError('BAD_MAGNET', 'the magnet link has no info hash (xt=urn:btih:...)');
  }
  const out = fromHash(hash);
  if (name !== undefined && name !== '') out.name = name;
  out.trackers = trackers;
  out.webSeeds = webSeeds;
  out.peers = peers;
  return out;
}

/** A magnet link with the info hash in lowercase hex, and dn, tr, ws (and x.pe) when given. */
export function formatMagnet(m: {
  infoHashHex: string;
  name?: string;
  trackers?: string[];
  webSeeds?: string[];
  peers?: Array<{ host: string; port: number }>;
}): string {
  if (!HEX40.test(m.infoHashHex)) throw new RangeError(`bad info hash ${m.infoHashHex}`);
  let s = `magnet:?xt=urn:btih:${m.infoHashHex.toLowerCase()}`;
  if (m.name) s += `&dn=${encodeURIComponent(m.name)}`;
  for (const t of m.trackers ?? []) s += `&tr=${encodeURIComponent(t)}`;
  for (const w of m.webSeeds ?? []) s += `&ws=${encodeURIComponent(w)}`;
  for (const p of m.peers ?? []) {
    const host = p.host.includes(':') ? `[${p.host}]` : p.host;
    s += `&x.pe=${encodeURIComponent(`${host}:${p.port}`)}`;
  }
  return s;
}

export type Target = { kind: 'torrent'; path: string } | { kind: 'magnet'; magnet: Magnet };

/** What a command-line argument names: a .torrent file, or a magnet link / bare info hash. */
export function parseTarget(arg: string): Target {
  const s = arg.trim();
  if (s === '') throw new UsageError('EMPTY_ARGUMENT', 'expected a .torrent file, a magnet link or an info hash, got an empty argument');
  if (/^magnet:/i.test(s) || isBareInfoHash(s)) return { kind: 'magnet', magnet: parseMagnet(s) };
  return { kind: 'torrent', path: arg };
}

function infoHashFrom(s: string): Buffer | undefined {
  if (HEX40.test(s)) return Buffer.from(s, 'hex');
  if (BASE32_32.test(s)) return base32Decode(s);
  return undefined;
}

function fromHash(h: Buffer): Magnet {
  return { infoHash: h, infoHashHex: h.toString('hex'), trackers: [], webSeeds: [], peers: [] };
}

function unescape(s: string, plusIsSpace: boolean): string {
  const t = plusIsSpace ? s.replace(/\+/g, ' ') : s;
  try {
    return decodeURIComponent(t);
  } catch {
    throw new MetainfoError('BAD_MAGNET', `the magnet link has a bad %-escape in ${shown(s, 40)}`);
  }
}

function addUrl(list: string[], url: string): void {
  const u = url.trim();
  if (/^[a-z][a-z0-9+.-]*:\/\/\S+$/i.test(u) && !list.includes(u)) list.push(u);
}

function parsePeer(s: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-f:.]+)\]|([^\s:[\]/]+)):(\d{1,5})$/i.exec(s);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 1 || port > 65535) return undefined;
  return { host: (m[1] ?? m[2])!, port };
}
