import { connect, type Socket } from 'node:net';
import { WireError } from '../util/errors.js';
import { ReadTap, tapSocket } from './shared-reads.js';

export interface ConnectOptions {
  /** Give up after this long. Default 10 s. */
  timeoutMs?: number;
  /** Aborting destroys the half-made socket and rejects with WireError 'ABORTED'. */
  signal?: AbortSignal;
  /**
   * Read into the buffer all such sockets share (see shared-reads.ts): give the socket
   * to a PeerWire, whose messages are then valid only while their event runs.
   */
  sharedReads?: boolean;
}

export const DEFAULT_CONNECT_TIMEOUT_MS = 10_000;

/**
 * Open a TCP connection to a peer. Resolves with the connected socket (no listeners of
 * ours left on it, Nagle off); rejects with WireError 'CONNECT_TIMEOUT', 'CONNECT_FAILED'
 * (the socket error is the cause) or 'ABORTED'. The socket is destroyed on every failure.
 */
export function connectPeer(host: string, port: number, opts: ConnectOptions = {}): Promise<Socket> {
  const timeoutMs = opts.timeoutMs ?? DEFAULT_CONNECT_TIMEOUT_MS;
  const signal = opts.signal;
  const where = host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    return Promise.reject(new WireError('CONNECT_FAILED', `cannot connect to ${where}: bad port`));
  }
  if (signal?.aborted) {
    return Promise.reject(new WireError('ABORTED', `connection to ${where} aborted`, { cause: signal.reason }));
  }
  return new Promise<Socket>((resolve, reject) => {
    const tap = opts.sharedReads ? new ReadTap() : undefined;
    const socket = connect({ host, port, noDelay: true, ...(tap ? { onread: tap.onread } : {}) });
    if (tap) tapSocket(socket, tap);
    const timer = setTimeout(() => fail(new WireError('CONNECT_TIMEOUT', `connection to ${where} timed out after ${timeoutMs} ms`)), timeoutMs);
    const onError = (err: Error) => fail(new WireError('CONNECT_FAILED', `cannot connect to ${where}: ${err.message}`, { cause: err }));
    const onAbort = () => fail(new WireError('ABORTED', `connection to ${where} aborted`, { cause: signal?.reason }));
    const onConnect = () => {
      cleanup();
      resolve(socket);
    };
    function cleanup(): void {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.off('connect', onConnect);
      signal?.removeEventListener('abort', onAbort);
    }
    function fail(err: WireError): void {
      cleanup();
      socket.destroy();
      reject(err);
    }
    socket.once('connect', onConnect);
    socket.on('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
