/**
 * Every peer address a torrent knows of, where it came from, and whether we may dial it
 * now. Pure: time comes in as `now` (ms). Failed dials back off exponentially; peers that
 * send bad data collect strikes and their IP is banned for the rest of the run.
 */

export type PeerSource = 'tracker' | 'manual' | 'incoming' | 'pex' | 'dht';

export interface PeerAddress {
  host: string;
  port: number;
}

type DialState = 'idle' | 'connecting' | 'connected';

interface Entry {
  addr: PeerAddress;
  source: PeerSource;
  state: DialState;
  failures: number;
  /** Not dialled again before this time. */
  retryAt: number;
}

export interface PeerBookOptions {
  /** Most addresses remembered; new ones beyond this are ignored. */
  maxKnown?: number;
  /** First retry delay after a failure; doubles each time. */
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Addresses dropped after this many failures in a row (manual peers never). */
  maxFailures?: number;
  /** Bad-data strikes before an IP is banned. */
  banStrikes?: number;
}

export function addressKey(a: PeerAddress): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}

function isLoopback(host: string): boolean {
  return host.startsWith('127.') || host === '::1' || host.startsWith('::ffff:127.');
}

/**
 * Bans are by IP, as in other clients. On loopback, every peer shares one IP (local test
 * swarms, several clients on one machine), so there a ban is by IP and port.
 */
export function banKey(a: PeerAddress): string {
  return isLoopback(a.host) ? addressKey(a) : a.host;
}

export class PeerBook {
  private readonly entries = new Map<string, Entry>();
  private readonly strikes = new Map<string, number>();
  private readonly banned = new Set<string>();
  private readonly opts: Required<PeerBookOptions>;

  constructor(opts: PeerBookOptions = {}) {
    this.opts = { maxKnown: 2000, backoffBaseMs: 5_000, backoffMaxMs: 300_000, maxFailures: 6, banStrikes: 2, ...opts };
  }

  get size(): number {
    return this.entries.size;
  }

  /** Remembers an address; false if it is banned, invalid, already known, or the book is full. */
  add(addr: PeerAddress, source: PeerSource): boolean {
    if (!Number.isInteger(addr.port) || addr.port <= 0 || addr.port > 65535 || addr.host === '') return false;
    if (this.banned.has(banKey(addr))) return false;
    const key = addressKey(addr);
    const old = this.entries.get(key);
    if (old) {
      // a user-given peer is never forgotten, whoever else reported it
      if (source === 'manual') old.source = 'manual';
      return false;
    }
    if (this.entries.size >= this.opts.maxKnown && source !== 'manual') return false;
    this.entries.set(key, { addr, source, state: 'idle', failures: 0, retryAt: 0 });
    return true;
  }

  /** Where an address came from (for the peer's label once connected). */
  sourceOf(addr: PeerAddress): PeerSource | undefined {
    return this.entries.get(addressKey(addr))?.source;
  }

  has(addr: PeerAddress): boolean {
    return this.entries.has(addressKey(addr));
  }

  /** Up to `count` addresses that may be dialled now; they are marked connecting. */
  takeDialable(now: number, count: number): PeerAddress[] {
    const out: PeerAddress[] = [];
    if (count <= 0) return out;
    for (const e of this.entries.values()) {
      if (e.state !== 'idle' || e.retryAt > now) continue;
      e.state = 'connecting';
      out.push(e.addr);
      if (out.length >= count) break;
    }
    return out;
  }

  /** How many could be dialled now. */
  dialableCount(now: number): number {
    let n = 0;
    for (const e of this.entries.values()) if (e.state === 'idle' && e.retryAt <= now) n++;
    return n;
  }

  /** A connection to this address is up (dialled by us or accepted from it). */
  connected(addr: PeerAddress, source: PeerSource = 'incoming'): void {
    const key = addressKey(addr);
    let e = this.entries.get(key);
    if (!e) {
      // an incoming peer's port is an ephemeral one: nothing to dial later
      if (source === 'incoming' || this.banned.has(banKey(addr))) return;
      e = { addr, source, state: 'idle', failures: 0, retryAt: 0 };
      this.entries.set(key, e);
    }
    e.state = 'connected';
    e.failures = 0;
  }

  /** A dial failed or a connection ended badly: back off before the next try. */
  failed(addr: PeerAddress, now: number): void {
    const key = addressKey(addr);
    const e = this.entries.get(key);
    if (!e) return;
    e.failures++;
    e.state = 'idle';
    if (e.failures >= this.opts.maxFailures && e.source !== 'manual') {
      this.entries.delete(key);
      return;
    }
    const delay = Math.min(this.opts.backoffMaxMs, this.opts.backoffBaseMs * 2 ** (e.failures - 1));
    e.retryAt = now + delay;
  }

  /** A connection ended normally: the address may be dialled again after a pause. */
  disconnected(addr: PeerAddress, now: number, retryAfterMs = this.opts.backoffBaseMs): void {
    const e = this.entries.get(addressKey(addr));
    if (!e) return;
    e.state = 'idle';
    e.retryAt = now + retryAfterMs;
  }

  /** Forget an address (for example it was ourselves). */
  remove(addr: PeerAddress): void {
    this.entries.delete(addressKey(addr));
  }

  /** A bad piece was traced to this peer. Returns true when it is now banned. */
  strike(addr: PeerAddress): boolean {
    const key = banKey(addr);
    const n = (this.strikes.get(key) ?? 0) + 1;
    this.strikes.set(key, n);
    if (n >= this.opts.banStrikes) {
      this.ban(addr);
      return true;
    }
    return false;
  }

  ban(addr: PeerAddress): void {
    const key = banKey(addr);
    this.banned.add(key);
    for (const [k, e] of this.entries) if (banKey(e.addr) === key) this.entries.delete(k);
  }

  isBanned(addr: PeerAddress): boolean {
    return this.banned.has(banKey(addr));
  }
}
