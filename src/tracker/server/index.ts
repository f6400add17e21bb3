import { createServer, type Server } from 'node:http';
import type { Socket } from 'node:dgram';
import { isIPv6 } from 'node:net';
import { TrackerError } from '../../util/errors.js';
import { logger } from '../../util/log.js';
import { TrackerCore, type TrackerStats } from './core.js';
import { httpHandler } from './http.js';
import type { StoreLimits } from './store.js';
import { createTrackerSocket, serveUdp } from './udp.js';

export { SwarmStore, STORE_LIMITS, type StoreLimits } from './store.js';
export { ConnectionIds } from './connid.js';
export { TrackerCore, type TrackerStats } from './core.js';
export { parseAllowList } from './allow.js';

const log = logger('tracker:server');

export interface TrackerOptions {
  port: number;
  host: string;
  /** Seconds between announces asked of clients (default 1800). */
  interval?: number;
  /** Only these info hashes (hex, any case) are tracked. */
  allow?: Set<string>;
  log?: (event: object) => void;
  limits?: Partial<StoreLimits>;
  /** HTTP bounds: time to send the request headers, open connections at once. */
  http?: { headersTimeoutMs?: number; maxConnections?: number };
}

export interface RunningTracker {
  /** HTTP (TCP) and UDP listen on this same port number. */
  port: number;
  host: string;
  close(): Promise<void>;
  stats(): TrackerStats;
  /** Replaces the allow list (for a reload); undefined allows every torrent. */
  setAllow(allow: Set<string> | undefined): void;
}

function lowerSet(s: Set<string> | undefined): Set<string> | undefined {
  return s === undefined ? undefined : new Set([...s].map((h) => h.toLowerCase()));
}

/** Starts an HTTP + UDP tracker on one port number. Port 0 picks a port free for both. */
export async function startTracker(opts: TrackerOptions): Promise<RunningTracker> {
  const core = new TrackerCore({ interval: opts.interval ?? 1800, allow: lowerSet(opts.allow), log: opts.log, limits: opts.limits ?? {} });
  const v6 = isIPv6(opts.host);
  let udp: Socket | undefined;
  let http: Server | undefined;
  for (let attempt = 0; attempt < 20 && !http; attempt++) {
    udp = createTrackerSocket(v6, opts.host === '::');
    const port = await bindUdp(udp, opts.port, opts.host).catch((err: NodeJS.ErrnoException) => {
      udp!.close();
      throw listenError(err, opts, 'UDP');
    });
    // a client that trickles its headers (slowloris) is cut off
    const headersTimeout = opts.http?.headersTimeoutMs ?? 10_000;
    const server = createServer(
      { maxHeaderSize: 16 * 1024, headersTimeout, requestTimeout: headersTimeout + 5_000, connectionsCheckingInterval: Math.min(1000, headersTimeout) },
      httpHandler(core),
    );
    server.keepAliveTimeout = 5_000;
    server.maxConnections = opts.http?.maxConnections ?? 4096;
    try {
      await listenHttp(server, port, opts.host);
      http = server;
    } catch (err) {
      udp.close();
      // with port 0 the TCP side of the UDP port may be taken: pick another
      if (opts.port !== 0 || (err as NodeJS.ErrnoException).code !== 'EADDRINUSE') throw listenError(err as NodeJS.ErrnoException, opts, 'TCP');
    }
  }
  if (!http || !udp) throw new TrackerError('LISTEN', `no port free for both TCP and UDP on ${opts.host}`);
  const port = udp.address().port;
  // a burst of announces must queue in the kernel, not be dropped (the OS caps the size)
  try {
    udp.setRecvBufferSize(4 * 1024 * 1024);
  } catch (err) {
    log('cannot enlarge the UDP receive buffer: %s', (err as Error).message);
  }
  serveUdp(udp, core, v6);
  udp.on('error', (err) => log('udp error: %s', err.message));
  http.on('clientError', (_err, socket) => socket.destroy());
  // expired peers leave memory even when nobody announces
  const sweeper = setInterval(() => core.store.sweep(core.now()), Math.min(60_000, core.interval * 500));
  sweeper.unref();
  core.emit({ event: 'listening', host: opts.host, port, interval: core.interval, allowList: core.allow ? core.allow.size : null });
  let closing: Promise<void> | undefined;
  const h = http;
  const u = udp;
  return {
    port,
    host: opts.host,
    stats: () => core.stats(),
    setAllow: (allow) => {
      core.allow = lowerSet(allow);
    },
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        clearInterval(sweeper);
        u.close();
        h.close(() => resolve());
        h.closeAllConnections();
      });
      return closing;
    },
  };
}

function bindUdp(sock: Socket, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    sock.once('error', reject);
    sock.bind(port, host, () => {
      sock.off('error', reject);
      resolve(sock.address().port);
    });
  });
}

function listenHttp(server: Server, port: number, host: string): Promise<void> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
}

function listenError(err: NodeJS.ErrnoException, opts: TrackerOptions, what: string): TrackerError {
  const where = `${opts.host}:${opts.port}`;
  if (err.code === 'EADDRINUSE') return new TrackerError('LISTEN', `${what} port ${where} is already in use`, { cause: err });
  if (err.code === 'EADDRNOTAVAIL') return new TrackerError('LISTEN', `address ${opts.host} is not on this machine`, { cause: err });
  if (err.code === 'EACCES') return new TrackerError('LISTEN', `no permission to listen on ${where}`, { cause: err });
  return new TrackerError('LISTEN', `cannot listen on ${where} (${what}): ${err.message}`, { cause: err });
}
