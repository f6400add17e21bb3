import { join } from 'node:path';
import type { TestContext } from 'node:test';
import type { Metainfo } from '../../src/metainfo/metainfo.js';
import type { TorrentLimits } from '../../src/torrent/defaults.js';
import type { PeerConnection } from '../../src/torrent/peer-connection.js';
import type { Torrent, TorrentOptions } from '../../src/torrent/torrent.js';
import type { FakeTorrent } from '../helpers/fake-peer.js';
import { tempDir } from '../helpers/tmp.js';
import { bytes, FAST, makeTorrent, sameFile, startPeer, writePayload, type Peer } from './harness.js';

/** FAST, a bit shorter still, so hostile cases resolve in a second or two. */
export const HOSTILE: Partial<TorrentLimits> = { ...FAST, requestTimeoutMs: 1_000, handshakeTimeoutMs: 1_500, maxViolations: 8 };

export interface Swarm {
  data: Buffer;
  m: Metainfo;
  src: string;
  out: string;
  seeder: Peer;
  leecher: Peer;
  /** What a fake peer needs to lie convincingly (or serve honestly). */
  fake: FakeTorrent;
  /** True once the leecher's copy is byte-identical. */
  same(): boolean;
}

export interface SwarmOptions {
  size: number;
  pieceLength: number;
  blockLength?: number;
  limits?: Partial<TorrentLimits>;
  seeder?: Partial<Omit<TorrentOptions, 'metainfo' | 'root' | 'peerId' | 'port' | 'dial'>>;
  leecherLimits?: Partial<TorrentLimits>;
}

/** An honest seeder and a leecher (not yet connected) for one random single-file torrent. */
export async function swarm(t: TestContext, o: SwarmOptions): Promise<Swarm> {
  const data = bytes(o.size);
  const src = writePayload(t, { 'payload.bin': data });
  const m = await makeTorrent(join(src, 'payload.bin'), o.pieceLength, o.blockLength);
  const limits = o.limits ?? HOSTILE;
  const seeder = await startPeer(t, m, src, o.seeder ?? {}, limits);
  const out = tempDir(t);
  const leecher = await startPeer(t, m, out, {}, { ...limits, ...o.leecherLimits });
  return {
    data,
    m,
    src,
    out,
    seeder,
    leecher,
    fake: { infoHash: m.infoHash, layout: m.layout, data },
    same: () => sameFile(join(src, 'payload.bin'), join(out, 'payload.bin')),
  };
}

export interface PeerEvent {
  peer: PeerConnection;
  /** For a closed peer, why. */
  reason: string;
}

/** Records every peer the torrent attaches and every one it closes, with the reason. */
export function watchPeers(torrent: Torrent): { attached: PeerConnection[]; closed: PeerEvent[] } {
  const log = { attached: [] as PeerConnection[], closed: [] as PeerEvent[] };
  torrent.peers.on('peer', (p: PeerConnection) => log.attached.push(p));
  torrent.peers.on('peer-closed', (p: PeerConnection) => log.closed.push({ peer: p, reason: p.closeReason }));
  return log;
}

export function idOf(b: Buffer): string {
  return b.toString('hex');
}
