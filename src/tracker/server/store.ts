import { ipToBytes } from '../protocol/ip.js';
import type { ScrapeStats, ServerAnnounce } from '../protocol/types.js';
import { PeerBlock } from './peer-block.js';

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
  seeder: boolean;
  expires: number;
}

interface Slot extends StoredPeer {
  key: string;
  block: PeerBlock;
  index: number;
}

interface Swarm {
  byKey: Map<string, Slot>;
  seeds4: PeerBlock<Slot>;
  leech4: PeerBlock<Slot>;
  seeds6: PeerBlock<Slot>;
  leech6: PeerBlock<Slot>;
  downloaded: number;
  lastSweep: number;
}

export interface StoreAnswerOk {
  ok: true;
  complete: number;
  incomplete: number;
  downloaded: number;
  /** How many peers the answer holds. */
  count: number;
  /** Compact IPv4 (6 bytes each) and IPv6 (18 bytes each) peers, in slices of the store: encode them before the next call. */
  compact4: Buffer[];
  compact6: Buffer[];
  /** The same peers as records, when asked for (dictionary answers). */
  peers?: StoredPeer[];
}

export type StoreAnswer = StoreAnswerOk | { ok: false; reason: string };

export interface AnnounceFrom {
  host: string;
  family: 4 | 6;
  /** The address as 4 or 16 bytes, when the caller has it already. */
  ip?: Buffer;
  /** Only peers of this family are returned (UDP answers carry one address size). */
  onlyFamily?: 4 | 6;
}

function size(s: Swarm): { seeders: number; leechers: number } {
  return { seeders: s.seeds4.count + s.seeds6.count, leechers: s.leech4.count + s.leech6.count };
}

/**
 * The tracker's memory: swarms keyed by info hash, peers keyed by their address (so nobody
 * can overwrite another peer's entry without owning its IP), expiring after `peerTtlMs`.
 * Every collection is capped. Time is passed in, so the store is pure and testable.
 */
export class SwarmStore {
  private readonly swarms = new Map<string, Swarm>();
  private readonly limits: StoreLimits;
  /** A swarm drops its expired peers when it is announced to, at most this often. */
  private readonly sweepEveryMs: number;
  private peerCount = 0;
  private seederCount = 0;

  constructor(
    private readonly peerTtlMs: number,
    limits: Partial<StoreLimits> = {},
    private readonly random: () => number = Math.random,
  ) {
    this.limits = { ...STORE_LIMITS, ...limits };
    this.sweepEveryMs = Math.min(10_000, peerTtlMs / 4);
  }

  announce(a: ServerAnnounce, from: AnnounceFrom, now: number, opts: { records?: boolean } = {}): StoreAnswer {
    const hkey = a.infoHash.toString('latin1');
    let swarm = this.swarms.get(hkey);
    // keyed by address text: no buffer work for a peer the store already knows
    const key = `${from.host}|${a.port}`;
    if (a.event === 'stopped') {
      const gone = swarm?.byKey.get(key);
      if (gone) this.remove(swarm!, gone);
      const ans = this.answer(swarm);
      // no peers for a leaving peer, but the answer keeps its shape
      if (opts.records === true) ans.peers = [];
      return ans;
    }
    if (!swarm) {
      if (this.swarms.size >= this.limits.maxTorrents) return { ok: false, reason: 'tracker is full: too many torrents' };
      swarm = { byKey: new Map(), seeds4: new PeerBlock(4), leech4: new PeerBlock(4), seeds6: new PeerBlock(6), leech6: new PeerBlock(6), downloaded: 0, lastSweep: now };
      this.swarms.set(hkey, swarm);
    } else if (now - swarm.lastSweep >= this.sweepEveryMs) {
      this.sweepSwarm(swarm, now);
    }
    const seeder = a.left === 0;
    let self = swarm.byKey.get(key);
    if (self) {
      if (a.event === 'completed' && !self.seeder && seeder) swarm.downloaded++;
      if (self.seeder !== seeder) {
        const compact = self.block.compactOf(self);
        self.block.remove(self);
        self.seeder = seeder;
        this.seederCount += seeder ? 1 : -1;
        this.blockFor(swarm, self.family, seeder).add(self, compact);
      }
      if (!sameBytes(self.peerId, a.peerId)) self.peerId = Buffer.from(a.peerId);
      self.expires = now + this.peerTtlMs;
    } else {
      if (a.event === 'completed') swarm.downloaded++;
      const ip = from.ip ?? ipToBytes(from.host);
      if (!ip) return { ok: false, reason: 'cannot tell your address' };
      // when full the peer still gets an answer, it just is not handed out to others
      if (swarm.byKey.size < this.limits.maxPeersPerTorrent && this.peerCount < this.limits.maxPeers) {
        const family = ip.length === 4 ? 4 : 6;
        const compact = Buffer.allocUnsafe(ip.length + 2);
        ip.copy(compact, 0);
        compact.writeUInt16BE(a.port, ip.length);
        const slot = { key, host: from.host, family, port: a.port, peerId: Buffer.from(a.peerId), seeder, expires: now + this.peerTtlMs } as Slot;
        this.blockFor(swarm, family, seeder).add(slot, compact);
        swarm.byKey.set(key, slot);
        self = slot;
        this.peerCount++;
        if (seeder) this.seederCount++;
      }
    }
    const want = Math.min(a.numwant ?? this.limits.defaultNumwant, this.limits.maxNumwant);
    const ans = this.answer(swarm);
    this.pick(swarm, ans, self, seeder, want, from.onlyFamily, opts.records === true);
    return ans;
  }

  private blockFor(swarm: Swarm, family: 4 | 6, seeder: boolean): PeerBlock<Slot> {
    return family === 4 ? (seeder ? swarm.seeds4 : swarm.leech4) : seeder ? swarm.seeds6 : swarm.leech6;
  }

  /**
   * Up to `want` peers, never the asker, no seeders for a seeder: a run of entries from a
   * random point in the candidate blocks taken one after another, wrapping around.
   */
  private pick(swarm: Swarm, ans: StoreAnswerOk, self: Slot | undefined, seeder: boolean, want: number, family: 4 | 6 | undefined, records: boolean): void {
    const sources: PeerBlock<Slot>[] = [];
    for (const f of family === undefined ? ([4, 6] as const) : [family]) {
      if (!seeder) sources.push(this.blockFor(swarm, f, true));
      sources.push(this.blockFor(swarm, f, false));
    }
    let total = 0;
    for (const b of sources) total += b.count;
    const selfIn = self !== undefined && sources.includes(self.block as PeerBlock<Slot>);
    const n = Math.min(want, total - (selfIn ? 1 : 0));
    if (records) ans.peers = [];
    if (n <= 0) return;
    const emit = (b: PeerBlock<Slot>, from: number, to: number) => {
      if (from >= to) return;
      (b.family === 4 ? ans.compact4 : ans.compact6).push(b.slice(from, to));
      if (ans.peers) for (let i = from; i < to; i++) ans.peers.push(b.slots[i]!);
      ans.count += to - from;
    };
    let pos = Math.floor(this.random() * total);
    while (ans.count < n) {
      let bi = 0;
      let off = pos;
      while (off >= sources[bi]!.count) off -= sources[bi++]!.count;
      const b = sources[bi]!;
      const end = Math.min(b.count, off + (n - ans.count));
      if (selfIn && self!.block === b && self!.index >= off && self!.index < end) {
        emit(b, off, self!.index);
        pos = (pos + (self!.index - off) + 1) % total;
        continue;
      }
      emit(b, off, end);
      pos = (pos + (end - off)) % total;
    }
  }

  private answer(swarm: Swarm | undefined): StoreAnswerOk {
    const s = swarm ? size(swarm) : { seeders: 0, leechers: 0 };
    return { ok: true, complete: s.seeders, incomplete: s.leechers, downloaded: swarm?.downloaded ?? 0, count: 0, compact4: [], compact6: [] };
  }

  scrape(infoHash: Buffer): ScrapeStats {
    const swarm = this.swarms.get(infoHash.toString('latin1'));
    if (!swarm) return { complete: 0, incomplete: 0, downloaded: 0 };
    const s = size(swarm);
    return { complete: s.seeders, incomplete: s.leechers, downloaded: swarm.downloaded };
  }

  /** Drops expired peers and empty swarms; returns how many peers went. */
  sweep(now: number): number {
    let removed = 0;
    for (const [hkey, swarm] of this.swarms) {
      removed += this.sweepSwarm(swarm, now);
      if (swarm.byKey.size === 0) this.swarms.delete(hkey);
    }
    return removed;
  }

  private sweepSwarm(swarm: Swarm, now: number): number {
    swarm.lastSweep = now;
    let removed = 0;
    for (const b of [swarm.seeds4, swarm.leech4, swarm.seeds6, swarm.leech6]) {
      // from the end: a removal moves the last entry, which was already looked at, into the hole
      for (let i = b.count - 1; i >= 0; i--) {
        const p = b.slots[i];
        if (p && p.expires <= now) {
          this.remove(swarm, p);
          removed++;
        }
      }
    }
    return removed;
  }

  stats(): { torrents: number; peers: number; seeders: number; leechers: number } {
    return { torrents: this.swarms.size, peers: this.peerCount, seeders: this.seederCount, leechers: this.peerCount - this.seederCount };
  }

  private remove(swarm: Swarm, p: Slot): void {
    swarm.byKey.delete(p.key);
    (p.block as PeerBlock<Slot>).remove(p);
    this.peerCount--;
    if (p.seeder) this.seederCount--;
  }
}

/** 20 bytes compared in JS: cheaper than a call into C++ for something this small. */
function sameBytes(a: Buffer, b: Buffer): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
