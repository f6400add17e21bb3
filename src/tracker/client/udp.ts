import { randomBytes } from 'node:crypto';
import { createSocket, type RemoteInfo, type Socket } from 'node:dgram';
import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import { TrackerError } from '../../util/errors.js';
import { logger } from '../../util/log.js';
import { ipToBytes, normalizeAddress } from '../protocol/ip.js';
import type { AnnounceParams, AnnounceResponse, ScrapeStats } from '../protocol/types.js';
import {
  MAX_SCRAPE_HASHES,
  decodeUdpResponse,
  encodeAnnounceRequest,
  encodeConnectRequest,
  encodeScrapeRequest,
  peekTransaction,
  type UdpResponse,
} from '../protocol/udp.js';
import { systemClock, type Clock } from './clock.js';
import { retransmitTimeoutMs } from './schedule.js';

const log = logger('tracker:udp');

export interface UdpClientOptions {
  clock?: Clock;
  /** BEP 15's 15 s before the first retransmission; tests shrink it. */
  baseTimeoutMs?: number;
  /** BEP 15's n = 8: give up after the wait that follows the 9th send. */
  maxRetries?: number;
  /** BEP 15: a connection id may be used for one minute after it arrived. */
  connectionTtlMs?: number;
  /** Size of the transaction table: requests in flight at once. */
  maxPending?: number;
  /** Most connection ids remembered (one per tracker address). */
  maxConnections?: number;
  maxPeers?: number;
  /** Local addresses to bind; default: any. */
  bind4?: string;
  bind6?: string;
}

export interface UdpRequestOptions {
  signal?: AbortSignal;
  /** Fewer retransmissions than the client default (stopped events use 0). */
  maxRetries?: number;
}

export const UDP_DEFAULTS = { baseTimeoutMs: 15_000, maxRetries: 8, connectionTtlMs: 60_000, maxPending: 4096, maxConnections: 1024 };

interface Target {
  host: string;
  port: number;
  family: 4 | 6;
  key: string;
}

interface Pending {
  target: Target;
  settle(r: UdpResponse | Error): void;
}

type Answer = UdpResponse | 'timeout';

/**
 * One UDP socket per address family shared by every announce and scrape (BEP 15), with a
 * transaction table that matches answers by transaction id and source address, and a cache
 * of connection ids per tracker.
 */
export class UdpTrackerClient {
  private readonly clock: Clock;
  private readonly opts: Required<Omit<UdpClientOptions, 'clock' | 'bind4' | 'bind6' | 'maxPeers'>> & Pick<UdpClientOptions, 'bind4' | 'bind6' | 'maxPeers'>;
  private readonly sockets: { 4?: Socket; 6?: Socket } = {};
  private readonly pending = new Map<number, Pending>();
  private readonly conns = new Map<string, { id: Buffer; at: number }>();
  private readonly connecting = new Map<string, Promise<Answer>>();
  private closed = false;

  constructor(options: UdpClientOptions = {}) {
    this.clock = options.clock ?? systemClock;
    this.opts = { ...UDP_DEFAULTS, ...options };
  }

  /** Transactions in flight (for tests and status). */
  get inFlight(): number {
    return this.pending.size;
  }

  /** Connection ids remembered. */
  get knownTrackers(): number {
    return this.conns.size;
  }

  async announce(url: string, params: AnnounceParams, opts: UdpRequestOptions = {}): Promise<AnnounceResponse> {
    const target = await this.resolve(url, opts.signal);
    const r = await this.transact(target, (cid, tid) => encodeAnnounceRequest(cid, tid, params), 'announce', opts);
    if (r.action !== 'announce') throw new TrackerError('MALFORMED', 'unexpected answer');
    return { interval: r.interval, complete: r.seeders, incomplete: r.leechers, peers: r.peers };
  }

  async scrape(url: string, infoHashes: Buffer[], opts: UdpRequestOptions = {}): Promise<ScrapeStats[]> {
    const target = await this.resolve(url, opts.signal);
    const out: ScrapeStats[] = [];
    for (let i = 0; i < infoHashes.length; i += MAX_SCRAPE_HASHES) {
      const chunk = infoHashes.slice(i, i + MAX_SCRAPE_HASHES);
      const r = await this.transact(target, (cid, tid) => encodeScrapeRequest(cid, tid, chunk), 'scrape', opts);
      if (r.action !== 'scrape' || r.stats.length !== chunk.length) {
        throw new TrackerError('MALFORMED', `scrape answer has ${r.action === 'scrape' ? r.stats.length : 0} entries for ${chunk.length} info hashes`);
      }
      out.push(...r.stats);
    }
    return out;
  }

  /** Rejects what is in flight and closes the sockets. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    for (const p of [...this.pending.values()]) p.settle(new TrackerError('CLOSED', 'UDP tracker client closed'));
    for (const s of [this.sockets[4], this.sockets[6]]) s?.close();
  }

  private async resolve(url: string, signal?: AbortSignal): Promise<Target> {
    let u: URL;
    try {
      u = new URL(url);
    } catch {
      throw new TrackerError('BAD_URL', 'not a valid URL');
    }
    if (u.protocol !== 'udp:') throw new TrackerError('BAD_URL', `not a UDP tracker (${u.protocol})`);
    const port = Number(u.port);
    if (!port) throw new TrackerError('BAD_URL', 'UDP tracker address has no port');
    let host = u.hostname.replace(/^\[|\]$/g, '');
    if (isIP(host) === 0) {
      try {
        host = (await abortable(lookup(host), signal)).address;
      } catch (err) {
        if (signal?.aborted) throw signal.reason;
        throw new TrackerError('NETWORK', `host not found: ${host}`, { cause: err });
      }
    }
    const n = normalizeAddress(host);
    return { host: n.host, port, family: n.family, key: `${n.host}|${port}` };
  }

  private async transact(target: Target, build: (cid: Buffer, tid: number) => Buffer, expect: 'announce' | 'scrape', opts: UdpRequestOptions): Promise<UdpResponse> {
    const max = opts.maxRetries ?? this.opts.maxRetries;
    let n = 0;
    let refreshed = false;
    const retry = () => {
      if (n >= max) throw new TrackerError('TIMEOUT', `no answer after ${n + 1} ${n === 0 ? 'try' : 'tries'}`);
      n++;
    };
    for (;;) {
      if (this.closed) throw new TrackerError('CLOSED', 'UDP tracker client closed');
      let conn = this.conns.get(target.key);
      const reused = conn !== undefined && this.clock.now() - conn.at < this.opts.connectionTtlMs;
      if (!reused) {
        this.conns.delete(target.key);
        const r = await abortable(this.connect(target, n), opts.signal);
        if (r === 'timeout') {
          retry();
          continue;
        }
        if (r.action === 'error') throw new TrackerError('FAILURE', `tracker refused: ${r.message}`);
        if (r.action !== 'connect') throw new TrackerError('MALFORMED', `tracker answered a connect with ${r.action}`);
        conn = { id: r.connectionId, at: this.clock.now() };
        this.remember(target.key, conn);
      }
      const cid = conn!.id;
      const r = await this.exchange(target, (tid) => build(cid, tid), n, opts.signal);
      if (r === 'timeout') {
        retry();
        continue;
      }
      if (r.action === 'error') {
        // a cached id the tracker no longer accepts: get a new one, once
        if (reused && !refreshed) {
          refreshed = true;
          this.conns.delete(target.key);
          continue;
        }
        throw new TrackerError('FAILURE', `tracker refused: ${r.message}`);
      }
      if (r.action !== expect) throw new TrackerError('MALFORMED', `tracker answered a ${expect} with a ${r.action}`);
      return r;
    }
  }

  /** Concurrent requests to one tracker share one connect. */
  private connect(target: Target, n: number): Promise<Answer> {
    let p = this.connecting.get(target.key);
    if (!p) {
      p = this.exchange(target, (tid) => encodeConnectRequest(tid), n).finally(() => this.connecting.delete(target.key));
      this.connecting.set(target.key, p);
    }
    return p;
  }

  private remember(key: string, conn: { id: Buffer; at: number }): void {
    this.conns.set(key, conn);
    if (this.conns.size <= this.opts.maxConnections) return;
    const now = this.clock.now();
    for (const [k, c] of this.conns) if (now - c.at >= this.opts.connectionTtlMs) this.conns.delete(k);
    while (this.conns.size > this.opts.maxConnections) this.conns.delete(this.conns.keys().next().value!);
  }

  /** Sends one packet and waits 15 * 2^n s (scaled) for the answer with the same transaction id. */
  private exchange(target: Target, build: (tid: number) => Buffer, n: number, signal?: AbortSignal): Promise<Answer> {
    if (this.pending.size >= this.opts.maxPending) {
      return Promise.reject(new TrackerError('BUSY', `more than ${this.opts.maxPending} UDP tracker requests in flight`));
    }
    if (signal?.aborted) return Promise.reject(signal.reason);
    let sock: Socket;
    try {
      sock = this.socket(target.family);
    } catch (err) {
      return Promise.reject(new TrackerError('NETWORK', `cannot open a UDP socket: ${(err as Error).message}`));
    }
    let tid: number;
    do tid = randomBytes(4).readUInt32BE(0);
    while (this.pending.has(tid));
    return new Promise<Answer>((resolve, reject) => {
      const finish = (r: Answer | Error) => {
        if (!this.pending.delete(tid)) return;
        this.clock.clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        this.updateRef();
        if (r instanceof Error) reject(r);
        else resolve(r);
      };
      const onAbort = () => finish(signal!.reason instanceof Error ? signal!.reason : new TrackerError('ABORTED', 'cancelled'));
      const timer = this.clock.setTimeout(() => finish('timeout'), retransmitTimeoutMs(n, this.opts.baseTimeoutMs));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.pending.set(tid, { target, settle: finish });
      this.updateRef();
      sock.send(build(tid), target.port, target.host, (err) => {
        if (err) finish(new TrackerError('NETWORK', `cannot send to the tracker: ${err.message}`, { cause: err }));
      });
    });
  }

  private socket(family: 4 | 6): Socket {
    const existing = this.sockets[family];
    if (existing) return existing;
    const s = family === 4 ? createSocket('udp4') : createSocket({ type: 'udp6', ipv6Only: true });
    s.on('message', (msg: Buffer, rinfo: RemoteInfo) => this.onMessage(msg, rinfo, family));
    s.on('error', (err) => log('udp%d socket error: %s', family, err.message));
    const bind = family === 4 ? this.opts.bind4 : this.opts.bind6;
    if (bind) s.bind(0, bind);
    this.sockets[family] = s;
    return s;
  }

  /** The sockets keep the process alive only while an answer is awaited. */
  private updateRef(): void {
    for (const s of [this.sockets[4], this.sockets[6]]) {
      if (!s || this.closed) continue;
      try {
        if (this.pending.size > 0) s.ref();
        else s.unref();
      } catch {
        // not bound yet: send() binds it, ref state applies from then on
      }
    }
  }

  private onMessage(msg: Buffer, rinfo: RemoteInfo, family: 4 | 6): void {
    const tid = peekTransaction(msg);
    const p = tid === undefined ? undefined : this.pending.get(tid);
    if (!p) return;
    // an answer must come from where the request went: anything else is stray or spoofed
    if (rinfo.port !== p.target.port || !sameHost(rinfo.address, p.target.host)) return;
    try {
      p.settle(decodeUdpResponse(msg, family, this.opts.maxPeers));
    } catch (err) {
      p.settle(err as Error);
    }
  }
}

function sameHost(a: string, b: string): boolean {
  if (a === b) return true;
  const x = ipToBytes(normalizeAddress(a).host);
  const y = ipToBytes(normalizeAddress(b).host);
  return x !== undefined && y !== undefined && x.equals(y);
}

function abortable<T>(p: Promise<T>, signal?: AbortSignal): Promise<T> {
  if (!signal) return p;
  if (signal.aborted) return Promise.reject(signal.reason);
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e) => {
        signal.removeEventListener('abort', onAbort);
        reject(e);
      },
    );
  });
}
