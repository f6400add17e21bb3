import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { TrackerError, isSwarmError } from '../../util/errors.js';
import { VERSION } from '../../version.js';
import { buildAnnounceUrl, buildScrapeUrl, parseAnnounceResponse, parseScrapeResponse, scrapeUrlFor } from '../protocol/http-client.js';
import type { AnnounceParams, AnnounceResponse, ScrapeStats } from '../protocol/types.js';

export interface HttpTrackerOptions {
  /** Whole request, redirects included. */
  timeoutMs?: number;
  /** Largest answer read; a tracker that sends more is cut off. */
  maxBytes?: number;
  maxRedirects?: number;
  signal?: AbortSignal;
  /** Extra trusted CA certificates (PEM) for HTTPS trackers. */
  ca?: string | Buffer;
  maxPeers?: number;
}

export const HTTP_DEFAULTS = { timeoutMs: 30_000, maxBytes: 1024 * 1024, maxRedirects: 3 };

/** A GET bounded in time and size. Any HTTP status comes back; network trouble throws a TrackerError. */
export async function httpGet(url: string, opts: HttpTrackerOptions = {}): Promise<{ status: number; body: Buffer }> {
  const timeoutMs = opts.timeoutMs ?? HTTP_DEFAULTS.timeoutMs;
  const ac = new AbortController();
  const timer = setTimeout(() => ac.abort(new TrackerError('TIMEOUT', `no answer within ${Math.round(timeoutMs / 100) / 10} s`)), timeoutMs);
  const onOuterAbort = () => {
    const why: unknown = opts.signal?.reason;
    ac.abort(isSwarmError(why) ? why : new TrackerError('ABORTED', 'request cancelled'));
  };
  if (opts.signal?.aborted) onOuterAbort();
  opts.signal?.addEventListener('abort', onOuterAbort, { once: true });
  try {
    let current = url;
    for (let hop = 0; ; hop++) {
      const res = await getOnce(current, opts, ac.signal);
      if (res.location !== undefined && hop < (opts.maxRedirects ?? HTTP_DEFAULTS.maxRedirects)) {
        current = new URL(res.location, current).toString();
        if (!/^https?:/.test(current)) throw new TrackerError('REDIRECT', 'tracker redirected to a non-HTTP address');
        continue;
      }
      return { status: res.status, body: res.body };
    }
  } finally {
    clearTimeout(timer);
    opts.signal?.removeEventListener('abort', onOuterAbort);
  }
}

function getOnce(url: string, opts: HttpTrackerOptions, signal: AbortSignal): Promise<{ status: number; body: Buffer; location?: string }> {
  const maxBytes = opts.maxBytes ?? HTTP_DEFAULTS.maxBytes;
  return new Promise((resolve, reject) => {
    if (signal.aborted) return reject(signal.reason);
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      return reject(new TrackerError('BAD_URL', 'not a valid URL'));
    }
    const request = u.protocol === 'https:' ? httpsRequest : u.protocol === 'http:' ? httpRequest : undefined;
    if (!request) return reject(new TrackerError('BAD_URL', `unsupported protocol ${u.protocol}`));
    const req = request(u, {
      method: 'GET',
      agent: false,
      headers: { 'user-agent': `swarm/${VERSION}`, 'accept-encoding': 'identity', connection: 'close' },
      ...(opts.ca ? { ca: opts.ca } : {}),
      signal,
    });
    const fail = (err: unknown) => {
      req.destroy();
      reject(asTrackerError(err, signal));
    };
    req.on('error', fail);
    req.on('response', (res: IncomingMessage) => {
      const status = res.statusCode ?? 0;
      const location = res.headers.location;
      if (status >= 300 && status < 400 && location) {
        res.resume();
        req.destroy();
        return resolve({ status, body: Buffer.alloc(0), location });
      }
      const declared = Number(res.headers['content-length'] ?? NaN);
      if (declared > maxBytes) return fail(tooLarge(maxBytes));
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBytes) return fail(tooLarge(maxBytes));
        chunks.push(c);
      });
      res.on('error', fail);
      res.on('end', () => resolve({ status, body: Buffer.concat(chunks) }));
    });
    req.end();
  });
}

function tooLarge(max: number): TrackerError {
  return new TrackerError('TOO_LARGE', `answer larger than ${max} bytes`);
}

const NET_ERRORS: Record<string, string> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset',
  ENOTFOUND: 'host not found',
  EAI_AGAIN: 'host name lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'host unreachable',
  ENETUNREACH: 'network unreachable',
};

function asTrackerError(err: unknown, signal: AbortSignal): TrackerError {
  if (signal.aborted && isSwarmError(signal.reason)) return signal.reason as TrackerError;
  if (err instanceof TrackerError) return err;
  const code = (err as { code?: string }).code ?? '';
  const text = NET_ERRORS[code] ?? (err instanceof Error ? err.message : String(err));
  return new TrackerError('NETWORK', code && !NET_ERRORS[code] ? `${text} (${code})` : text, { cause: err });
}

/** A failure reason in a non-200 answer is the best explanation; otherwise the status is. */
function checkStatus(status: number, body: Buffer): void {
  if (status === 200) return;
  try {
    parseAnnounceResponse(body);
  } catch (err) {
    if (err instanceof TrackerError && err.code === 'FAILURE') throw err;
  }
  throw new TrackerError('HTTP_STATUS', `HTTP ${status}`);
}

export async function httpAnnounce(url: string, params: AnnounceParams, opts: HttpTrackerOptions = {}): Promise<AnnounceResponse> {
  const { status, body } = await httpGet(buildAnnounceUrl(url, params), opts);
  checkStatus(status, body);
  return parseAnnounceResponse(body, { maxPeers: opts.maxPeers });
}

export async function httpScrape(announceUrl: string, infoHash: Buffer, opts: HttpTrackerOptions = {}): Promise<ScrapeStats> {
  const scrapeUrl = scrapeUrlFor(announceUrl);
  if (!scrapeUrl) throw new TrackerError('NO_SCRAPE', 'tracker has no scrape address (its path does not end in "announce")');
  const { status, body } = await httpGet(buildScrapeUrl(scrapeUrl, [infoHash]), opts);
  checkStatus(status, body);
  return parseScrapeResponse(body, infoHash);
}
