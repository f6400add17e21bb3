import { isIP } from 'node:net';
import { UsageError } from '../util/errors.js';

/** Option values shared by download and seed. Each parser throws a UsageError naming the flag. */

export interface HostPort {
  host: string;
  port: number;
}

const RATE_UNITS: Record<string, number> = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3 };

/**
 * A rate in bytes per second: a number with an optional k, M or G suffix in powers of
 * 1024 (the same units the progress line prints: KiB, MiB, GiB). `B`, `iB` and `/s` may
 * follow: 500k, 500KiB, 1.5M, 2MiB/s. 0 means unlimited.
 */
export function parseRate(flag: string, v: string): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmg]?)(?:i?b)?(?:\/s)?\s*$/i.exec(v);
  const unit = m ? RATE_UNITS[m[2]!.toLowerCase()] : undefined;
  const n = m && unit !== undefined ? Math.round(Number(m[1]) * unit) : NaN;
  if (!Number.isSafeInteger(n) || (n === 0 && Number(m?.[1]) !== 0)) {
    throw new UsageError('BAD_RATE', `${flag} ${JSON.stringify(v)} is not a rate in bytes per second such as 500k, 1M or 2G (powers of 1024)`);
  }
  return n;
}

/** `host:port`, `[v6]:port`; the host is an IP address or a name. */
export function parsePeer(v: string): HostPort {
  const m = /^\s*(?:\[([0-9a-fA-F:.]+)\]|([A-Za-z0-9.-]+)):(\d{1,5})\s*$/.exec(v);
  const host = m ? (m[1] ?? m[2])! : '';
  const port = m ? Number(m[3]) : 0;
  const v6ok = m?.[1] === undefined || isIP(host) === 6;
  // digits and dots mean an IPv4 address, never a name to look up (999.1.1.1 was one)
  const v4ok = !/^[\d.]+$/.test(host) || isIP(host) === 4;
  if (!m || !v6ok || !v4ok || port < 1 || port > 65535 || host.startsWith('.') || host.startsWith('-')) {
    throw new UsageError('BAD_PEER', `--peer ${JSON.stringify(v)} is not host:port (for example 127.0.0.1:6881, or [::1]:6881 for IPv6)`);
  }
  return { host, port };
}

/** Commander collector for a repeatable --peer. */
export function collectPeer(v: string, prev: HostPort[] | undefined): HostPort[] {
  return [...(prev ?? []), parsePeer(v)];
}

/** A listening port: 0 (any free port) to 65535. */
export function parsePort(flag: string, v: string): number {
  const n = /^\s*\d{1,5}\s*$/.test(v) ? Number(v) : NaN;
  if (!(n >= 0 && n <= 65535)) throw new UsageError('BAD_PORT', `${flag} ${JSON.stringify(v)} is not a port from 0 to 65535 (0: any free port)`);
  return n;
}

/** A listening address: an IP address or a host name, as `--bind` takes it. */
export function parseBind(v: string): string {
  const s = v.trim().replace(/^\[(.*)\]$/, '$1');
  if (isIP(s) === 0 && !/^[A-Za-z0-9](?:[A-Za-z0-9.-]*[A-Za-z0-9])?$/.test(s)) {
    throw new UsageError('BAD_BIND', `--bind ${JSON.stringify(v)} is not an IP address or a host name`);
  }
  return s;
}

/** A number above zero (`--seed-ratio 1.5`, `--seed-time 30`). */
export function parsePositive(flag: string, v: string): number {
  const n = /^\s*\d+(?:\.\d+)?\s*$/.test(v) ? Number(v) : NaN;
  if (!(n > 0) || !Number.isFinite(n)) throw new UsageError('BAD_NUMBER', `${flag} ${JSON.stringify(v)} is not a number above zero`);
  return n;
}

/** "127.0.0.1:6881", "[::1]:6881". */
export function formatHostPort(a: HostPort): string {
  return a.host.includes(':') ? `[${a.host}]:${a.port}` : `${a.host}:${a.port}`;
}
