import type { Metainfo } from '../metainfo/metainfo.js';
import { Announcer } from '../tracker/client/announcer.js';
import type { UdpTrackerClient } from '../tracker/client/udp.js';
import { logger } from '../util/log.js';
import type { PeerAddress } from './peer-book.js';

const log = logger('trackers');

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
