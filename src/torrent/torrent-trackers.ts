import type { Metainfo } from '../metainfo/metainfo.js';
import { Announcer } from '../tracker/client/announcer.js';
import type { UdpTrackerClient } from '../tracker/client/udp.js';
import { logger } from '../util/log.js';
import type { PeerAddress } from './peer-book.js';

const log = logger('trackers');

/**
 * How long one tracker may take to answer before the next one is tried. The Announcer's
 * own default (60 s) let a dead UDP tracker (no ICMP reaches an unconnected socket) or a
 * server that accepts and never answers hold up the other tiers for a minute, with
 * nothing on the progress line. 15 s is BEP 15's first retransmission: one UDP try per
 * round, and the round is retried after the usual backoff.
 */
export const ANNOUNCE_TIMEOUT_MS = 15_000;

export interface TorrentTrackersOptions {
  metainfo: Metainfo;
  peerId: Buffer;
  port: number;
  enabled: boolean;
  udp?: UdpTrackerClient;
  stats: () => { uploaded: number; downloaded: number; left: number };
  onPeers: (addrs: PeerAddress[]) => void;
}

/** A torrent's announcing: one Announcer over the torrent's tiers, or nothing. */
export class TorrentTrackers {
  private readonly announcer: Announcer | undefined;

  constructor(opts: TorrentTrackersOptions) {
    const tiers = opts.metainfo.announceTiers;
    if (!opts.enabled || tiers.length === 0) return;
    this.announcer = new Announcer({
      infoHash: opts.metainfo.infoHash,
      peerId: opts.peerId,
      port: opts.port,
      tiers,
      stats: opts.stats,
      udp: opts.udp,
      announceTimeoutMs: ANNOUNCE_TIMEOUT_MS,
    });
    this.announcer.on('peers', (peers: PeerAddress[]) => opts.onPeers(peers.map((p) => ({ host: p.host, port: p.port }))));
    this.announcer.on('tracker-error', (e: { url: string; message: string }) => log('%s: %s', e.url, e.message));
    this.announcer.on('warning', (e: { url: string; message: string }) => log('%s warns: %s', e.url, e.message));
  }

  start(): void {
    this.announcer?.start();
  }

  completed(): void {
    this.announcer?.completed();
  }

  /** We are short of peers: ask again as soon as the trackers allow. */
  needPeers(): void {
    this.announcer?.update();
  }

  async stop(timeoutMs: number): Promise<void> {
    await this.announcer?.stop(timeoutMs);
  }

  status(): Array<{ url: string; ok: boolean; lastError?: string }> {
    return this.announcer?.status() ?? [];
  }
}
