import { TrackerError } from '../../util/errors.js';
import { bytesToIp, ipToBytes } from './ip.js';

export interface PeerAddress {
  host: string;
  port: number;
}

/** Compact peer lists (BEP 23 for IPv4, 6 bytes each; BEP 7 for IPv6, 18 bytes each). */
export function decodeCompactPeers(buf: Buffer, family: 4 | 6, max = Infinity): PeerAddress[] {
  const size = family === 4 ? 6 : 18;
  if (buf.length % size !== 0) {
    throw new TrackerError('MALFORMED', `compact IPv${family} peer list of ${buf.length} bytes is not a multiple of ${size}`);
  }
  const out: PeerAddress[] = [];
  for (let at = 0; at < buf.length && out.length < max; at += size) {
    const port = buf.readUInt16BE(at + size - 2);
    if (port === 0) continue; // nobody listens on port 0
    out.push({ host: bytesToIp(buf.subarray(at, at + size - 2)), port });
  }
  return out;
}

/** One peer in compact form (6 or 18 bytes), or undefined when host is not an IP literal. */
export function encodeCompactPeer(host: string, port: number): Buffer | undefined {
  const ip = ipToBytes(host);
  if (!ip) return undefined;
  const out = Buffer.allocUnsafe(ip.length + 2);
  ip.copy(out, 0);
  out.writeUInt16BE(port, ip.length);
  return out;
}
