import { errorMessage } from '../../util/errors.js';
import { httpScrape } from './http.js';
import { UdpTrackerClient } from './udp.js';
import { systemClock, type Clock } from './clock.js';

export interface ScrapeResult {
  url: string;
  complete?: number;
  incomplete?: number;
  downloaded?: number;
  error?: string;
}

export interface ScrapeOptions {
  /** Per tracker; all trackers are asked at once. */
  timeoutMs?: number;
  udp?: UdpTrackerClient;
  clock?: Clock;
  ca?: string | Buffer;
}

/**
 * Asks every tracker of the torrent (BEP 48 over HTTP, BEP 15 over UDP) how many seeders,
 * leechers and completed downloads it knows. One result per tracker URL, in tier order;
 * a tracker that fails gets an `error` instead of numbers. Never throws.
 */
export async function scrape(tiers: string[][], infoHash: Buffer, opts: ScrapeOptions = {}): Promise<ScrapeResult[]> {
  const timeoutMs = opts.timeoutMs ?? 10_000;
  const clock = opts.clock ?? systemClock;
  const urls = [...new Set(tiers.flat().map((u) => u.trim()).filter((u) => u !== ''))].slice(0, 100);
  const udp = opts.udp ?? new UdpTrackerClient({ clock, baseTimeoutMs: Math.max(1, Math.min(15_000, timeoutMs / 3)) });
  try {
    return await Promise.all(urls.map((url) => scrapeOne(url, infoHash, timeoutMs, udp, clock, opts.ca)));
  } finally {
    if (!opts.udp) udp.close();
  }
}

async function scrapeOne(url: string, infoHash: Buffer, timeoutMs: number, udp: UdpTrackerClient, clock: Clock, ca?: string | Buffer): Promise<ScrapeResult> {
  const ac = new AbortController();
  const timer = clock.setTimeout(() => ac.abort(), timeoutMs);
  try {
    let proto = '';
    try {
      proto = new URL(url).protocol;
    } catch {
      // reported below
    }
    if (proto === 'udp:') {
      const [s] = await udp.scrape(url, [infoHash], { signal: ac.signal });
      return { url, ...s! };
    }
    if (proto === 'http:' || proto === 'https:') {
      return { url, ...(await httpScrape(url, infoHash, { signal: ac.signal, timeoutMs, ...(ca ? { ca } : {}) })) };
    }
    return { url, error: 'unsupported tracker address' };
  } catch (err) {
    return { url, error: ac.signal.aborted ? `no answer within ${timeoutMs / 1000} s` : errorMessage(err) };
  } finally {
    clock.clearTimeout(timer);
  }
}
