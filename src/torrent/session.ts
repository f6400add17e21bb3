import { randomBytes } from 'node:crypto';
import type { Socket } from 'node:net';
import { connectPeer } from '../net/connect.js';
import { PeerListener } from '../net/listener.js';
import { PeerWire } from '../net/peer-wire.js';
import { UdpTrackerClient } from '../tracker/client/udp.js';
import { WireError } from '../util/errors.js';
import { logger } from '../util/log.js';
import { VERSION } from '../version.js';
import { makeReserved, type Handshake } from '../wire/handshake.js';
import type { PeerAddress } from './peer-book.js';
import { Torrent, type Dialled, type TorrentOptions } from './torrent.js';
import { DEFAULT_LIMITS, type TorrentLimits } from './defaults.js';

const log = logger('session');

export interface SessionOptions {
  /** Listening port for incoming peers; 0 = any free port. */
  port?: number;
  /** Listening address; 127.0.0.1 unless told otherwise. */
  host?: string;
  peerId?: Buffer;
  /** Timings for the wire (tests shorten them). */
  limits?: Partial<TorrentLimits>;
  /** Message Stream Encryption (see EncryptionMode). Default 'allow'. */
  encryption?: EncryptionMode;
}

/**
 * 'allow': dial plain (and again with MSE if the peer hangs up on that), answer MSE or
 * plain, plain bytes after an MSE handshake when the peer offers them. 'require': MSE
 * with RC4 only, both ways. 'off': plain handshakes only.
 */
export type EncryptionMode = 'allow' | 'require' | 'off';
export const ENCRYPTION_MODES: readonly EncryptionMode[] = ['allow', 'require', 'off'];

/** Azureus-style peer id: -SW0100- and 12 random bytes. */
export function makePeerId(): Buffer {
  const [major = '0', minor = '0', patch = '0'] = VERSION.split('.');
  const tag = `-SW${major.padStart(2, '0').slice(-2)}${minor.slice(-1)}${patch.slice(-1)}-`;
  return Buffer.concat([Buffer.from(tag, 'latin1'), randomBytes(12)]);
}

const RESERVED = makeReserved({ fast: true, extensionProtocol: true });

/**
 * What the torrents of one process share: our peer id, the listening socket (an incoming
 * handshake names the torrent it is for), and the UDP socket for trackers.
 */
export class Session {
  readonly peerId: Buffer;
  readonly limits: TorrentLimits;
  readonly encryption: EncryptionMode;
  private readonly listener: PeerListener;
  private readonly torrents = new Map<string, Torrent>();
  private readonly udp = new UdpTrackerClient();
  private readonly wires = new Set<PeerWire>();

  constructor(private readonly opts: SessionOptions = {}) {
    this.peerId = opts.peerId ?? makePeerId();
    this.limits = { ...DEFAULT_LIMITS, ...opts.limits };
    this.encryption = opts.encryption ?? 'allow';
    this.listener = new PeerListener({
      host: opts.host ?? '127.0.0.1',
      port: opts.port ?? 0,
      onConnection: (socket, established) => this.incoming(socket, established),
    });
  }

  get port(): number {
    return this.listener.port;
  }

  listen(): Promise<{ host: string; port: number }> {
    return this.listener.listen();
  }

  /** Adds a torrent (call listen() first so its port can be announced). */
  add(opts: Omit<TorrentOptions, 'peerId' | 'port' | 'dial' | 'udp'>): Torrent {
    const hex = opts.metainfo.infoHashHex;
    if (this.torrents.has(hex)) throw new Error(`torrent ${hex} is already in this session`);
    const t = new Torrent({
      ...opts,
      limits: { ...this.opts.limits, ...opts.limits },
      peerId: this.peerId,
      port: this.listener.port,
      udp: this.udp,
      dial: (addr, signal) => this.dial(addr, opts.metainfo.infoHash, signal),
    });
    this.torrents.set(hex, t);
    return t;
  }

  private track(wire: PeerWire): PeerWire {
    this.wires.add(wire);
    wire.once('close', () => this.wires.delete(wire));
    return wire;
  }

  private wireTimings(): { handshakeTimeoutMs: number; idleTimeoutMs: number } {
    return { handshakeTimeoutMs: this.limits.handshakeTimeoutMs, idleTimeoutMs: this.limits.idleTimeoutMs };
  }

  private incoming(socket: Socket, established: () => void): void {
    const wire = this.track(
      new PeerWire({
        socket,
        direction: 'incoming',
        peerId: this.peerId,
        reserved: RESERVED,
        ...this.wireTimings(),
        accept: (h: Handshake) => (this.torrents.has(h.infoHash.toString('hex')) ? true : 'unknown torrent'),
        // libtorrent, Transmission and others open with MSE by default; refused, they retry
        // plain only after a second or more
        ...(this.encryption === 'off'
          ? {}
          : { obfuscation: { methods: this.methods(), infoHashes: () => this.infoHashes(), required: this.encryption === 'require' } }),
      }),
    );
    wire.once('handshake', (remote: Handshake) => {
      established();
      const t = this.torrents.get(remote.infoHash.toString('hex'));
      if (!t) return wire.close('unknown torrent');
      const addr = { host: wire.remoteAddress, port: wire.remotePort };
      t.attachIncoming(wire, addr, remote.peerId, remote.reserved);
    });
  }

  /** What we accept or offer after an MSE handshake. */
  private methods(): { plaintext: boolean; rc4: boolean } {
    return { plaintext: this.encryption !== 'require', rc4: true };
  }

  private infoHashes(): Buffer[] {
    return [...this.torrents.keys()].map((hex) => Buffer.from(hex, 'hex'));
  }

  /**
   * Connects to a peer and exchanges handshakes for `infoHash`: plain first (every client
   * takes it, and it costs nothing), then once more with MSE if the peer hung up on the
   * plain handshake without a word (peers that require encryption do that).
   */
  private async dial(addr: PeerAddress, infoHash: Buffer, signal: AbortSignal): Promise<Dialled> {
    if (this.encryption === 'require') return this.dialOnce(addr, infoHash, signal, true);
    try {
      return await this.dialOnce(addr, infoHash, signal, false);
    } catch (err) {
      const refused = err instanceof WireError && err.code === 'HANDSHAKE_REFUSED';
      if (!refused || this.encryption === 'off' || signal.aborted) throw err;
      log('%s:%d hung up on a plain handshake: trying MSE', addr.host, addr.port);
      return this.dialOnce(addr, infoHash, signal, true);
    }
  }

  private async dialOnce(addr: PeerAddress, infoHash: Buffer, signal: AbortSignal, encrypted: boolean): Promise<Dialled> {
    // shared reads: the torrent copies each block into its piece at once (PieceAssembler)
    const socket = await connectPeer(addr.host, addr.port, { timeoutMs: this.limits.connectTimeoutMs, signal, sharedReads: true });
    const wire = this.track(
      new PeerWire({
        socket,
        direction: 'outgoing',
        peerId: this.peerId,
        infoHash,
        reserved: RESERVED,
        signal,
        ...this.wireTimings(),
        ...(encrypted ? { obfuscation: { methods: this.methods(), initiate: true } } : {}),
      }),
    );
    return new Promise<Dialled>((resolve, reject) => {
      // 'self' gets its own code: the torrent forgets that address instead of retrying it
      const onClose = (reason: string) => {
        const silent = wire.bytesReceived === 0 && (reason === 'remote-closed' || reason === 'socket-error');
        const code = reason === 'self' ? 'SELF' : silent && !encrypted ? 'HANDSHAKE_REFUSED' : 'HANDSHAKE_FAILED';
        reject(new WireError(code, `handshake with ${addr.host}:${addr.port} failed: ${reason}`));
      };
      wire.once('close', onClose);
      wire.once('handshake', (remote: Handshake) => {
        wire.off('close', onClose);
        // PeerWire holds back messages until the torrent attaches its 'message' listener
        resolve({ transport: wire, peerId: remote.peerId, reserved: remote.reserved });
      });
    });
  }

  /** Stops every torrent (resume saved, trackers told) and closes every socket. */
  async close(): Promise<void> {
    await Promise.allSettled([...this.torrents.values()].map((t) => t.stop()));
    this.torrents.clear();
    await this.listener.close();
    for (const w of this.wires) w.close('session closed');
    this.udp.close();
    log('session closed');
  }
}
