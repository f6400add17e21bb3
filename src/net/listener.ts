import { EventEmitter } from 'node:events';
import { createServer, type Server, type Socket } from 'node:net';
import { logger } from '../util/log.js';
import { WireError } from '../util/errors.js';

const log = logger('net:listener');

/**
 * Called for each accepted socket. Call `established()` once the peer has completed its
 * handshake: until then the socket counts against `maxHalfOpen`. A socket that closes
 * stops counting by itself, so forgetting to call it on a failed handshake is harmless.
 */
export type IncomingHandler = (socket: Socket, established: () => void) => void;

export interface PeerListenerOptions {
  /** Default 127.0.0.1: nothing listens on the network unless asked. */
  host?: string;
  /** Default 0: any free port (read it from `port` after `listen()`). */
  port?: number;
  /** Incoming connections still handshaking; more are closed on arrival. Default 32. */
  maxHalfOpen?: number;
  onConnection: IncomingHandler;
}

export const DEFAULT_MAX_HALF_OPEN = 32;

/**
 * A TCP listener for incoming peers, shared by every torrent of a session (the handshake
 * names the torrent). Events: 'dropped' (socket) when the half-open cap turns one away,
 * 'error' (err) for errors after listening started.
 */
export class PeerListener extends EventEmitter {
  readonly host: string;
  readonly maxHalfOpen: number;
  /** Connections turned away by the half-open cap since listen(). */
  dropped = 0;
  private readonly server: Server;
  private readonly halfOpen = new Set<Socket>();
  private readonly requestedPort: number;
  private readonly onConnection: IncomingHandler;
  private boundPort = 0;

  constructor(opts: PeerListenerOptions) {
    super();
    this.host = opts.host ?? '127.0.0.1';
    this.requestedPort = opts.port ?? 0;
    this.maxHalfOpen = opts.maxHalfOpen ?? DEFAULT_MAX_HALF_OPEN;
    this.onConnection = opts.onConnection;
    this.server = createServer({ noDelay: true }, (socket) => this.accept(socket));
  }

  /** The bound port (0 before listen()). */
  get port(): number {
    return this.boundPort;
  }

  /** Sockets accepted and not yet established or closed. */
  get halfOpenCount(): number {
    return this.halfOpen.size;
  }

  listen(): Promise<{ host: string; port: number }> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => {
        reject(new WireError('LISTEN_FAILED', `cannot listen on ${this.host}:${this.requestedPort}: ${err.message}`, { cause: err }));
      };
      this.server.once('error', onError);
      this.server.listen(this.requestedPort, this.host, () => {
        this.server.off('error', onError);
        this.server.on('error', (err) => this.emit('error', err));
        this.boundPort = (this.server.address() as { port: number }).port;
        log('listening on %s:%d', this.host, this.boundPort);
        resolve({ host: this.host, port: this.boundPort });
      });
    });
  }

  /**
   * Stop accepting and destroy the connections still handshaking. Established ones are
   * the caller's: this does not wait for them (a server's own 'close' event would).
   */
  async close(): Promise<void> {
    for (const s of this.halfOpen) s.destroy();
    this.halfOpen.clear();
    if (this.server.listening) this.server.close();
  }

  private accept(socket: Socket): void {
    if (this.halfOpen.size >= this.maxHalfOpen) {
      this.dropped++;
      socket.on('error', () => {});
      log('half-open cap %d reached: dropping %s:%d', this.maxHalfOpen, socket.remoteAddress, socket.remotePort);
      socket.destroy();
      this.emit('dropped', socket);
      return;
    }
    this.halfOpen.add(socket);
    const settle = () => {
      this.halfOpen.delete(socket);
    };
    socket.once('close', settle);
    this.onConnection(socket, settle);
  }
}
