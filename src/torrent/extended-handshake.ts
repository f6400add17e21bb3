import { VERSION } from '../version.js';
import { decodeExtendedHandshake, encodeExtendedHandshake } from '../wire/extension.js';
import type { TorrentLimits } from './defaults.js';
import type { PeerConnection } from './peer-connection.js';

/**
 * The request queue we announce (reqq). libtorrent keeps this many requests in flight to
 * us. 2000, as libtorrent's own seeders announce, was 3% faster for one libtorrent leecher
 * of 16 KiB pieces but 7% slower with four of our seeders (its CPU up 10-15%): 500 it is.
 */
const ANNOUNCED_QUEUE = 500;

/**
 * Ours (BEP 10): no extension messages yet; reqq tells peers how many requests we queue,
 * v who we are, p where we listen (0: unknown, left out).
 */
export function ourExtendedHandshake(limits: TorrentLimits, listenPort: number): Buffer {
  return encodeExtendedHandshake({
    m: {},
    v: `swarm ${VERSION}`,
    // requests that crossed our blocks on the wire may go a little over what a peer was told
    reqq: Math.min(ANNOUNCED_QUEUE, Math.floor(limits.maxQueuedRequests * 0.8)),
    ...(listenPort > 0 ? { p: listenPort } : {}),
  });
}

/**
 * A peer's extended handshake: what it says goes on its PeerConnection (its reqq caps our
 * pipeline to it). Throws WireError 'BAD_EXTENDED_HANDSHAKE' and changes nothing when broken.
 */
export function takeExtendedHandshake(peer: PeerConnection, payload: Buffer): void {
  const h = decodeExtendedHandshake(payload);
  peer.reqq = h.reqq;
  peer.client = h.v;
}
