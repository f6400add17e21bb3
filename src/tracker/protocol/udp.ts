import { TrackerError } from '../../util/errors.js';
import { decodeCompactPeers, type PeerAddress } from './compact.js';
import { printable } from './text.js';
import { UDP_EVENT, type AnnounceParams, type ScrapeStats, type ServerAnnounce } from './types.js';

/** BEP 15 packets, both directions. Connection ids stay 8-byte Buffers (no BigInt on the hot path). */
export const ACTION = { connect: 0, announce: 1, scrape: 2, error: 3 } as const;
export const PROTOCOL_ID = Buffer.from([0x00, 0x00, 0x04, 0x17, 0x27, 0x10, 0x19, 0x80]);
/** A scrape packet holds at most this many info hashes (BEP 15: about 74 fit a safe datagram). */
export const MAX_SCRAPE_HASHES = 74;
export const ANNOUNCE_REQUEST_SIZE = 98;

function u64(n: number): bigint {
  return BigInt(Math.max(0, Math.min(Math.floor(n), Number.MAX_SAFE_INTEGER)));
}

// ---- client -> tracker

export function encodeConnectRequest(tid: number): Buffer {
  const b = Buffer.alloc(16);
  PROTOCOL_ID.copy(b, 0);
  b.writeUInt32BE(ACTION.connect, 8);
  b.writeUInt32BE(tid >>> 0, 12);
  return b;
}

export function encodeAnnounceRequest(connectionId: Buffer, tid: number, p: AnnounceParams): Buffer {
  const b = Buffer.alloc(ANNOUNCE_REQUEST_SIZE);
  connectionId.copy(b, 0, 0, 8);
  b.writeUInt32BE(ACTION.announce, 8);
  b.writeUInt32BE(tid >>> 0, 12);
  p.infoHash.copy(b, 16, 0, 20);
  p.peerId.copy(b, 36, 0, 20);
  b.writeBigUInt64BE(u64(p.downloaded), 56);
  b.writeBigUInt64BE(u64(p.left), 64);
  b.writeBigUInt64BE(u64(p.uploaded), 72);
  b.writeUInt32BE(p.event ? UDP_EVENT[p.event] : UDP_EVENT.none, 80);
  b.writeUInt32BE(0, 84); // ip: 0 = the packet's source address
  b.writeUInt32BE((p.key ?? 0) >>> 0, 88);
  b.writeInt32BE(p.numwant ?? -1, 92);
  b.writeUInt16BE(p.port, 96);
  return b;
}

export function encodeScrapeRequest(connectionId: Buffer, tid: number, infoHashes: Buffer[]): Buffer {
  if (infoHashes.length === 0 || infoHashes.length > MAX_SCRAPE_HASHES) {
    throw new RangeError(`a UDP scrape carries 1 to ${MAX_SCRAPE_HASHES} info hashes`);
  }
  const b = Buffer.alloc(16 + 20 * infoHashes.length);
  connectionId.copy(b, 0, 0, 8);
  b.writeUInt32BE(ACTION.scrape, 8);
  b.writeUInt32BE(tid >>> 0, 12);
  infoHashes.forEach((h, i) => h.copy(b, 16 + 20 * i, 0, 20));
  return b;
}

// ---- tracker -> client

export type UdpResponse =
  | { action: 'connect'; tid: number; connectionId: Buffer }
  | { action: 'announce'; tid: number; interval: number; leechers: number; seeders: number; peers: PeerAddress[] }
  | { action: 'scrape'; tid: number; stats: ScrapeStats[] }
  | { action: 'error'; tid: number; message: string };

/** Only the transaction id, to match an answer to its request before decoding the rest. */
export function peekTransaction(buf: Buffer): number | undefined {
  return buf.length >= 8 ? buf.readUInt32BE(4) : undefined;
}

/** Decodes a tracker's answer. `family` is that of the socket, which decides the peer size (BEP 15 IPv6). */
export function decodeUdpResponse(buf: Buffer, family: 4 | 6, maxPeers = 5000): UdpResponse {
  if (buf.length < 8) throw new TrackerError('MALFORMED', `UDP tracker answer of ${buf.length} bytes is too short`);
  const action = buf.readUInt32BE(0);
  const tid = buf.readUInt32BE(4);
  switch (action) {
    case ACTION.connect:
      if (buf.length < 16) throw new TrackerError('MALFORMED', 'UDP connect answer is shorter than 16 bytes');
      return { action: 'connect', tid, connectionId: Buffer.from(buf.subarray(8, 16)) };
    case ACTION.announce: {
      if (buf.length < 20) throw new TrackerError('MALFORMED', 'UDP announce answer is shorter than 20 bytes');
      return {
        action: 'announce',
        tid,
        interval: buf.readUInt32BE(8),
        leechers: buf.readUInt32BE(12),
        seeders: buf.readUInt32BE(16),
        peers: decodeCompactPeers(buf.subarray(20), family, maxPeers),
      };
    }
    case ACTION.scrape: {
      if ((buf.length - 8) % 12 !== 0) throw new TrackerError('MALFORMED', `UDP scrape answer of ${buf.length} bytes has a partial entry`);
      const stats: ScrapeStats[] = [];
      for (let at = 8; at < buf.length; at += 12) {
        stats.push({ complete: buf.readUInt32BE(at), downloaded: buf.readUInt32BE(at + 4), incomplete: buf.readUInt32BE(at + 8) });
      }
      return { action: 'scrape', tid, stats };
    }
    case ACTION.error:
      return { action: 'error', tid, message: printable(buf.subarray(8)) };
    default:
      throw new TrackerError('MALFORMED', `UDP tracker answer has unknown action ${action}`);
  }
}

// ---- tracker side: requests in, answers out

export type UdpRequest =
  | { action: 'connect'; tid: number }
  | { action: 'announce'; tid: number; connectionId: Buffer; announce: ServerAnnounce }
  | { action: 'scrape'; tid: number; connectionId: Buffer; infoHashes: Buffer[] };

const EVENTS = ['none', 'completed', 'started', 'stopped'] as const;

function readU64(buf: Buffer, at: number): number {
  const hi = buf.readUInt32BE(at);
  const lo = buf.readUInt32BE(at + 4);
  return hi >= 0x200000 ? Number.MAX_SAFE_INTEGER : hi * 0x100000000 + lo;
}

/** Decodes a client's packet. Anything that is not a well-formed BEP 15 request throws a TrackerError. */
export function decodeUdpRequest(buf: Buffer): UdpRequest {
  if (buf.length < 16) throw new TrackerError('MALFORMED', `UDP packet of ${buf.length} bytes is too short`);
  const action = buf.readUInt32BE(8);
  const tid = buf.readUInt32BE(12);
  if (action === ACTION.connect) {
    if (!buf.subarray(0, 8).equals(PROTOCOL_ID)) throw new TrackerError('MALFORMED', 'UDP connect without the protocol id');
    return { action: 'connect', tid };
  }
  const connectionId = buf.subarray(0, 8);
  if (action === ACTION.announce) {
    if (buf.length < ANNOUNCE_REQUEST_SIZE) throw new TrackerError('MALFORMED', `UDP announce of ${buf.length} bytes is too short`);
    const ev = buf.readUInt32BE(80);
    const numwant = buf.readInt32BE(92);
    const port = buf.readUInt16BE(96);
    return {
      action: 'announce',
      tid,
      connectionId,
      announce: {
        infoHash: buf.subarray(16, 36),
        peerId: buf.subarray(36, 56),
        downloaded: readU64(buf, 56),
        left: readU64(buf, 64),
        uploaded: readU64(buf, 72),
        event: EVENTS[ev] ?? 'none',
        numwant: numwant < 0 ? undefined : numwant,
        port,
        compact: true,
        noPeerId: true,
      },
    };
  }
  if (action === ACTION.scrape) {
    const n = Math.floor((buf.length - 16) / 20);
    if (n < 1) throw new TrackerError('MALFORMED', 'UDP scrape without an info hash');
    const infoHashes: Buffer[] = [];
    for (let i = 0; i < Math.min(n, MAX_SCRAPE_HASHES); i++) infoHashes.push(buf.subarray(16 + 20 * i, 36 + 20 * i));
    return { action: 'scrape', tid, connectionId, infoHashes };
  }
  throw new TrackerError('MALFORMED', `UDP packet has unknown action ${action}`);
}

export function encodeConnectResponse(tid: number, connectionId: Buffer): Buffer {
  const b = Buffer.allocUnsafe(16);
  b.writeUInt32BE(ACTION.connect, 0);
  b.writeUInt32BE(tid >>> 0, 4);
  connectionId.copy(b, 8, 0, 8);
  return b;
}

/**
 * `peers` are compact addresses (6 or 18 bytes each, matching the asker's address family),
 * copied straight into the one buffer of the answer.
 */
export function encodeAnnounceResponse(tid: number, interval: number, leechers: number, seeders: number, peers: Buffer | Buffer[]): Buffer {
  const list = Buffer.isBuffer(peers) ? [peers] : peers;
  let size = 20;
  for (const p of list) size += p.length;
  const b = Buffer.allocUnsafe(size);
  b.writeUInt32BE(ACTION.announce, 0);
  b.writeUInt32BE(tid >>> 0, 4);
  b.writeUInt32BE(interval >>> 0, 8);
  b.writeUInt32BE(Math.min(leechers, 0xffffffff), 12);
  b.writeUInt32BE(Math.min(seeders, 0xffffffff), 16);
  let at = 20;
  // a byte loop: for 6- and 18-byte pieces it beats Buffer.copy's per-call cost
  for (const p of list) for (let i = 0; i < p.length; i++) b[at++] = p[i]!;
  return b;
}

export function encodeScrapeResponse(tid: number, stats: ScrapeStats[]): Buffer {
  const b = Buffer.allocUnsafe(8 + 12 * stats.length);
  b.writeUInt32BE(ACTION.scrape, 0);
  b.writeUInt32BE(tid >>> 0, 4);
  stats.forEach((s, i) => {
    b.writeUInt32BE(Math.min(s.complete, 0xffffffff), 8 + 12 * i);
    b.writeUInt32BE(Math.min(s.downloaded, 0xffffffff), 12 + 12 * i);
    b.writeUInt32BE(Math.min(s.incomplete, 0xffffffff), 16 + 12 * i);
  });
  return b;
}

export function encodeErrorResponse(tid: number, message: string): Buffer {
  const msg = Buffer.from(message, 'utf8');
  const b = Buffer.allocUnsafe(8 + msg.length);
  b.writeUInt32BE(ACTION.error, 0);
  b.writeUInt32BE(tid >>> 0, 4);
  msg.copy(b, 8);
  return b;
}
