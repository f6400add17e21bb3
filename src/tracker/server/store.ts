import { ipToBytes } from '../protocol/ip.js';
import type { ScrapeStats, ServerAnnounce } from '../protocol/types.js';

export interface StoreLimits {
  maxTorrents: number;
  maxPeersPerTorrent: number;
  /** Across all torrents. */
  maxPeers: number;
  defaultNumwant: number;
  maxNumwant: number;
}

export const STORE_LIMITS: StoreLimits = {
  maxTorrents: 100_000,
  maxPeersPerTorrent: 50_000,
  maxPeers: 500_000,
  defaultNumwant: 50,
  maxNumwant: 200,
};

export interface StoredPeer {
  host: string;
  family: 4 | 6;
  port: number;
  peerId: Buffer;
  /** 6 or 18 bytes, ready for compact answers. */
  compact: Buffer;
  seeder: boolean;
  expires: number;
}

interface Slot extends StoredPeer {
  key: string;
  index: number;
}

interface Swarm {
  byKey: Map<string, Slot>;
  list: Slot[];
  seeders: number;
  downloaded: number;
}

export type StoreAnswer =
  | { ok: true; complete: number; incomplete: number; downloaded: number; peers: StoredPeer[] }
  | { ok: false; reason: string };

export interface AnnounceFrom {
  host: string;
  family: 4 | 6;
  /** The address as 4 or 16 bytes, when the caller has it already. */
  ip?: Buffer;
  /** Only peers of this family are returned (UDP answers carry one address size). */
  onlyFamily?: 4 | 6;
}

/**
 * The tracker's memory: swarms keyed by info hash, peers keyed by their address (so nobody
 * can overwrite another peer's entry without owning its IP), expiring after `peerTtlMs`.
 * Every collection is capped. Time is passed in, so the store is pure and testable.
 */
export class SwarmStore {
  private readonly swarms = new Map<string, Swarm>();
  private readonly limits: StoreLimits;
  private peerCount = 0;
  private seederCount = 0;

  constructor(
    private readonly peerTtlMs: number,
    limits: Partial<StoreLimits> = {},
    private readonly random: () => number = Math.random,
  ) {
    this.limits = { ...STORE_LIMITS, ...limits };
  }

  announce(a: ServerAnnounce, from: AnnounceFrom, now: number): StoreAnswer {
    const hkey = a.infoHash.toString('latin1');
    let swarm = this.swarms.get(hkey);
    // keyed by address text: no buffer work for a peer the store already knows
    const key = `${from.host}|${a.port}`;
    if (a.event === 'stopped') {
      if (swarm) this.remove(swarm, key);
      return this.answer(swarm, []);
    }
    if (!swarm) {
      if (this.swarms.size >= this.limits.maxTorrents) return { ok: false, reason: 'tracker is full: too many torrents' };
      swarm = { byKey: new Map(), list: [], seeders: 0, downloaded: 0 };
      this.swarms.set(hkey, swarm);
    }
    const seeder = a.left === 0;
    let self = swarm.byKey.get(key);
    if (self) {
      if (a.event === 'completed' && !self.seeder && seeder) swarm.downloaded++;
      if (self.seeder !== seeder) this.countSeeder(swarm, seeder ? 1 : -1);
      self.seeder = seeder;
      if (!sameBytes(self.peerId, a.peerId)) self.peerId = Buffer.from(a.peerId);
      self.expires = now + this.peerTtlMs;
    } else {
      if (a.event === 'completed') swarm.downloaded++;
      const ip = from.ip ?? ipToBytes(from.host);
      if (!ip) return { ok: false, reason: 'cannot tell your address' };
      // when full the peer still gets an answer, it just is not handed out to others
      if (swarm.list.length < this.limits.maxPeersPerTorrent && this.peerCount < this.limits.maxPeers) {
        const compact = Buffer.allocUnsafe(ip.length + 2);
        ip.copy(compact, 0);
        compact.writeUInt16BE(a.port, ip.length);
        self = { key, index: swarm.list.length, host: from.host, family: from.family, port: a.port, peerId: Buffer.from(a.peerId), compact, seeder, expires: now + this.peerTtlMs };
        swarm.byKey.set(key, self);
        swarm.list.push(self);
        this.peerCount++;
        if (seeder) this.countSeeder(swarm, 1);
      }
    }
    const want = Math.min(a.numwant ?? this.limits.defaultNumwant, this.limits.maxNumwant);
    return this.answer(swarm, this.pick(swarm, key, seeder, want, now, from.onlyFamily));
  }

  /** Up to `want` live peers from a random starting point: never the asker, no seeders for a seeder. */
  private pick(swarm: Swarm, selfKey: string, seeder: boolean, want: number, now: number, family?: 4 | 6): StoredPeer[] {
    const out: StoredPeer[] = [];
    const list = swarm.list;
    const n = list.length;
    if (want <= 0 || n === 0) return out;
    const start = Math.floor(this.random() * n);
    // two straight runs (start..n, then 0..start) instead of a modulo per step
    for (let pass = 0; pass < 2; pass++) {
      const from = pass === 0 ? start : 0;
      const to = pass === 0 ? n : start;
      for (let i = from; i < to && out.length < want; i++) {
        const p = list[i]!;
        if (p.expires <= now || (seeder && p.seeder) || p.key === selfKey || (family !== undefined && p.family !== family)) continue;
        out.push(p);
      }
    }
    return out;
  }

  private answer(swarm: Swarm | undefined, peers: StoredPeer[]): StoreAnswer {
    if (!swarm) return { ok: true, complete: 0, incomplete: 0, downloaded: 0, peers };
    return { ok: true, complete: swarm.seeders, incomplete: swarm.list.length - swarm.seeders, downloaded: swarm.downloaded, peers };
  }

  scrape(infoHash: Buffer): ScrapeStats {
    const swarm = this.swarms.get(infoHash.toString('latin1'));
    if (!swarm) return { complete: 0, incomplete: 0, downloaded: 0 };
    return { complete: swarm.seeders, incomplete: swarm.list.length - swarm.seeders, downloaded: swarm.downloaded };
  }

  /** Drops expired peers and empty swarms; returns how many peers went. */
  sweep(now: number): number {
    let removed = 0;
    for (const [hkey, swarm] of this.swarms) {
      for (let i = swarm.list.length - 1; i >= 0; i--) {
        const p = swarm.list[i];
        if (p && p.expires <= now) {
          this.remove(swarm, p.key);
          removed++;
        }
      }
      if (swarm.list.length === 0) this.swarms.delete(hkey);
    }
    return removed;
  }

  stats(): { torrents: number; peers: number; seeders: number; leechers: number } {
    return { torrents: this.swarms.size, peers: this.peerCount, seeders: this.seederCount, leechers: this.peerCount - this.seederCount };
  }

  private countSeeder(swarm: Swarm, d: number): void {
    swarm.seeders += d;
    this.seederCount += d;
  }

  private remove(swarm: Swarm, key: string): void {
    const p = swarm.byKey.get(key);
    if (!p) return;
    swarm.byKey.delete(key);
    const last = swarm.list.pop()!;
    if (last !== p) {
      swarm.list[p.index] = last;
      last.index = p.index;
    }
    this.peerCount--;
    if (p.seeder) this.countSeeder(swarm, -1);
  }
}

/** 20 bytes compared in JS: cheaper than a call into C++ for something this small. */
function sameBytes(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
