import { randomBytes } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { TrackerError, errorMessage } from '../../util/errors.js';
import { logger } from '../../util/log.js';
import type { AnnounceEvent, AnnounceParams, AnnounceResponse } from '../protocol/types.js';
import { systemClock, unrefHandle, type Clock } from './clock.js';
import { httpAnnounce } from './http.js';
import { INTERVAL_RULES, announceTimes, failureBackoffMs, type IntervalRules } from './schedule.js';
import { attemptOrder, prepareTiers, promote } from './tiers.js';
import { UdpTrackerClient } from './udp.js';

const log = logger('tracker:announce');

export interface PeerFromTracker {
  host: string;
  port: number;
  source: 'tracker';
  tracker: string;
}

export interface TrackerStatus {
  url: string;
  ok: boolean;
  lastError?: string;
  peers: number;
  nextAnnounceInMs?: number;
}

export interface AnnouncerOptions {
  infoHash: Buffer;
  peerId: Buffer;
  port: number;
  tiers: string[][];
  stats: () => { uploaded: number; downloaded: number; left: number };
  numwant?: number;
  clock?: Clock;
  /** A UDP client shared by all torrents; without one the announcer makes (and closes) its own. */
  udp?: UdpTrackerClient;
  /** One announce to one tracker may take this long before the next tracker is tried. */
  announceTimeoutMs?: number;
  /** Interval clamps (tests lower the floor). */
  intervals?: Partial<IntervalRules>;
  random?: () => number;
  /** Extra trusted CA (PEM) for HTTPS trackers. */
  ca?: string | Buffer;
  /** Replaces the HTTP/UDP transports (tests, custom transports). */
  transport?: (url: string, params: AnnounceParams, signal: AbortSignal) => Promise<AnnounceResponse>;
}

interface Tracker {
  url: string;
  kind: 'http' | 'udp' | 'unsupported';
  /** Answered at least once: knows us, so it gets `stopped` on shutdown. */
  answered: boolean;
  ok: boolean;
  failures: number;
  retryAt: number;
  lastError?: string;
  peers: number;
  trackerId?: Buffer;
}

function kindOf(url: string): Tracker['kind'] {
  try {
    const p = new URL(url).protocol;
    return p === 'http:' || p === 'https:' ? 'http' : p === 'udp:' ? 'udp' : 'unsupported';
  } catch {
    return 'unsupported';
  }
}

/**
 * Announces one torrent to its trackers (BEP 3/12/15): tiers tried in order, the tracker
 * that answers moves to the front of its tier, interval / min interval respected, failed
 * trackers backed off. Tracker trouble is reported as events, never thrown.
 */
export class Announcer extends EventEmitter {
  private readonly o: AnnouncerOptions;
  private readonly clock: Clock;
  private readonly tiers: Tracker[][];
  private readonly udp: UdpTrackerClient;
  private readonly ownUdp: boolean;
  private readonly key = randomBytes(4).readUInt32BE(0);
  private readonly rules: IntervalRules;
  private started = false;
  private stopped = false;
  private busy = false;
  private timer: unknown;
  private nextAt = Infinity;
  /** When busy: the earliest time another round was asked for. */
  private againAt = Infinity;
  private completedState: 'no' | 'pending' | 'sent' = 'no';
  private lastSuccessAt: number | undefined;
  private minIntervalMs = 0;
  private current: Tracker | undefined;
  private readonly inflight = new AbortController();

  constructor(opts: AnnouncerOptions) {
    super();
    this.o = opts;
    this.clock = opts.clock ?? systemClock;
    this.rules = { ...INTERVAL_RULES, ...opts.intervals };
    this.tiers = prepareTiers(opts.tiers, opts.random).map((tier) =>
      tier.map((url) => ({ url, kind: kindOf(url), answered: false, ok: false, failures: 0, retryAt: 0, peers: 0 })),
    );
    for (const t of this.tiers.flat()) if (t.kind === 'unsupported') t.lastError = 'unsupported tracker address';
    this.ownUdp = opts.udp === undefined;
    this.udp = opts.udp ?? new UdpTrackerClient({ clock: this.clock });
  }

  /** Sends `started` and keeps announcing on the trackers' interval. */
  start(): void {
    if (this.started || this.stopped) return;
    this.started = true;
    for (const t of this.tiers.flat()) if (t.kind === 'unsupported') this.emitSafe('tracker-error', { url: t.url, message: t.lastError! });
    this.schedule(this.clock.now());
  }

  /** Tells the trackers the download finished; only the first call counts. */
  completed(): void {
    if (this.completedState !== 'no' || this.stopped) return;
    this.completedState = 'pending';
    if (this.started) this.want(this.clock.now());
  }

  /** Asks for peers soon, but not before the tracker's min interval since the last answer. */
  update(): void {
    if (!this.started || this.stopped) return;
    const now = this.clock.now();
    this.want(this.lastSuccessAt === undefined ? now : Math.max(now, this.lastSuccessAt + this.minIntervalMs));
  }

  /** Sends `stopped` to every tracker that knows us; resolves within `timeoutMs` whatever they do. */
  async stop(timeoutMs = 3000): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    this.clock.clearTimeout(this.timer);
    this.inflight.abort(new TrackerError('ABORTED', 'announcer stopped'));
    const known = this.tiers.flat().filter((t) => t.answered);
    const ac = new AbortController();
    const deadline = this.clock.setTimeout(() => ac.abort(new TrackerError('TIMEOUT', 'stopped announce timed out')), timeoutMs);
    // a download that stops right after finishing must still be counted as completed
    const unsentCompleted = this.completedState === 'pending';
    const once = { numwant: 0, timeoutMs, retries: 0 };
    try {
      await Promise.allSettled(
        known.map(async (t) => {
          if (unsentCompleted) await this.announceTo(t, 'completed', ac.signal, once).catch(() => undefined);
          await this.announceTo(t, 'stopped', ac.signal, once);
        }),
      );
    } finally {
      this.clock.clearTimeout(deadline);
      ac.abort();
      if (this.ownUdp) this.udp.close();
    }
  }

  status(): TrackerStatus[] {
    const now = this.clock.now();
    return this.tiers.flat().map((t) => {
      const s: TrackerStatus = { url: t.url, ok: t.ok, peers: t.peers };
      if (t.lastError !== undefined) s.lastError = t.lastError;
      if (!this.stopped && t.kind !== 'unsupported') {
        if (t === this.current && this.nextAt !== Infinity) s.nextAnnounceInMs = Math.max(0, this.nextAt - now);
        else if (t.retryAt > now) s.nextAnnounceInMs = t.retryAt - now;
      }
      return s;
    });
  }

  private want(at: number): void {
    if (this.busy) this.againAt = Math.min(this.againAt, at);
    else if (at < this.nextAt) this.schedule(at);
  }

  private schedule(at: number): void {
    this.clock.clearTimeout(this.timer);
    this.timer = undefined;
    this.nextAt = at;
    // nothing to announce to (only unsupported addresses): no timer at all, rather than
    // one that Node would clamp from "never" to 1 ms
    if (!Number.isFinite(at)) return;
    this.timer = this.clock.setTimeout(() => void this.round(), Math.min(2 ** 31 - 1, Math.max(0, at - this.clock.now())));
    unrefHandle(this.timer);
  }

  private async round(): Promise<void> {
    if (this.stopped || this.busy) return;
    this.busy = true;
    this.nextAt = Infinity;
    let next: number;
    try {
      next = await this.tryTrackers();
    } catch (err) {
      log('announce round failed: %s', errorMessage(err));
      next = this.clock.now() + 60_000;
    } finally {
      this.busy = false;
    }
    if (this.stopped) return;
    this.schedule(Math.min(next, Math.max(this.againAt, this.clock.now())));
    this.againAt = Infinity;
  }

  /** One BEP 12 round: the first tracker that answers ends it. Returns when to announce next. */
  private async tryTrackers(): Promise<number> {
    for (const { tier, item: t } of attemptOrder(this.tiers)) {
      if (t.kind === 'unsupported' || t.retryAt > this.clock.now()) continue;
      const event: AnnounceEvent | undefined = this.completedState === 'pending' ? 'completed' : t.answered ? undefined : 'started';
      let resp: AnnounceResponse;
      try {
        resp = await this.announceTo(t, event, this.inflight.signal, {});
      } catch (err) {
        if (this.stopped) return Infinity;
        this.failed(t, err);
        continue;
      }
      if (this.stopped) return Infinity;
      const now = this.clock.now();
      t.answered = true;
      t.ok = true;
      t.failures = 0;
      t.retryAt = 0;
      delete t.lastError;
      t.peers = resp.peers.length;
      if (resp.trackerId) t.trackerId = resp.trackerId;
      if (event === 'completed') this.completedState = 'sent';
      promote(tier, tier.indexOf(t));
      this.current = t;
      this.lastSuccessAt = now;
      const { intervalMs, minIntervalMs } = announceTimes(resp, this.rules);
      this.minIntervalMs = minIntervalMs;
      log('%s answered: %d peers, next in %d s', t.url, resp.peers.length, intervalMs / 1000);
      if (resp.warning) this.emitSafe('warning', { url: t.url, message: resp.warning });
      if (resp.peers.length > 0) {
        this.emitSafe('peers', resp.peers.map((p) => ({ host: p.host, port: p.port, source: 'tracker' as const, tracker: t.url })));
      }
      // a `completed` that came in during this round goes out after the min interval
      return this.completedState === 'pending' ? now + minIntervalMs : now + intervalMs;
    }
    const waits = this.tiers.flat().filter((t) => t.kind !== 'unsupported').map((t) => t.retryAt);
    return waits.length === 0 ? Infinity : Math.max(Math.min(...waits), this.clock.now() + 1000);
  }

  private failed(t: Tracker, err: unknown): void {
    const refused = err instanceof TrackerError && err.code === 'FAILURE';
    t.ok = false;
    t.failures++;
    t.retryAt = this.clock.now() + failureBackoffMs(t.failures, refused);
    t.lastError = errorMessage(err);
    log('%s failed (%d in a row): %s', t.url, t.failures, t.lastError);
    this.emitSafe('tracker-error', { url: t.url, message: t.lastError });
  }

  private announceTo(
    t: Tracker,
    event: AnnounceEvent | undefined,
    outer: AbortSignal,
    extra: { numwant?: number; timeoutMs?: number; retries?: number },
  ): Promise<AnnounceResponse> {
    let s: { uploaded: number; downloaded: number; left: number };
    try {
      s = this.o.stats();
    } catch (err) {
      return Promise.reject(new TrackerError('STATS', `cannot read transfer stats: ${errorMessage(err)}`));
    }
    const params: AnnounceParams = {
      infoHash: this.o.infoHash,
      peerId: this.o.peerId,
      port: this.o.port,
      uploaded: s.uploaded,
      downloaded: s.downloaded,
      left: s.left,
      numwant: extra.numwant ?? this.o.numwant ?? 50,
      key: this.key,
    };
    if (event) params.event = event;
    if (t.trackerId) params.trackerId = t.trackerId;
    const timeoutMs = extra.timeoutMs ?? this.o.announceTimeoutMs ?? 60_000;
    // one deadline for the whole announce, on our clock, whatever the transport does inside
    const ac = new AbortController();
    const timer = this.clock.setTimeout(() => ac.abort(new TrackerError('TIMEOUT', `no answer within ${timeoutMs / 1000} s`)), timeoutMs);
    const onOuter = () => ac.abort(outer.reason);
    if (outer.aborted) onOuter();
    else outer.addEventListener('abort', onOuter, { once: true });
    const transport = this.o.transport;
    const p = transport
      ? Promise.resolve().then(() => transport(t.url, params, ac.signal))
      : t.kind === 'udp'
        ? this.udp.announce(t.url, params, { signal: ac.signal, ...(extra.retries !== undefined ? { maxRetries: extra.retries } : {}) })
        : httpAnnounce(t.url, params, { signal: ac.signal, timeoutMs, ...(this.o.ca ? { ca: this.o.ca } : {}) });
    return p.finally(() => {
      this.clock.clearTimeout(timer);
      outer.removeEventListener('abort', onOuter);
    });
  }

  /** A listener that throws must not break the announce loop. */
  private emitSafe(event: string, payload: unknown): void {
    try {
      this.emit(event, payload);
    } catch (err) {
      log('%s listener threw: %s', event, errorMessage(err));
    }
  }
}
