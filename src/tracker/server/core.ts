import type { ScrapeStats, ServerAnnounce } from '../protocol/types.js';
import { ConnectionIds } from './connid.js';
import { SwarmStore, type AnnounceFrom, type StoreAnswer, type StoreLimits } from './store.js';

export interface CoreOptions {
  /** Seconds between a client's announces. */
  interval: number;
  /** When set, only these info hashes (lower-case hex) are tracked. */
  allow?: Set<string> | undefined;
  limits?: Partial<StoreLimits>;
  log?: ((event: object) => void) | undefined;
  now?: () => number;
  random?: () => number;
}

export interface TrackerStats {
  torrents: number;
  peers: number;
  seeders: number;
  leechers: number;
  announces: number;
  scrapes: number;
  badRequests: number;
  /** Over the last 10 seconds. */
  announcesPerSecond: number;
  uptimeSeconds: number;
}

const WINDOW_S = 10;

/** Announces per second over a sliding window of whole seconds. */
class RateWindow {
  private readonly counts = new Array<number>(WINDOW_S).fill(0);
  private second = 0;

  add(now: number): void {
    this.roll(now);
    this.counts[this.second % WINDOW_S]!++;
  }

  perSecond(now: number, since: number): number {
    this.roll(now);
    // the current second is partial: count the last WINDOW_S - 1 full ones plus it
    const total = this.counts.reduce((a, b) => a + b, 0);
    const span = Math.min(WINDOW_S, Math.max(1, (now - since) / 1000));
    return Math.round((total / span) * 10) / 10;
  }

  private roll(now: number): void {
    const s = Math.floor(now / 1000);
    if (s <= this.second) return;
    for (let x = this.second + 1; x <= Math.min(s, this.second + WINDOW_S); x++) this.counts[x % WINDOW_S] = 0;
    this.second = s;
  }
}

/** Both frontends parse into one request type and ask this core, which asks the store. */
export class TrackerCore {
  readonly store: SwarmStore;
  readonly ids = new ConnectionIds();
  readonly interval: number;
  readonly minInterval: number;
  allow: Set<string> | undefined;
  private readonly log: ((event: object) => void) | undefined;
  readonly now: () => number;
  private readonly started: number;
  private readonly rate = new RateWindow();
  private counts = { announces: 0, scrapes: 0, badRequests: 0 };

  constructor(o: CoreOptions) {
    this.interval = Math.max(1, Math.floor(o.interval));
    this.minInterval = Math.max(1, Math.floor(this.interval / 2));
    this.allow = o.allow;
    this.log = o.log;
    this.now = o.now ?? Date.now;
    this.started = this.now();
    // peers that miss two announces in a row are gone
    this.store = new SwarmStore(2 * this.interval * 1000 + 30_000, o.limits, o.random);
  }

  allowed(infoHash: Buffer): boolean {
    return this.allow === undefined || this.allow.has(infoHash.toString('hex'));
  }

  announce(a: ServerAnnounce, from: AnnounceFrom, via: 'http' | 'udp', records = false): StoreAnswer {
    const now = this.now();
    if (!this.allowed(a.infoHash)) {
      this.emit({ event: 'refused', via, infoHash: a.infoHash.toString('hex'), peer: `${from.host}:${a.port}`, reason: 'not allowed' });
      return { ok: false, reason: 'info hash not allowed on this tracker' };
    }
    this.counts.announces++;
    this.rate.add(now);
    const ans = this.store.announce(a, from, now, { records });
    if (this.log) {
      this.emit({
        event: 'announce',
        via,
        infoHash: a.infoHash.toString('hex'),
        peer: from.family === 6 ? `[${from.host}]:${a.port}` : `${from.host}:${a.port}`,
        peerId: a.peerId.toString('hex'),
        kind: a.event,
        left: a.left,
        ...(ans.ok ? { returned: ans.count, seeders: ans.complete, leechers: ans.incomplete } : { error: ans.reason }),
      });
    }
    return ans;
  }

  /** One entry per hash; hashes not allowed read as empty (UDP needs an entry for each). */
  scrape(hashes: Buffer[], via: 'http' | 'udp'): ScrapeStats[] {
    this.counts.scrapes++;
    if (this.log) this.emit({ event: 'scrape', via, count: hashes.length });
    return hashes.map((h) => (this.allowed(h) ? this.store.scrape(h) : { complete: 0, incomplete: 0, downloaded: 0 }));
  }

  bad(via: 'http' | 'udp', from: string, reason: string): void {
    this.counts.badRequests++;
    if (this.log) this.emit({ event: 'bad-request', via, from, reason });
  }

  stats(): TrackerStats {
    const now = this.now();
    return {
      ...this.store.stats(),
      ...this.counts,
      announcesPerSecond: this.rate.perSecond(now, this.started),
      uptimeSeconds: Math.floor((now - this.started) / 1000),
    };
  }

  emit(event: object): void {
    if (!this.log) return;
    try {
      this.log({ time: new Date(this.now()).toISOString(), ...event });
    } catch {
      // a failing logger must not take the tracker down
    }
  }
}
